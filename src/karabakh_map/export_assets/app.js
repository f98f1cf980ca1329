/* Karabakh control map: the static export's page (no server, no network while scrubbing).
 *
 * All data is in window.KARABAKH_DATA (data.js, written by `karabakh-map export`).  Each place
 * carries a *state track*: its state before any event ("i") and the days on which its state
 * changes ("t", sorted), each with the full state from that day on.  The state on a date is a
 * binary search in that list, as in karabakh_map.timeline.  See karabakh_map/export.py.
 *
 * Security: every string shown comes from data, so the DOM is built with textContent and
 * createElement only; no string is ever parsed as HTML.  Links are made only for http(s) URLs.
 *
 * The URL query (date, place, names, lat, lon, zoom) has the same meaning as in the Streamlit
 * app (karabakh_map/view.py), so links are interchangeable; it is rewritten on every change.
 */
(function () {
  "use strict";

  const DATA = window.KARABAKH_DATA;
  if (!DATA || typeof L === "undefined") {
    document.body.textContent = "The map could not start: data.js or Leaflet is missing beside index.html.";
    return;
  }

  // ------------------------------------------------------------------ data, indexed by id
  // Maps, not plain objects: an id or name like "constructor" must not find Object.prototype's.

  const PLACES = new Map(DATA.places.map((p) => [p.id, p]));
  const SOURCES = new Map(DATA.sources.map((s) => [s.id, s]));
  const NAME_INDEX = new Map(DATA.nameIndex);
  const EVENTS = DATA.events;
  const ZONES = DATA.zones;
  const LABELS = DATA.controllerLabels;
  const COLOURS = DATA.colours;

  // ------------------------------------------------------------------ dates (ISO strings)
  // ISO dates compare correctly as strings, so tracks are searched on the strings themselves.

  const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December"];
  const DAY_MS = 86400000;

  function pad(n, width) {
    return String(n).padStart(width, "0");
  }

  function isoToDay(iso) {
    return Math.round(Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10)) / DAY_MS);
  }

  function dayToIso(day) {
    const d = new Date(day * DAY_MS);
    return pad(d.getUTCFullYear(), 4) + "-" + pad(d.getUTCMonth() + 1, 2) + "-" + pad(d.getUTCDate(), 2);
  }

  function todayIso() {
    const now = new Date(); // the reader's today, in their time zone, like date.today() in the app
    return pad(now.getFullYear(), 4) + "-" + pad(now.getMonth() + 1, 2) + "-" + pad(now.getDate(), 2);
  }

  function isIsoDate(text) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
    const day = isoToDay(text);
    return Number.isFinite(day) && dayToIso(day) === text; // rejects 2021-02-30
  }

  function longDate(iso) { // "1 August 1993", as strftime("%-d %B %Y")
    return String(+iso.slice(8, 10)) + " " + MONTHS[+iso.slice(5, 7) - 1] + " " + iso.slice(0, 4);
  }

  const START = DATA.historyStart;
  const END = todayIso() < START ? START : todayIso();
  const START_DAY = isoToDay(START);
  const END_DAY = isoToDay(END);

  function clampDate(iso) {
    return iso < START ? START : iso > END ? END : iso;
  }

  // ------------------------------------------------------------------ the engine: binary searches

  /** Index of the last element whose key is <= value, or -1 (bisect_right - 1). */
  function lastAtOrBefore(list, value, key) {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (key(list[mid]) <= value) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  const byDay = (entry) => entry.d;
  const byFirst = (pair) => pair[0];

  /** A place's state on a date: {c, s?, e?, pk?, sh?, r?} (see export.py). */
  function stateAt(placeId, iso) {
    const place = PLACES.get(placeId);
    const index = lastAtOrBefore(place.t, iso, byDay);
    return index < 0 ? place.i : place.t[index];
  }

  function zoneController(zone, iso) {
    if (zone.t) { // a part with no settlement: its own track of [day, controller]
      const index = lastAtOrBefore(zone.t, iso, byFirst);
      return index < 0 ? zone.i : zone.t[index][1];
    }
    return stateAt(zone.f, iso).c;
  }

  function zoneShown(zone, iso) { // zones of one front-line period carry from/to
    return (!zone.from || zone.from <= iso) && (!zone.to || iso <= zone.to);
  }

  function roadVisible(place, iso) {
    return (!place.from || place.from <= iso) && (!place.to || iso <= place.to);
  }

  function peacekeepingShape(iso) {
    const pk = DATA.peacekeeping;
    const index = lastAtOrBefore(pk.t, iso, byFirst);
    return index < 0 ? pk.i : pk.t[index][1];
  }

  const EVENT_DATES = DATA.eventDates;

  function previousEventDate(iso) { // the last event day strictly before
    let lo = 0;
    let hi = EVENT_DATES.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (EVENT_DATES[mid] < iso) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 ? EVENT_DATES[lo - 1] : null;
  }

  function nextEventDate(iso) { // the first event day strictly after
    const index = lastAtOrBefore(EVENT_DATES, iso, (d) => d) + 1;
    return index < EVENT_DATES.length ? EVENT_DATES[index] : null;
  }

  function areaByController(iso) {
    const held = {};
    for (const c of DATA.controllers) held[c] = 0;
    for (const zone of ZONES) held[zoneController(zone, iso)] += zone.area;
    return held;
  }

  // ------------------------------------------------------------------ names (karabakh_map/names.py)

  const AZ_TO_ENGLISH = { "ş": "sh", "ç": "ch", "ğ": "gh", "ə": "a", "ı": "i", x: "kh", c: "j", q: "g",
    "ü": "u", "ö": "o", "İ": "i" };

  function casefold(text) {
    // toLowerCase plus the casefold mappings it lacks for the scripts we carry.
    return text.toLowerCase().replace(/ß/g, "ss").replace(/ς/g, "σ");
  }

  /** Case- and diacritic-insensitive form: "Şuşa" -> "susa" (names.fold). */
  function fold(text) {
    const replaced = text.replace(/[əƏ]/g, "a").replace(/ı/g, "i").replace(/[ёЁ]/g, "е");
    const stripped = casefold(replaced).normalize("NFKD").replace(/\p{Mn}/gu, "");
    return stripped.replace(/-/g, " ").replace(/['’]/g, "").split(/\s+/).filter(Boolean).join(" ");
  }

  /** The English-style rendering of an Azerbaijani name, folded: "Xocalı" -> "khojali". */
  function foldAzerbaijani(text) {
    return fold(Array.from(casefold(text), (ch) => (Object.prototype.hasOwnProperty.call(AZ_TO_ENGLISH, ch)
      ? AZ_TO_ENGLISH[ch] : ch)).join(""));
  }

  const SPECIFICITY = { settlement: 0, district: 1, province: 2, region: 3, road: 4 };

  function bySpecificity(a, b) {
    const ka = SPECIFICITY[a.split("-", 1)[0]] ?? 9;
    const kb = SPECIFICITY[b.split("-", 1)[0]] ?? 9;
    return ka - kb || (a < b ? -1 : a > b ? 1 : 0);
  }

  // names.ADMIN_WORDS: "Aghdam District", "Füzuli rayonu" ask for the district only.
  const ADMIN_WORDS = new Set(["district", "rayonu", "rayon", "raion", "rajon", "region", "район", "շրջան"].map(fold));
  const ADMIN_LAYERS = new Set(["district", "province", "region"]);

  function lookup(query) {
    const keys = new Set([fold(query), foldAzerbaijani(query)]);
    const found = new Set();
    for (const key of keys) {
      for (const id of NAME_INDEX.get(key) || []) found.add(id);
    }
    if (!found.size) {
      for (const key of keys) {
        const cut = key.lastIndexOf(" ");
        if (cut <= 0 || !ADMIN_WORDS.has(key.slice(cut + 1))) continue;
        for (const id of NAME_INDEX.get(key.slice(0, cut)) || []) {
          if (ADMIN_LAYERS.has(id.split("-", 1)[0])) found.add(id);
        }
      }
    }
    return Array.from(found).sort(bySpecificity);
  }

  /** Every place a query can mean, the one resolvePlace gives first (Catalog.matches): with a
   *  date, the route of a road in use that day comes first. */
  function matchPlaces(query, iso) {
    const text = (query || "").trim();
    if (PLACES.has(text)) return [text];
    const found = lookup(text);
    if (!iso || !found.some((id) => PLACES.get(id).layer === "road")) return found;
    const day = (s) => Date.UTC(+s.slice(0, 4), +s.slice(5, 7) - 1, +s.slice(8, 10)) / 86400000;
    const key = (id) => {
      const place = PLACES.get(id);
      if (place.layer !== "road") return [1, 0];
      const start = place.from ? day(place.from) : -Infinity;
      const end = place.to ? day(place.to) : Infinity;
      const at = day(iso);
      if (start <= at && at <= end) return [0, -start];
      return [2, at < start ? start - at : at - end];
    };
    return found.map((id, i) => [key(id), i, id])
      .sort((a, b) => a[0][0] - b[0][0] || a[0][1] - b[0][1] || a[1] - b[1]).map((x) => x[2]);
  }

  /** The place an id or any name variant refers to (Catalog.resolve), or null. */
  function resolvePlace(query, iso) {
    return matchPlaces(query, iso)[0] || null;
  }

  /** Places whose names match, start with or contain the query (NameIndex.search). */
  function searchPlaces(query, limit) {
    if (!fold(query)) return [];
    const keys = new Set([fold(query), foldAzerbaijani(query)]);
    const prefix = new Set();
    const contains = new Set();
    for (const [key, ids] of NAME_INDEX) {
      for (const q of keys) {
        if (key.startsWith(q)) ids.forEach((id) => prefix.add(id));
        else if (key.includes(q)) ids.forEach((id) => contains.add(id));
      }
    }
    const ordered = [];
    for (const id of [...lookup(query), ...Array.from(prefix).sort(bySpecificity),
      ...Array.from(contains).sort(bySpecificity)]) {
      if (!ordered.includes(id)) ordered.push(id);
    }
    return ordered.slice(0, limit);
  }

  function label(placeId) {
    return PLACES.get(placeId).label[state.names];
  }

  // ------------------------------------------------------------------ the shareable view (view.py)

  const DEFAULTS = DATA.defaults;
  const RANGES = DATA.ranges;
  const NAME_MODES = ["both", "az", "hy"];

  function pyRepr(text) { // Python's repr() of a str, for notices worded exactly like the app's
    const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
    let out = "";
    for (const ch of text) {
      const code = ch.codePointAt(0);
      if (ch === "\\" || ch === quote) out += "\\" + ch;
      else if (ch === "\n") out += "\\n";
      else if (ch === "\r") out += "\\r";
      else if (ch === "\t") out += "\\t";
      else if (code < 0x20 || code === 0x7f) out += "\\x" + pad(code.toString(16), 2);
      else out += ch;
    }
    return quote + out + quote;
  }

  function shown(text) {
    const chars = Array.from(text);
    return chars.length <= 40 ? text : chars.slice(0, 37).join("") + "...";
  }

  function pyFloat(x) {
    return Number.isInteger(x) ? x.toFixed(1) : String(x);
  }

  function round5(x) {
    return Math.round(x * 1e5) / 1e5;
  }

  /** The view a query string asks for, and a notice for every value that had to be ignored. */
  function parseView(search) {
    const params = new URLSearchParams(search);
    const view = { date: DEFAULTS.date, place: null, names: DEFAULTS.names, lat: DEFAULTS.lat,
      lon: DEFAULTS.lon, zoom: DEFAULTS.zoom };
    const notices = [];
    if (params.has("date")) {
      const text = params.get("date").trim();
      // the words of karabakh_map/parsing.py
      if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) {
        notices.push(`Invalid date ${pyRepr(shown(text))} (expected YYYY-MM-DD); showing ${DEFAULTS.date}.`);
      } else if (!isIsoDate(text)) {
        notices.push(`Invalid date ${pyRepr(shown(text))} (expected YYYY-MM-DD, a day that exists); showing ${DEFAULTS.date}.`);
      } else if (text < START || text > END) {
        notices.push(`Invalid date ${pyRepr(shown(text))} (expected a date from ${START} to ${END}); showing ${DEFAULTS.date}.`);
      } else {
        view.date = text;
      }
    }
    if (params.has("place")) {
      const text = params.get("place").trim();
      if (text) {
        const found = Array.from(text).length > RANGES.maxParamLength ? [] : matchPlaces(text, view.date);
        if (found.length) {
          view.place = found[0];
          if (found.length > 1) {
            const listed = found.slice(1).map((id) => `${PLACES.get(id).names.en} (${id})`).join(", ");
            notices.push(`${pyRepr(shown(text))} also matches ${listed}; showing ${view.place}.`);
          }
        } else {
          notices.push(`Unknown place ${pyRepr(shown(text))}; no place selected.`);
        }
      }
    }
    if (params.has("names")) {
      const text = params.get("names").trim();
      if (NAME_MODES.includes(text)) view.names = text;
      else notices.push(`Unknown names option ${pyRepr(shown(text))} (use both, az or hy); showing both.`);
    }
    for (const key of ["lat", "lon"]) {
      if (!params.has(key)) continue;
      const text = params.get(key).trim();
      const [low, high] = RANGES[key];
      const value = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) ? Number(text) : NaN;
      if (Number.isFinite(value) && value >= low && value <= high) view[key] = round5(value);
      else notices.push(`Invalid ${key} ${pyRepr(shown(text))} (expected ${pyFloat(low)} to ${pyFloat(high)}); using ${DEFAULTS[key]}.`);
    }
    if (params.has("zoom")) {
      const text = params.get("zoom").trim();
      const [low, high] = RANGES.zoom;
      const value = /^[+-]?\d+$/.test(text) ? parseInt(text, 10) : NaN;
      if (Number.isInteger(value) && value >= low && value <= high) view.zoom = value;
      else notices.push(`Invalid zoom ${pyRepr(shown(text))} (expected ${low} to ${high}); using ${DEFAULTS.zoom}.`);
    }
    return { view, notices };
  }

  function formatCoordinate(x) { // f"{x:.5f}".rstrip("0").rstrip(".")
    return x.toFixed(5).replace(/0+$/, "").replace(/\.$/, "");
  }

  /** view_to_params: the date always; the rest only when it differs from the default. */
  function viewToQuery(view) {
    const params = new URLSearchParams();
    params.set("date", view.date);
    if (view.place) params.set("place", view.place);
    if (view.names !== "both") params.set("names", view.names);
    if (view.lat !== DEFAULTS.lat || view.lon !== DEFAULTS.lon || view.zoom !== DEFAULTS.zoom) {
      params.set("lat", formatCoordinate(view.lat));
      params.set("lon", formatCoordinate(view.lon));
      params.set("zoom", String(view.zoom));
    }
    return params.toString();
  }

  // ------------------------------------------------------------------ page state

  const parsed = parseView(window.location.search);
  const state = Object.assign({}, parsed.view, { playing: false, timer: null, tiles: "plain" });

  // ------------------------------------------------------------------ DOM helpers (text only)

  /** createElement with attributes and children; string children become text nodes. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    append(node, children);
    return node;
  }

  function append(node, children) {
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function svgEl(tag, attrs) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value !== null && value !== undefined) node.setAttribute(key, String(value));
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  function safeUrl(url) { // http(s) only: never link javascript:, data: or anything else
    return typeof url === "string" && /^https?:\/\//i.test(url.trim()) ? url.trim() : null;
  }

  function roundHalfEven(x) { // Python's round()
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  }

  function percent(v) {
    return roundHalfEven(v * 100) + "%";
  }

  function sortedShare(share) { // largest first; ties keep the controllers' order (a stable sort)
    return DATA.controllers.filter((c) => share[c] > 0).sort((a, b) => share[b] - share[a]);
  }

  function shareText(entry) { // mapview.share_text
    if (!entry.sh) return LABELS[entry.c];
    return sortedShare(entry.sh).map((c) => `${LABELS[c]} ${percent(entry.sh[c])}`).join(", ");
  }

  function capitalised(text) {
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function isPartial(entry) { // PlaceState.partial
    if (!entry.sh) return false;
    return Math.max(...Object.values(entry.sh)) < 1 - 1e-9;
  }

  // ------------------------------------------------------------------ the map

  const map = L.map("map", {
    center: [state.lat, state.lon],
    zoom: state.zoom,
    minZoom: RANGES.zoom[0],
    maxZoom: RANGES.zoom[1],
    preferCanvas: false, // SVG paths: each place is an element with its own fill, which tests can read
    zoomControl: true,
  });
  L.control.scale().addTo(map);
  map.attributionControl.setPrefix(false);

  // One pane per layer, stacked in the app's order, so switching a layer off and on again does not
  // change which one is on top (Leaflet otherwise draws the last layer added above the others).
  const PANES = ["zones", "peacekeeping", "districts", "nkao", "road", "selection", "settlements", "labels"];
  PANES.forEach((name, i) => {
    const pane = map.createPane("km-" + name);
    pane.style.zIndex = String(410 + i);
    if (name === "labels" || name === "selection") pane.style.pointerEvents = "none";
  });

  function latLngs(geometry) {
    const levels = { Polygon: 1, MultiPolygon: 2, LineString: 0, MultiLineString: 1 }[geometry.type];
    return L.GeoJSON.coordsToLatLngs(geometry.coordinates, levels);
  }

  function shape(geometry, options) {
    if (geometry.type === "Polygon" || geometry.type === "MultiPolygon") return L.polygon(latLngs(geometry), options);
    return L.polyline(latLngs(geometry), options);
  }

  /** Mark a layer's SVG element with data-* attributes, again each time Leaflet recreates it. */
  function tag(layer, attrs) {
    const apply = () => {
      const node = layer.getElement && layer.getElement();
      if (node) for (const [k, v] of Object.entries(attrs)) node.setAttribute("data-" + k, v);
    };
    layer.on("add", apply);
    return layer;
  }

  /** A tooltip built from text at the moment it opens (Leaflet would treat a string as HTML). */
  function tooltipOf(lines) {
    return () => {
      const box = el("div", { class: "km-tooltip" });
      lines().forEach((line, i) => box.appendChild(el(i === 0 ? "strong" : "div", { text: line })));
      return box;
    };
  }

  const openTooltips = new Set(); // refreshed when the date or the names change while shown

  function bindTooltip(layer, lines, options) {
    layer.bindTooltip(tooltipOf(lines), Object.assign({ sticky: true, direction: "top" }, options || {}));
    layer.on("tooltipopen", () => openTooltips.add(layer));
    layer.on("tooltipclose", () => openTooltips.delete(layer));
  }

  const groups = {};
  for (const key of Object.keys(DATA.layerNames)) groups[key] = L.layerGroup();

  // Control zones: each part of a district coloured by the settlement whose control it follows.
  function zoneStyle(controller, hover) {
    return { fillColor: COLOURS[controller], fillOpacity: DATA.opacity[controller],
      color: hover ? "#000000" : COLOURS[controller], weight: hover ? 2 : 0.4, opacity: hover ? 1 : 0.6 };
  }

  const zoneLayers = ZONES.map((zone) => {
    const layer = shape(zone.geometry, Object.assign({ pane: "km-zones" }, zoneStyle(zoneController(zone, state.date))));
    layer.kmController = zoneController(zone, state.date);
    tag(layer, { zone: zone.id, place: zone.region, follows: zone.f });
    bindTooltip(layer, () => [label(zone.region),
      `This part: held by ${LABELS[zoneController(zone, state.date)]}`,
      `${capitalised(PLACES.get(zone.region).kind)}: ${shareText(stateAt(zone.region, state.date))}`]);
    layer.on("mouseover", () => layer.setStyle(zoneStyle(layer.kmController, true)));
    layer.on("mouseout", () => layer.setStyle(zoneStyle(layer.kmController, false)));
    layer.on("click", () => selectPlace(zone.region));
    layer.kmShown = zoneShown(zone, state.date);
    if (layer.kmShown) groups.zones.addLayer(layer);
    return { zone, layer };
  });

  // The peacekeeping zone: one precomputed outline per period, at most one shown.
  const peacekeepingLayers = DATA.peacekeeping.shapes.map((geometry, index) => {
    const layer = shape(geometry, { pane: "km-peacekeeping", color: "#009E73", weight: 3, dashArray: "8 6",
      fill: false });
    tag(layer, { peacekeeping: String(index) });
    bindTooltip(layer, () => [DATA.peacekeeping.label]);
    return layer;
  });
  let shownPeacekeeping = -1;

  // District (and province) outlines: bold and dashed when a district is held in part.
  const regionLayers = DATA.places.filter((p) => p.layer === "region" && p.kind !== "oblast" && p.geometry)
    .map((place) => {
      const layer = shape(place.geometry, { pane: "km-districts", color: "#333333", weight: 1, fill: false,
        interactive: false });
      tag(layer, { place: place.id, outline: "district" });
      groups.districts.addLayer(layer);
      return { place, layer, partial: null };
    });

  // The former NKAO: its 1923-1991 boundary, dotted.
  const nkao = PLACES.get("region-nkao");
  if (nkao && nkao.geometry) {
    const layer = shape(nkao.geometry, { pane: "km-nkao", color: "#000000", weight: 3.5, dashArray: "1 7",
      fill: false });
    tag(layer, { place: nkao.id, outline: "nkao" });
    bindTooltip(layer, () => [label(nkao.id), shareText(stateAt(nkao.id, state.date))]);
    layer.on("click", () => selectPlace(nkao.id));
    groups.nkao.addLayer(layer);
  }

  // The Lachin road: only the route in use on the date, styled by its status.
  function roadStyle(status) {
    const style = DATA.roadStyles[status];
    return { color: style.color, weight: style.weight, dashArray: style.dashArray, opacity: 0.95 };
  }

  const roadLayers = DATA.places.filter((p) => p.layer === "road").map((place) => {
    const status = stateAt(place.id, state.date).r || "open";
    const layer = shape(place.geometry, Object.assign({ pane: "km-road" }, roadStyle(status)));
    tag(layer, { place: place.id });
    bindTooltip(layer, () => [label(place.id), DATA.roadStatusLabels[stateAt(place.id, state.date).r || "open"]]);
    layer.on("click", () => selectPlace(place.id));
    return { place, layer, status, shown: false };
  });

  // Settlements: circle markers in their controller's colour.
  const RADIUS = { city: 7, town: 6 };
  const settlementLayers = DATA.places.filter((p) => p.layer === "settlement").map((place) => {
    const controller = stateAt(place.id, state.date).c;
    const [lon, lat] = place.geometry;
    const layer = L.circleMarker([lat, lon], { pane: "km-settlements", radius: RADIUS[place.kind] || 4,
      weight: 1.5, color: "#111111", fill: true, fillOpacity: 1, fillColor: COLOURS[controller] });
    layer.kmController = controller;
    tag(layer, { place: place.id });
    bindTooltip(layer, () => [label(place.id), LABELS[stateAt(place.id, state.date).c]], { sticky: false });
    layer.on("click", () => selectPlace(place.id));
    groups.settlements.addLayer(layer);
    return { place, layer };
  });

  // Town labels for the cities; the element is kept so that the names switch can rewrite it.
  const labelMarkers = DATA.places.filter((p) => p.layer === "settlement" && p.kind === "city").map((place) => {
    const node = el("div", { class: "km-label", text: label(place.id) });
    const [lon, lat] = place.geometry;
    const marker = L.marker([lat, lon], { pane: "km-labels", interactive: false, keyboard: false,
      icon: L.divIcon({ html: node, className: "km-label-icon", iconSize: [160, 16], iconAnchor: [-6, 8] }) });
    groups.labels.addLayer(marker);
    return { place, node };
  });

  for (const key of Object.keys(groups)) groups[key].addTo(map);

  // The selected place, drawn with a white halo so that it stands out on any colour.
  const selection = L.layerGroup().addTo(map);
  let selectionDrawn = null;

  function drawSelection() {
    const key = state.place + "|" + (state.place && PLACES.get(state.place).layer === "road" ? state.date : "");
    if (key === selectionDrawn) return;
    selectionDrawn = key;
    selection.clearLayers();
    if (!state.place) return;
    const place = PLACES.get(state.place);
    const options = { pane: "km-selection", interactive: false, fill: false };
    if (place.layer === "settlement") {
      const [lon, lat] = place.geometry;
      const radius = (RADIUS[place.kind] || 4) + 5;
      selection.addLayer(L.circleMarker([lat, lon], Object.assign({}, options, { radius, color: "#ffffff", weight: 5 })));
      selection.addLayer(L.circleMarker([lat, lon], Object.assign({}, options, { radius, color: "#000000", weight: 2 })));
    } else if (place.geometry && (place.layer !== "road" || roadVisible(place, state.date))) {
      selection.addLayer(shape(place.geometry, Object.assign({}, options, { color: "#ffffff", weight: 7, opacity: 0.9 })));
      selection.addLayer(shape(place.geometry, Object.assign({}, options, { color: "#000000", weight: 2.5 })));
    }
  }

  // ------------------------------------------------------------------ legend (a Leaflet control)

  const legend = L.control({ position: "topright" });
  legend.onAdd = function () {
    // Open on a wide screen; on a phone it would cover most of the map, so it starts folded.
    const wide = window.matchMedia("(min-width: 700px)").matches;
    const box = el("details", { class: "km-legend", open: wide }, el("summary", { class: "km-legend-title", text: "Legend" }));
    for (const c of DATA.controllers) {
      const swatch = el("span", { class: "km-swatch" });
      swatch.style.background = COLOURS[c];
      swatch.style.opacity = String(Math.min(1, DATA.opacity[c] + 0.3));
      box.appendChild(el("div", {}, swatch, LABELS[c]));
    }
    box.appendChild(el("div", {}, el("span", { class: "km-swatch km-pk" }), "Peacekeeping zone (dashed)"));
    box.appendChild(el("div", {}, el("span", { class: "km-swatch km-partial" }), "District held in part (bold dashed outline)"));
    box.appendChild(el("div", {}, el("span", { class: "km-swatch km-nkao" }), "Former NKAO (1923-1991), dotted"));
    for (const status of DATA.roadStatuses) {
      const style = DATA.roadStyles[status];
      const svg = svgEl("svg", { width: 34, height: 10, "aria-hidden": "true" });
      svg.appendChild(svgEl("line", { x1: 0, y1: 5, x2: 34, y2: 5, stroke: style.color,
        "stroke-width": Math.min(style.weight, 5), "stroke-dasharray": style.dashArray }));
      box.appendChild(el("div", {}, svg, " Road: " + DATA.roadStatusLabels[status]));
    }
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  };
  legend.addTo(map);

  // ------------------------------------------------------------------ background tiles (opt-in)

  const osm = L.tileLayer(DATA.tiles.osm.url, { attribution: DATA.tiles.osm.attribution, maxZoom: 19 });

  function setTiles(name) {
    state.tiles = name;
    if (name === "osm") osm.addTo(map);
    else osm.remove();
  }

  // ------------------------------------------------------------------ recolouring for the date

  function updateLayers() {
    const iso = state.date;
    for (const { zone, layer } of zoneLayers) {
      const shown = zoneShown(zone, iso);
      if (shown !== layer.kmShown) {
        layer.kmShown = shown;
        if (shown) groups.zones.addLayer(layer);
        else groups.zones.removeLayer(layer);
      }
      const controller = zoneController(zone, iso);
      if (controller !== layer.kmController) {
        layer.kmController = controller;
        layer.setStyle(zoneStyle(controller, false));
      }
    }
    for (const item of regionLayers) {
      const partial = item.place.kind === "district" && isPartial(stateAt(item.place.id, iso));
      if (partial !== item.partial) {
        item.partial = partial;
        item.layer.setStyle({ weight: partial ? 3 : 1, dashArray: partial ? "6 4" : null });
      }
    }
    const pkIndex = peacekeepingShape(iso);
    if (pkIndex !== shownPeacekeeping) {
      groups.peacekeeping.clearLayers();
      if (pkIndex >= 0) groups.peacekeeping.addLayer(peacekeepingLayers[pkIndex]);
      shownPeacekeeping = pkIndex;
    }
    for (const item of roadLayers) {
      const visible = roadVisible(item.place, iso);
      const status = stateAt(item.place.id, iso).r || "open";
      if (status !== item.status) {
        item.status = status;
        item.layer.setStyle(roadStyle(status));
      }
      if (visible !== item.shown) {
        item.shown = visible;
        if (visible) groups.road.addLayer(item.layer);
        else groups.road.removeLayer(item.layer);
      }
    }
    for (const { place, layer } of settlementLayers) {
      const controller = stateAt(place.id, iso).c;
      if (controller !== layer.kmController) {
        layer.kmController = controller;
        layer.setStyle({ fillColor: COLOURS[controller] });
      }
    }
    drawSelection();
  }

  function updateLabels() {
    for (const { place, node } of labelMarkers) node.textContent = label(place.id);
  }

  function refreshTooltips() {
    for (const layer of openTooltips) if (layer.getTooltip()) layer.getTooltip().update();
  }

  // ------------------------------------------------------------------ the place panel (panel.py)

  const panelBox = document.getElementById("place-panel");

  function nearestEvents(indices, iso) { // the last event on or before the date and the first after
    const before = indices.filter((i) => EVENTS[i].date <= iso);
    const after = indices.filter((i) => EVENTS[i].date > iso);
    return new Set([...before.slice(-1), ...after.slice(0, 1)]);
  }

  function controlSummary(placeId, entry) { // panel.control_summary
    let text;
    if (entry.sh && isPartial(entry)) {
      const parts = sortedShare(entry.sh).map((c) => `${LABELS[c]} ${percent(entry.sh[c])}`);
      text = `On ${longDate(state.date)}, held in part: ${parts.join(", ")} of its area`;
    } else {
      text = `On ${longDate(state.date)}, held by ${LABELS[entry.c]}`;
    }
    if (entry.s) {
      text += `, since ${longDate(entry.s)}`;
      if (entry.e !== undefined) text += ` (${EVENTS[entry.e].title})`;
    } else {
      text += ", unchanged since the start of the record (1988)";
    }
    if (entry.pk) text += "; inside the Russian peacekeeping zone";
    if (entry.r) text += `; road status: ${entry.r}`;
    return text + ".";
  }

  function sourceNodes(event) {
    const nodes = [];
    for (const sid of event.sources) {
      const source = SOURCES.get(sid);
      if (!source) continue;
      if (nodes.length) nodes.push("; ");
      const url = safeUrl(source.url);
      nodes.push(url
        ? el("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: source.title })
        : el("span", { class: "km-source", text: source.title }));
      const who = [source.author, source.publisher, source.date].filter(Boolean).join(", ");
      if (who) nodes.push(` (${who})`);
    }
    return nodes;
  }

  function eventItem(index, nearest) {
    const e = EVENTS[index];
    const future = e.date > state.date;
    const change = e.after ? ` — ${LABELS[e.before]} → ${LABELS[e.after]}` : "";
    const item = el("li", { class: "km-event" + (nearest ? " nearest" : "") + (future ? " future" : ""),
      "data-event": e.id },
    el("strong", { text: (nearest ? "▶ " : "") + e.date }),
    e.precision === "day" ? "" : ` (${e.precision} precision)`,
    ": ", e.title, change,
    el("p", { class: "km-description", text: e.description }));
    for (const [date, sid] of e.alt || []) {
      const source = SOURCES.get(sid);
      if (source) item.appendChild(el("p", { class: "km-alt" }, el("em", { text: `Other date given: ${date} by ${source.title}` })));
    }
    item.appendChild(el("p", { class: "km-sources" }, el("small", {}, "Sources: ", sourceNodes(e))));
    return item;
  }

  function renderPanel() {
    clear(panelBox);
    if (!state.place) {
      panelBox.appendChild(el("h2", { id: "place-title", text: "Click a place on the map" }));
      panelBox.appendChild(el("p", { class: "caption", text: "or find it by any of its names in the sidebar." }));
      return;
    }
    const place = PLACES.get(state.place);
    const entry = stateAt(place.id, state.date);
    append(panelBox, [
      el("h2", { id: "place-title", text: label(place.id) }),
      el("p", { class: "caption", text: `${place.kind} · ${place.id}` }),
      el("p", { id: "place-summary", "data-testid": "place-controller", class: "km-controller",
        text: controlSummary(place.id, entry) }),
    ]);
    if (entry.sh) { // regions: the share of the area held by each side
      const table = el("table", { class: "km-share", "aria-label": "Share of the area held" });
      for (const c of sortedShare(entry.sh)) {
        const bar = el("span", { class: "km-bar" });
        bar.style.width = (entry.sh[c] * 100).toFixed(1) + "%";
        bar.style.background = COLOURS[c];
        table.appendChild(el("tr", {}, el("td", { text: LABELS[c] }), el("td", { class: "km-bar-cell" }, bar),
          el("td", { class: "num", text: percent(entry.sh[c]) })));
      }
      panelBox.appendChild(table);
    }
    const names = el("dl", { class: "km-names" });
    for (const [attr, title] of DATA.nameLabels) {
      append(names, [el("dt", { text: title }), el("dd", { text: place.names[attr] || "—" })]);
    }
    panelBox.appendChild(names);
    if (place.names.alt.length) {
      panelBox.appendChild(el("p", { class: "caption", text: "Also written: " + place.names.alt.join(", ") }));
    }
    panelBox.appendChild(el("h3", { text: "History" }));
    if (!place.events.length) {
      panelBox.appendChild(el("p", { class: "caption", text: "No recorded event names this place." }));
    } else {
      const nearest = nearestEvents(place.events, state.date);
      const list = el("ol", { class: "km-history" });
      for (const index of place.events) list.appendChild(eventItem(index, nearest.has(index)));
      panelBox.appendChild(list);
    }
    panelBox.appendChild(el("button", { type: "button", id: "clear-selection", text: "Clear selection",
      onclick: () => selectPlace(null) }));
  }

  // "What changed since the previous key date", as in the app.
  const changesBox = document.getElementById("changes");

  function previousKeyDate(iso) {
    const earlier = DATA.keyDates.map((k) => k[1]).filter((d) => d < iso);
    return earlier.length ? earlier.reduce((a, b) => (a > b ? a : b)) : "1987-12-31";
  }

  function renderChanges() {
    clear(changesBox);
    const since = previousKeyDate(state.date);
    const changes = EVENTS.filter((e) => since < e.date && e.date <= state.date);
    changesBox.appendChild(el("h3", { text: `What changed since ${since >= START ? since : "the start"}` }));
    if (!changes.length) {
      changesBox.appendChild(el("p", { class: "caption", text: "No recorded event in this period." }));
      return;
    }
    const list = el("ul", { class: "km-changes" });
    for (const e of changes.slice(-25)) {
      const target = e.places.find((id) => PLACES.has(id)) || null;
      list.appendChild(el("li", {}, el("button", { type: "button", class: "link",
        onclick: () => { selectPlace(target); setDate(e.date); } }, `${e.date} · ${e.title}`)));
    }
    changesBox.appendChild(list);
    if (changes.length > 25) {
      changesBox.appendChild(el("p", { class: "caption", text: `... and ${changes.length - 25} earlier events in this period.` }));
    }
  }

  // ------------------------------------------------------------------ the sidebar controls

  const slider = document.getElementById("date-slider");
  const dateInput = document.getElementById("date-input");
  const dateHeading = document.getElementById("date-heading");
  const areaHeld = document.getElementById("area-held");
  const playButton = document.getElementById("play");
  const keySelect = document.getElementById("key-dates");
  const searchInput = document.getElementById("search");
  const searchResults = document.getElementById("search-results");

  slider.min = "0";
  slider.max = String(END_DAY - START_DAY);
  dateInput.min = START;
  dateInput.max = END;

  keySelect.appendChild(el("option", { value: "", text: "—" }));
  for (const [title, iso] of DATA.keyDates) keySelect.appendChild(el("option", { value: iso, text: title }));

  function renderDateControls() {
    slider.value = String(isoToDay(state.date) - START_DAY);
    slider.setAttribute("aria-valuetext", state.date);
    dateInput.value = state.date;
    dateHeading.textContent = `Control on ${longDate(state.date)}`;
    const held = areaByController(state.date);
    areaHeld.textContent = "Area held in the mapped districts: " + DATA.controllers.filter((c) => held[c] >= 0.5)
      .map((c) => `${LABELS[c]} ${Math.round(held[c]).toLocaleString("en-GB")} km²`).join(" · ");
  }

  const layerBox = document.getElementById("layers");
  for (const [key, title] of Object.entries(DATA.layerNames)) {
    const box = el("input", { type: "checkbox", value: key, checked: true,
      onchange: (event) => (event.target.checked ? groups[key].addTo(map) : groups[key].remove()) });
    layerBox.appendChild(el("label", {}, box, " " + title));
  }

  for (const radio of document.querySelectorAll('input[name="tiles"]')) {
    radio.addEventListener("change", () => radio.checked && setTiles(radio.value));
  }
  for (const radio of document.querySelectorAll('input[name="names"]')) {
    radio.checked = radio.value === state.names;
    radio.addEventListener("change", () => {
      if (!radio.checked) return;
      state.names = radio.value;
      updateLabels();
      renderSearch();
      renderPanel();
      refreshTooltips();
      writeUrl();
    });
  }

  document.getElementById("attribution").textContent = DATA.attribution;

  function renderSearch() {
    clear(searchResults);
    const query = searchInput.value;
    if (!query.trim()) return;
    const found = searchPlaces(query, 8);
    if (!found.length) {
      searchResults.appendChild(el("p", { class: "caption", text: `No place matches ${pyRepr(query)}.` }));
      return;
    }
    for (const id of found) {
      searchResults.appendChild(el("button", { type: "button", class: "link", "data-place": id,
        onclick: () => selectPlace(id) }, `${label(id)} (${PLACES.get(id).kind})`));
    }
  }
  searchInput.addEventListener("input", renderSearch);

  // ------------------------------------------------------------------ notices

  function showNotices(notices) {
    const box = document.getElementById("notices");
    clear(box);
    box.hidden = !notices.length;
    for (const text of notices) box.appendChild(el("p", { class: "km-notice", text }));
    if (notices.length) {
      box.appendChild(el("button", { type: "button", class: "link", text: "Dismiss",
        onclick: () => { box.hidden = true; } }));
    }
  }

  // ------------------------------------------------------------------ state changes

  function writeUrl() {
    const query = viewToQuery(state);
    if (window.location.search === "?" + query) return;
    try {
      window.history.replaceState(null, "", "?" + query + window.location.hash);
    } catch (err) {
      // Some browsers refuse history changes on file:// pages; the view still works, only the link is stale.
    }
  }

  function setDate(iso) {
    const next = clampDate(iso);
    if (next === state.date) return;
    state.date = next;
    renderDate();
  }

  function renderDate() {
    renderDateControls();
    updateLayers();
    renderPanel();
    renderChanges();
    refreshTooltips();
    writeUrl();
  }

  function selectPlace(placeId) {
    state.place = placeId && PLACES.has(placeId) ? placeId : null;
    drawSelection();
    renderPanel();
    writeUrl();
  }

  function stepEvent(direction) {
    const target = direction > 0 ? nextEventDate(state.date) : previousEventDate(state.date);
    if (target) setDate(target);
    return target;
  }

  function setPlaying(playing) {
    state.playing = playing;
    playButton.textContent = playing ? "❚❚ Pause" : "▶ Play";
    playButton.setAttribute("aria-pressed", String(playing));
    if (state.timer) window.clearInterval(state.timer);
    state.timer = null;
    if (playing) {
      state.timer = window.setInterval(() => {
        if (!stepEvent(1)) setPlaying(false); // the last recorded event: stop
      }, 800);
    }
  }

  slider.addEventListener("input", () => setDate(dayToIso(START_DAY + Number(slider.value))));
  dateInput.addEventListener("change", () => {
    if (isIsoDate(dateInput.value)) setDate(dateInput.value);
    else dateInput.value = state.date;
  });
  document.getElementById("prev-event").addEventListener("click", () => stepEvent(-1));
  document.getElementById("next-event").addEventListener("click", () => stepEvent(1));
  playButton.addEventListener("click", () => setPlaying(!state.playing));
  keySelect.addEventListener("change", () => {
    if (keySelect.value) setDate(keySelect.value);
    keySelect.value = "";
  });

  map.on("moveend", () => {
    const center = map.getCenter();
    // Kept within the ranges the URL accepts, so that a shared link never opens with a notice.
    state.lat = Math.min(Math.max(round5(center.lat), RANGES.lat[0]), RANGES.lat[1]);
    state.lon = Math.min(Math.max(round5(center.lng), RANGES.lon[0]), RANGES.lon[1]);
    state.zoom = map.getZoom();
    writeUrl();
  });

  // ------------------------------------------------------------------ start

  showNotices(parsed.notices);
  updateLabels();
  renderDate();
  document.body.setAttribute("data-ready", "true");

  // A read-only handle for debugging and tests: the same answers the page draws.
  window.karabakhMap = Object.freeze({
    map,
    stateAt,
    zoneController: (zoneId, iso) => zoneController(ZONES.find((z) => z.id === zoneId), iso),
    zoneControllers: (iso) => Object.fromEntries(ZONES.map((z) => [z.id, zoneController(z, iso)])),
    peacekeepingShape,
    resolvePlace,
    searchPlaces,
    fold,
    foldAzerbaijani,
    parseView,
    viewToQuery,
    state: () => ({ date: state.date, place: state.place, names: state.names, lat: state.lat, lon: state.lon,
      zoom: state.zoom }),
    setDate,
    selectPlace,
  });
})();
