/* Karabakh control map: the one map client, for the Streamlit app (in an iframe) and the export.
 *
 * karabakh_map/mapclient.py builds the page and calls KarabakhMapClient.start(map, DATA, OPTIONS).
 * DATA holds every place's *state track* (see mapclient.py's docstring): the state on a date is a
 * binary search, never a rule computed here.  The page restyles the layers for any date within
 * one animation frame and marks the map's container with data-painted-date in that frame.
 *
 * In an iframe it talks to its host by postMessage (PROTOCOL: "ready", "date" on release, step,
 * pause, typed date, tick or Prev/Next, never per frame; "select"; "view"), and obeys the host's
 * {type: "set"}.  Standalone (the export) it reads and writes the query string (view.py's rules).
 *
 * Security: strings from data are shown with textContent; the only HTML parsed is the panel's
 * event entries, which Python (panel.history_entry_html) escaped.  Links are http(s) only.
 */
(function () {
  "use strict";

  // ================================================================== the engine (no DOM)
  // Pure functions over DATA, also loaded by Node in tests/test_mapclient.py.

  const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December"];
  const DAY_MS = 86400000;

  function pad(n, width) { return String(n).padStart(width, "0"); }

  function isoToDay(iso) {
    return Math.round(Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10)) / DAY_MS);
  }

  function dayToIso(day) {
    const d = new Date(day * DAY_MS);
    return pad(d.getUTCFullYear(), 4) + "-" + pad(d.getUTCMonth() + 1, 2) + "-" + pad(d.getUTCDate(), 2);
  }

  function addMonths(iso, months) { // the same day n months on, clipped to the month's end
    const y = +iso.slice(0, 4);
    const m = +iso.slice(5, 7) - 1 + months;
    const year = y + Math.floor(m / 12);
    const month = ((m % 12) + 12) % 12;
    const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
    return pad(year, 4) + "-" + pad(month + 1, 2) + "-" + pad(Math.min(+iso.slice(8, 10), last), 2);
  }

  function todayIso() { // the reader's today, in their time zone, like date.today() in the app
    const now = new Date();
    return pad(now.getFullYear(), 4) + "-" + pad(now.getMonth() + 1, 2) + "-" + pad(now.getDate(), 2);
  }

  function isIsoDate(text) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
    const day = isoToDay(text);
    return Number.isFinite(day) && dayToIso(day) === text; // rejects 2021-02-30
  }

  function longDate(iso) { // panel.long_date: "1 August 1993"
    return String(+iso.slice(8, 10)) + " " + MONTHS[+iso.slice(5, 7) - 1] + " " + iso.slice(0, 4);
  }

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
  const itself = (x) => x;

  /** names.fold and names.fold_azerbaijani from the tables Python generates (names.folding_tables):
   *  a text's fold is its characters' pieces (a listed piece, else the lower case), joined, split at
   *  spaces, the non-empty parts joined by one space.  No folding rule of its own lives here. */
  function makeFolding(tables) {
    const FOLD = new Map(tables.fold);
    const CASEFOLD = new Map(tables.casefold);
    const AZ_TO_ENGLISH = new Map(tables.azToEnglish);
    const pieces = (text, table) => Array.from(text, (ch) => (table.has(ch) ? table.get(ch) : ch.toLowerCase())).join("");
    function fold(text) {
      return pieces(text, FOLD).split(" ").filter(Boolean).join(" ");
    }
    function foldAzerbaijani(text) { // "Xocalı" -> "khojali"
      return fold(Array.from(pieces(text, CASEFOLD), (ch) => (AZ_TO_ENGLISH.has(ch) ? AZ_TO_ENGLISH.get(ch) : ch)).join(""));
    }
    return { fold, foldAzerbaijani };
  }

  function makeEngine(DATA, today) {
    // The app's page carries no name data (its search and links are Python's): nothing to look up there.
    const NAMES = DATA.folding ? DATA : { folding: { fold: [], casefold: [], azToEnglish: [] }, nameIndex: [],
      nameRules: { specificity: [], adminWords: [], adminLayers: [] } };
    const { fold, foldAzerbaijani } = makeFolding(NAMES.folding);
    const PLACES = new Map(DATA.places.map((p) => [p.id, p]));
    const NAME_INDEX = new Map(NAMES.nameIndex);
    const EVENT_DATES = DATA.eventDates;
    const START = DATA.historyStart;
    const END = today < START ? START : today;

    function stateAt(placeId, iso) {
      const place = PLACES.get(placeId);
      const index = lastAtOrBefore(place.t, iso, byDay);
      return index < 0 ? place.i : place.t[index];
    }

    function zoneController(zone, iso) {
      if (zone.t) {
        const index = lastAtOrBefore(zone.t, iso, byFirst);
        return index < 0 ? zone.i : zone.t[index][1];
      }
      return stateAt(zone.f, iso).c;
    }

    function zoneShown(zone, iso) { // zones of one front-line period carry from/to
      return (!zone.from || zone.from <= iso) && (!zone.to || iso <= zone.to);
    }

    function zoneClaimed(zone, iso) {
      return zone.t ? false : Boolean(stateAt(zone.f, iso).st);
    }

    function frontLineShown(line, iso) { // a track computed from FrontLine.valid_on in Python
      const index = lastAtOrBefore(line.t, iso, byFirst);
      return Boolean(index < 0 ? line.i : line.t[index][1]);
    }

    function roadVisible(place, iso) {
      return (!place.from || place.from <= iso) && (!place.to || iso <= place.to);
    }

    function peacekeepingShape(iso) {
      const pk = DATA.peacekeeping;
      const index = lastAtOrBefore(pk.t, iso, byFirst);
      return index < 0 ? pk.i : pk.t[index][1];
    }

    function previousEventDate(iso) { // the last event day strictly before
      const index = lastAtOrBefore(EVENT_DATES, iso, itself);
      const i = EVENT_DATES[index] === iso ? index - 1 : index;
      return i >= 0 ? EVENT_DATES[i] : null;
    }

    function nextEventDate(iso) { // the first event day strictly after
      const index = lastAtOrBefore(EVENT_DATES, iso, itself) + 1;
      return index < EVENT_DATES.length ? EVENT_DATES[index] : null;
    }

    // names._specificity, names.ADMIN_WORDS (folded) and ADMIN_LAYERS, as Python gives them
    const SPECIFICITY = new Map(NAMES.nameRules.specificity.map((layer, i) => [layer, i]));
    function bySpecificity(a, b) {
      const ka = SPECIFICITY.get(a.split("-", 1)[0]) ?? SPECIFICITY.size;
      const kb = SPECIFICITY.get(b.split("-", 1)[0]) ?? SPECIFICITY.size;
      return ka - kb || (a < b ? -1 : a > b ? 1 : 0);
    }
    // "Aghdam District", "Füzuli rayonu" ask for the district only.
    const ADMIN_WORDS = new Set(NAMES.nameRules.adminWords);
    const ADMIN_LAYERS = new Set(NAMES.nameRules.adminLayers);

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

    /** Catalog.matches: every place a query can mean, the one resolvePlace gives first; with a
     *  date, the route of a road in use that day comes first. */
    function matchPlaces(query, iso) {
      const text = (query || "").trim();
      if (PLACES.has(text)) return [text];
      const found = lookup(text);
      if (!iso || !found.some((id) => PLACES.get(id).layer === "road")) return found;
      const key = (id) => {
        const place = PLACES.get(id);
        if (place.layer !== "road") return [1, 0];
        const start = place.from ? isoToDay(place.from) : -Infinity;
        const end = place.to ? isoToDay(place.to) : Infinity;
        const at = isoToDay(iso);
        if (start <= at && at <= end) return [0, -start];
        return [2, at < start ? start - at : at - end];
      };
      return found.map((id, i) => [key(id), i, id])
        .sort((a, b) => a[0][0] - b[0][0] || a[0][1] - b[0][1] || a[1] - b[1]).map((x) => x[2]);
    }

    /** Catalog.resolve: the place an id or any name variant refers to, or null. */
    function resolvePlace(query, iso) {
      return matchPlaces(query, iso)[0] || null;
    }

    /** NameIndex.search: places whose names match, start with or contain the query. */
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

    // ---------------------------------------------------------------- the query string (view.py)
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

    function pyFloat(x) { return Number.isInteger(x) ? x.toFixed(1) : String(x); }
    function round5(x) { return Math.round(x * 1e5) / 1e5; }

    /** view.parse_view: the view a query string asks for, and a notice for every ignored value. */
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

    function formatCoordinate(x) { return x.toFixed(5).replace(/0+$/, "").replace(/\.$/, ""); }

    /** view.view_to_params: the date always; the rest only when it differs from the default. */
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

    return { PLACES, START, END, fold, foldAzerbaijani, stateAt, zoneController, zoneShown, zoneClaimed, frontLineShown, roadVisible, peacekeepingShape,
      previousEventDate, nextEventDate, resolvePlace, searchPlaces, parseView, viewToQuery, pyRepr, round5 };
  }

  const pure = { makeEngine, makeFolding, longDate, isIsoDate, isoToDay, dayToIso, addMonths };
  if (typeof module !== "undefined" && module.exports) { // Node, for the parity tests
    module.exports = pure;
    return;
  }

  // ================================================================== the page

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  /** Nodes from HTML that Python escaped (panel.history_entry_html); a <template> runs nothing. */
  function trustedFragment(html) {
    const template = document.createElement("template");
    template.innerHTML = html;
    return template.content;
  }

  function rgba(hex, alpha) {
    const n = parseInt(hex.slice(1), 16);
    return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
  }

  function start(map, DATA, OPTIONS) {
    const engine = makeEngine(DATA, todayIso());
    const { PLACES, START, END } = engine;
    const START_DAY = isoToDay(START);
    const END_DAY = isoToDay(END);
    const LABELS = DATA.controllerLabels;
    const COLOURS = DATA.colours;
    const OPACITY = DATA.opacity;
    const EVENTS = DATA.events;
    const ZONES = DATA.zones;
    const embedded = window.parent !== window;
    const standalone = Boolean(OPTIONS.standalone) && !embedded;
    const container = map.getContainer();

    let notices = [];
    const initial = { date: OPTIONS.date, place: OPTIONS.place, names: OPTIONS.names, lat: OPTIONS.lat,
      lon: OPTIONS.lon, zoom: OPTIONS.zoom };
    if (standalone && window.location.search) {
      const parsed = engine.parseView(window.location.search);
      Object.assign(initial, parsed.view);
      notices = parsed.notices;
    }
    const state = { date: clampDate(initial.date), place: initial.place && PLACES.has(initial.place) ? initial.place : null,
      names: initial.names, lat: initial.lat, lon: initial.lon, zoom: initial.zoom, painted: null,
      playing: false, timer: null, range: "all" };
    map.setView([state.lat, state.lon], state.zoom, { animate: false });

    function clampDate(iso) { return iso < START ? START : iso > END ? END : iso; }
    function label(placeId) { return PLACES.get(placeId).label[state.names]; }

    // ---------------------------------------------------------------- messages to the host
    function post(message) {
      if (!embedded) return;
      try {
        window.parent.postMessage(Object.assign({ source: "karabakh-map" }, message), "*");
      } catch (err) { /* a host that went away */ }
    }
    let stepTimer = null;
    function postDate(reason) {
      if (reason === null) return; // set by the host: no echo
      if (reason === "step" && !OPTIONS.serverPaint) { // keyboard steps: debounced
        window.clearTimeout(stepTimer);
        stepTimer = window.setTimeout(() => post({ type: "date", date: state.date, reason }), 150);
        return;
      }
      post({ type: "date", date: state.date, reason });
    }

    // ---------------------------------------------------------------- canvas panes and patterns
    container.classList.add("km-map");
    container.setAttribute("tabindex", "0");
    container.setAttribute("aria-label", "Map of territorial control; use the date slider below to change the date");
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution("Data: see the sources of each event");

    // The context (countries, lake, river) and its names lie beneath every control layer.
    const PANES = ["context", "contextLabels", "zones", "frontLines", "peacekeeping", "districts", "nkao", "road",
      "selection", "settlements", "labels"];
    const renderers = {};
    PANES.forEach((name, i) => {
      const pane = map.createPane("km-" + name);
      pane.style.zIndex = String(408 + i);
      if (name === "labels" || name === "selection" || name === "context" || name === "contextLabels") {
        pane.style.pointerEvents = "none";
      }
      if (name !== "labels" && name !== "contextLabels") renderers[name] = L.canvas({ pane: "km-" + name, tolerance: 3 });
    });

    // Leaflet's canvas renderer hears only the events on its own canvas, and the canvas of a higher
    // pane covers every lower one: so no canvas takes events (mapclient.css), and the container
    // hands each pointer event to the highest renderer with an interactive layer under the pointer
    // (a zone or a front line under the settlements' canvas still gets its tooltip and click).
    const HIT_ORDER = PANES.filter((name) => renderers[name]).reverse().map((name) => renderers[name]);
    function rendererUnder(event) {
      if (event.target && event.target.closest && event.target.closest(".leaflet-control")) return null;
      const point = map.mouseEventToLayerPoint(event);
      for (const renderer of HIT_ORDER) {
        if (!renderer._map) continue;
        for (let order = renderer._drawFirst; order; order = order.next) {
          const layer = order.layer;
          if (layer.options.interactive && layer._containsPoint(point)) return renderer;
        }
      }
      return null;
    }
    let hoveredRenderer = null;
    L.DomEvent.on(container, "mousemove", (event) => {
      const renderer = map.dragging && map.dragging.moving() ? null : rendererUnder(event);
      if (hoveredRenderer && hoveredRenderer !== renderer) hoveredRenderer._handleMouseOut(event);
      hoveredRenderer = renderer;
      container.classList.toggle("km-pointer", Boolean(renderer));
      if (renderer) renderer._onMouseMove(event);
    });
    L.DomEvent.on(container, "mouseout", (event) => {
      if (event.relatedTarget && container.contains(event.relatedTarget)) return;
      if (hoveredRenderer) hoveredRenderer._handleMouseOut(event);
      hoveredRenderer = null;
    });
    L.DomEvent.on(container, "click dblclick mousedown mouseup contextmenu", (event) => {
      const renderer = rendererUnder(event);
      if (renderer) renderer._onClick(event);
    });

    /** A diagonal hatch as a canvas tile: the fill pattern of contested and claimed areas. */
    function hatchTile(colour, solid) {
      const tile = document.createElement("canvas");
      tile.width = tile.height = 8;
      const ctx = tile.getContext("2d");
      if (solid) { ctx.fillStyle = colour; ctx.fillRect(0, 0, 8, 8); }
      ctx.strokeStyle = solid ? "rgba(255,255,255,0.55)" : colour;
      ctx.lineWidth = solid ? 1.5 : 3;
      ctx.beginPath();
      for (const o of [-8, 0, 8]) { ctx.moveTo(o, 8); ctx.lineTo(o + 8, 0); }
      ctx.stroke();
      return tile;
    }
    const patternContext = document.createElement("canvas").getContext("2d");
    const fills = {}; // controller -> {plain, hatched(claimed)}; contested is always hatched
    const tiles = {};
    for (const c of DATA.controllers) {
      tiles[c] = { plain: c === "contested" ? hatchTile(COLOURS[c], true) : null, claimed: hatchTile(COLOURS[c], false) };
      fills[c] = {
        plain: tiles[c].plain ? patternContext.createPattern(tiles[c].plain, "repeat") : COLOURS[c],
        claimed: patternContext.createPattern(tiles[c].claimed, "repeat"),
      };
    }

    // ---------------------------------------------------------------- layers
    function latLngs(geometry) {
      const levels = { Polygon: 1, MultiPolygon: 2, LineString: 0, MultiLineString: 1 }[geometry.type];
      return L.GeoJSON.coordsToLatLngs(geometry.coordinates, levels);
    }
    function shape(geometry, options) {
      if (geometry.type === "Polygon" || geometry.type === "MultiPolygon") return L.polygon(latLngs(geometry), options);
      return L.polyline(latLngs(geometry), options);
    }
    function tooltipOf(lines) {
      return () => {
        const box = el("div", { class: "km-tooltip" });
        lines().forEach((line, i) => box.appendChild(el(i === 0 ? "strong" : "div", { text: line })));
        return box;
      };
    }
    const openTooltips = new Set();
    function bindTooltip(layer, lines, options) {
      layer.bindTooltip(tooltipOf(lines), Object.assign({ sticky: true, direction: "top" }, options || {}));
      layer.on("tooltipopen", () => openTooltips.add(layer));
      layer.on("tooltipclose", () => openTooltips.delete(layer));
    }
    function shareText(entry) {
      if (!entry.sh) return LABELS[entry.c];
      return DATA.controllers.filter((c) => entry.sh[c] > 0).sort((a, b) => entry.sh[b] - entry.sh[a])
        .map((c) => `${LABELS[c]} ${Math.round(entry.sh[c] * 100)}%`).join(", ");
    }

    const groups = {};
    for (const key of Object.keys(DATA.layerNames)) groups[key] = L.layerGroup();

    function zoneStyle(controller, claimed) {
      return { fillColor: claimed ? fills[controller].claimed : fills[controller].plain, fillOpacity: OPACITY[controller],
        color: COLOURS[controller], weight: 0.4, opacity: 0.6 };
    }
    const zoneLayers = ZONES.map((zone) => {
      const layer = shape(zone.geometry, Object.assign({ renderer: renderers.zones, pane: "km-zones" }, zoneStyle("azerbaijan", false)));
      bindTooltip(layer, () => [label(zone.region),
        `This part: ${LABELS[engine.zoneController(zone, state.date)]}${engine.zoneClaimed(zone, state.date) ? " (claimed)" : ""}`,
        `${PLACES.get(zone.region).kind}: ${shareText(engine.stateAt(zone.region, state.date))}`]);
      layer.on("click", () => select(zone.region, "click"));
      return { zone, layer, key: null, shown: false };
    });

    const pkStyle = DATA.peacekeepingStyle;
    const peacekeepingLayers = DATA.peacekeeping.shapes.map((geometry) => {
      const layer = shape(geometry, { renderer: renderers.peacekeeping, pane: "km-peacekeeping", color: pkStyle.color,
        weight: pkStyle.weight, dashArray: pkStyle.dashArray, fill: false, interactive: false });
      return layer;
    });
    let shownPeacekeeping = -1;

    const regionLayers = DATA.places.filter((p) => p.layer === "region" && p.kind !== "oblast" && p.geometry)
      .map((place) => {
        const layer = shape(place.geometry, { renderer: renderers.districts, pane: "km-districts", color: "#333333",
          weight: 1, fill: false, interactive: false });
        groups.districts.addLayer(layer);
        return { place, layer, partial: null };
      });

    const nkao = PLACES.get("region-nkao");
    if (nkao && nkao.geometry) {
      const ns = DATA.nkaoStyle;
      const layer = shape(nkao.geometry, { renderer: renderers.nkao, pane: "km-nkao", color: ns.color, weight: ns.weight,
        dashArray: ns.dashArray, fill: false });
      bindTooltip(layer, () => [label(nkao.id), shareText(engine.stateAt(nkao.id, state.date))]);
      layer.on("click", () => select(nkao.id, "click"));
      groups.nkao.addLayer(layer);
    }

    // Dated front lines: a casing and the line, shown only on the days their track says.
    const flStyle = DATA.frontLineStyle;
    const frontLineLayers = DATA.frontLines.map((line) => {
      const casing = shape(line.geometry, { renderer: renderers.frontLines, pane: "km-frontLines", color: flStyle.casing,
        weight: flStyle.casingWeight, opacity: 0.85, interactive: false, lineCap: "round", lineJoin: "round" });
      const layer = shape(line.geometry, { renderer: renderers.frontLines, pane: "km-frontLines", color: flStyle.color,
        weight: flStyle.weight, opacity: 1, lineCap: "round", lineJoin: "round" });
      bindTooltip(layer, () => [line.title, line.dates]);
      const group = L.layerGroup([casing, layer]);
      return { line, group, layer, shown: false };
    });

    // The offline context: the base layer "Plain", replaced by OpenStreetMap when that is chosen.
    const plain = L.layerGroup();
    const CONTEXT = DATA.context;
    const contextLayers = CONTEXT.features.map((feature) => {
      const style = CONTEXT.style[feature.kind] || {};
      const layer = shape(feature.geometry, Object.assign({ renderer: renderers.context, pane: "km-context",
        interactive: false, fill: false, stroke: style.stroke !== false }, style,
      feature.geometry.type.endsWith("Polygon") && style.fill !== false ? { fill: true } : {}));
      plain.addLayer(layer);
      if (feature.label && feature.kind !== "border") {
        const node = el("div", { class: "km-context-label km-context-" + feature.kind, text: feature.name });
        node.style.color = CONTEXT.labelColour;
        plain.addLayer(L.marker(feature.label, { pane: "km-contextLabels", interactive: false, keyboard: false,
          icon: L.divIcon({ html: node, className: "km-label-icon", iconSize: [140, 16], iconAnchor: [70, 8] }) }));
      }
      return { feature, layer };
    });

    function roadStyle(status) {
      const style = DATA.roadStyles[status];
      return { color: style.color, weight: style.weight, dashArray: style.dashArray, opacity: 0.95 };
    }
    const roadLayers = DATA.places.filter((p) => p.layer === "road").map((place) => {
      const layer = shape(place.geometry, Object.assign({ renderer: renderers.road, pane: "km-road" }, roadStyle("open")));
      bindTooltip(layer, () => [label(place.id), DATA.roadStatusLabels[engine.stateAt(place.id, state.date).r || "open"]]);
      layer.on("click", () => select(place.id, "click"));
      return { place, layer, status: "open", shown: false };
    });

    const RADIUS = { city: 7, town: 6 };
    const settlementLayers = DATA.places.filter((p) => p.layer === "settlement").map((place) => {
      const [lon, lat] = place.geometry;
      const layer = L.circleMarker([lat, lon], { renderer: renderers.settlements, pane: "km-settlements",
        radius: RADIUS[place.kind] || 4, weight: 1.5, color: "#111111", fill: true, fillOpacity: 1, fillColor: COLOURS.azerbaijan });
      bindTooltip(layer, () => {
        const entry = engine.stateAt(place.id, state.date);
        return [label(place.id), LABELS[entry.c] + (entry.st ? " (claimed)" : "")];
      }, { sticky: false });
      layer.on("click", () => select(place.id, "click"));
      groups.settlements.addLayer(layer);
      return { place, layer, key: null };
    });

    const labelMarkers = DATA.places.filter((p) => p.layer === "settlement" && p.kind === "city").map((place) => {
      const node = el("div", { class: "km-label", text: label(place.id) });
      const [lon, lat] = place.geometry;
      const marker = L.marker([lat, lon], { pane: "km-labels", interactive: false, keyboard: false,
        icon: L.divIcon({ html: node, className: "km-label-icon", iconSize: [160, 16], iconAnchor: [-6, 8] }) });
      groups.labels.addLayer(marker);
      return { place, node };
    });
    for (const key of Object.keys(groups)) groups[key].addTo(map);

    // Layers and the background: plain (offline, the context layer) by default; OpenStreetMap only when chosen.
    const osm = L.tileLayer(DATA.tiles.osm.url, { attribution: DATA.tiles.osm.attribution, maxZoom: 19 });
    plain.addTo(map);
    const overlays = {};
    for (const [key, title] of Object.entries(DATA.layerNames)) overlays[title] = groups[key];
    L.control.layers({ "Plain (works offline)": plain, "OpenStreetMap (online)": osm }, overlays,
      { position: "topleft", collapsed: true }).addTo(map);

    // ---------------------------------------------------------------- painting a date
    function restyle(iso) {
      for (const item of zoneLayers) {
        const shown = engine.zoneShown(item.zone, iso);
        if (shown !== item.shown) {
          item.shown = shown;
          if (shown) groups.zones.addLayer(item.layer);
          else groups.zones.removeLayer(item.layer);
        }
        if (!shown) continue;
        const controller = engine.zoneController(item.zone, iso);
        const claimed = engine.zoneClaimed(item.zone, iso);
        const key = controller + (claimed ? "*" : "");
        if (key !== item.key) {
          item.key = key;
          item.layer.setStyle(zoneStyle(controller, claimed));
        }
      }
      for (const item of regionLayers) {
        const entry = engine.stateAt(item.place.id, iso);
        const partial = item.place.kind === "district" && Boolean(entry.sh) &&
          Math.max(...Object.values(entry.sh)) < 1 - 1e-9;
        if (partial !== item.partial) {
          item.partial = partial;
          item.layer.setStyle({ weight: partial ? 3 : 1, dashArray: partial ? "6 4" : null });
        }
      }
      for (const item of frontLineLayers) {
        const shown = engine.frontLineShown(item.line, iso);
        if (shown !== item.shown) {
          item.shown = shown;
          if (shown) groups.frontLines.addLayer(item.group);
          else groups.frontLines.removeLayer(item.group);
        }
      }
      const pkIndex = engine.peacekeepingShape(iso);
      if (pkIndex !== shownPeacekeeping) {
        groups.peacekeeping.clearLayers();
        if (pkIndex >= 0) groups.peacekeeping.addLayer(peacekeepingLayers[pkIndex]);
        shownPeacekeeping = pkIndex;
      }
      for (const item of roadLayers) {
        const visible = engine.roadVisible(item.place, iso);
        const status = engine.stateAt(item.place.id, iso).r || "open";
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
      for (const item of settlementLayers) {
        const entry = engine.stateAt(item.place.id, iso);
        const key = entry.c + (entry.st ? "*" : "");
        if (key !== item.key) {
          item.key = key;
          item.layer.setStyle({ fillColor: entry.st ? fills[entry.c].claimed : fills[entry.c].plain });
        }
      }
      drawSelection();
    }

    /** Leaflet's canvas renderers redraw on their next animation frame: draw now, in this one. */
    function flushRenderers() {
      for (const renderer of Object.values(renderers)) {
        if (renderer._redrawRequest) {
          L.Util.cancelAnimFrame(renderer._redrawRequest);
          renderer._redraw();
        }
      }
    }

    let wanted = null;
    let frame = 0;
    const paintListeners = [];
    function paintFrame() {
      frame = 0;
      const iso = wanted;
      restyle(iso);
      flushRenderers();
      state.painted = iso;
      container.setAttribute("data-painted-date", iso);
      renderDateControls();
      for (const listener of paintListeners) listener(iso);
    }
    function requestPaint() {
      wanted = state.date;
      if (!frame) frame = window.requestAnimationFrame(paintFrame);
    }

    /** The one way the date changes: reason is what the host is told (null: the host set it). */
    function setDate(iso, reason) {
      const next = clampDate(iso);
      if (OPTIONS.serverPaint && reason !== null) { // the baseline: ask the server, paint its answer
        post({ type: "date", date: next, reason: reason === "drag" || reason === "play" ? "step" : reason });
        return;
      }
      const changed = next !== state.date;
      state.date = next;
      if (changed || state.painted !== next) requestPaint();
      if (reason && reason !== "drag" && reason !== "play") postDate(reason);
      scheduleUrl();
    }

    // ---------------------------------------------------------------- selection
    const selection = L.layerGroup().addTo(map);
    let selectionDrawn = null;
    function drawSelection() {
      const visibleKey = state.place && PLACES.get(state.place).layer === "road" ? engine.roadVisible(PLACES.get(state.place), state.date) : "";
      const key = state.place + "|" + visibleKey;
      if (key === selectionDrawn) return;
      selectionDrawn = key;
      selection.clearLayers();
      if (!state.place) return;
      const place = PLACES.get(state.place);
      const options = { renderer: renderers.selection, pane: "km-selection", interactive: false, fill: false };
      if (place.layer === "settlement") {
        const [lon, lat] = place.geometry;
        const radius = (RADIUS[place.kind] || 4) + 6;
        selection.addLayer(L.circleMarker([lat, lon], Object.assign({}, options, { radius, color: "#ffffff", weight: 6 })));
        selection.addLayer(L.circleMarker([lat, lon], Object.assign({}, options, { radius, color: "#D4145A", weight: 3 })));
      } else if (place.geometry && (place.layer !== "road" || engine.roadVisible(place, state.date))) {
        selection.addLayer(shape(place.geometry, Object.assign({}, options, { color: "#ffffff", weight: 7, opacity: 0.9 })));
        selection.addLayer(shape(place.geometry, Object.assign({}, options, { color: "#D4145A", weight: 3 })));
      }
    }

    /** Keep the selected place clear of the legend and the time control. */
    function panToPlace(placeId) {
      const place = PLACES.get(placeId);
      if (!place || !place.geometry) return;
      const size = map.getSize();
      const mapBox = container.getBoundingClientRect();
      const legendBox = legendNode.getBoundingClientRect();
      const timeBox = timeNode.getBoundingClientRect();
      const margin = 28; // the selection ring and a little air
      const topLeft = L.point(60, 40);
      const bottomRight = L.point(Math.min(mapBox.right - legendBox.left + margin, size.x / 2),
        Math.min(mapBox.bottom - timeBox.top + margin, size.y * 0.6));
      if (place.layer === "settlement") {
        const [lon, lat] = place.geometry;
        map.panInside([lat, lon], { paddingTopLeft: topLeft, paddingBottomRight: bottomRight, animate: false });
      } else {
        const bounds = L.latLngBounds(latLngs(place.geometry).flat(3));
        map.fitBounds(bounds, { paddingTopLeft: topLeft, paddingBottomRight: bottomRight, animate: false,
          maxZoom: Math.max(map.getZoom(), 8) });
      }
    }

    /** reason: "click" (tell the host), "host" (no echo), "search"/"url" (standalone). */
    function select(placeId, reason) {
      const next = placeId && PLACES.has(placeId) ? placeId : null;
      state.place = next;
      drawSelection();
      flushRenderers();
      if (next && reason !== "click" && reason !== "link" && reason !== "opening-link") panToPlace(next);
      // the host asked for it or built the page with it: telling it back would only cost a rerun
      if (reason !== "host" && reason !== "opening" && reason !== "opening-link") post({ type: "select", place_id: next });
      clearButton.hidden = !next;
      if (standalone) renderPanel();
      scheduleUrl();
    }

    // ---------------------------------------------------------------- legend (collapsible)
    const legendNode = el("details", { class: "km-legend" }, el("summary", { class: "km-legend-title", text: "Legend" }));
    legendNode.open = window.matchMedia("(min-width: 700px)").matches; // folded on a phone
    function swatch(c, kind) {
      const node = el("span", { class: "km-swatch", "data-controller": c });
      const tile = kind === "claimed" ? tiles[c].claimed : tiles[c].plain;
      // the fill exactly: the same colour or hatch, at the same opacity, on the map's white
      node.style.background = DATA.background;
      const inner = el("span", { class: "km-swatch-fill" });
      if (tile) inner.style.backgroundImage = `url(${tile.toDataURL()})`;
      else inner.style.background = COLOURS[c];
      inner.style.opacity = String(OPACITY[c]);
      node.appendChild(inner);
      return node;
    }
    for (const c of DATA.controllers) legendNode.appendChild(el("div", {}, swatch(c, "plain"), LABELS[c]));
    legendNode.appendChild(el("div", {}, swatch("azerbaijan", "claimed"), "Claimed only (hatched, claimant's colour)"));
    function lineSample(style) {
      const node = el("span", { class: "km-line-sample" });
      const canvas = el("canvas", { width: 34, height: 10, "aria-hidden": "true" });
      const ctx = canvas.getContext("2d");
      ctx.strokeStyle = style.color;
      ctx.lineWidth = Math.min(style.weight, 5);
      if (style.dashArray) ctx.setLineDash(style.dashArray.split(/[ ,]+/).map(Number));
      ctx.beginPath(); ctx.moveTo(0, 5); ctx.lineTo(34, 5); ctx.stroke();
      node.appendChild(canvas);
      return node;
    }
    legendNode.appendChild(el("div", { class: "km-legend-front-line" }, lineSample(flStyle), " Line of contact / front line"));
    legendNode.appendChild(el("div", {}, lineSample(pkStyle), " Peacekeeping zone (2020-2024)"));
    legendNode.appendChild(el("div", {}, lineSample(DATA.nkaoStyle), " Former NKAO border (1923-1991)"));
    legendNode.appendChild(el("div", {}, lineSample({ color: "#333333", weight: 3, dashArray: "6 4" }), " District held in part"));
    for (const status of DATA.roadStatuses) {
      legendNode.appendChild(el("div", {}, lineSample(DATA.roadStyles[status]), " Road: " + DATA.roadStatusLabels[status]));
    }
    const legend = L.control({ position: "topright" });
    legend.onAdd = () => {
      L.DomEvent.disableClickPropagation(legendNode);
      L.DomEvent.disableScrollPropagation(legendNode);
      return legendNode;
    };
    legend.addTo(map);

    // ---------------------------------------------------------------- the time control
    const dateStamp = el("div", { class: "km-date-stamp", "aria-hidden": "true" });
    const prevButton = el("button", { type: "button", id: "prev-event", title: "The previous recorded event",
      "aria-label": "Previous event" }, "◀", el("span", { class: "km-wide", text: " Prev" }));
    const nextButton = el("button", { type: "button", id: "next-event", title: "The next recorded event",
      "aria-label": "Next event" }, el("span", { class: "km-wide", text: "Next " }), "▶");
    const playButton = el("button", { type: "button", id: "play", "aria-pressed": "false", text: "▶ Play" });
    const speedSelect = el("select", { id: "play-speed", "aria-label": "Play speed" },
      el("option", { value: "event", text: "by event" }), el("option", { value: "month", text: "by month" }),
      el("option", { value: "year", text: "by year" }));
    const dateInput = el("input", { type: "text", id: "date-input", inputmode: "numeric", autocomplete: "off",
      placeholder: "YYYY-MM-DD", "aria-label": "Type a date (YYYY-MM-DD) and press Enter", size: 10, maxlength: 10 });
    const dateMessage = el("span", { id: "date-message", class: "km-date-message", role: "status" });
    const rangeButton = el("button", { type: "button", id: "range-toggle", "aria-pressed": "false",
      title: "Stretch the slider over the chosen year (2020 holds 97 events)", text: "Zoom to year" });
    const clearButton = el("button", { type: "button", id: "clear-selection", text: "✕ Clear selection", hidden: true });
    const slider = el("input", { type: "range", id: "date-slider", role: "slider", "aria-label": "Date", step: 1 });
    const density = el("canvas", { class: "km-density", "aria-hidden": "true", height: 14 });
    const ticks = el("div", { class: "km-ticks", "aria-hidden": "true" });
    const timeNode = el("div", { class: "km-time", role: "group", "aria-label": "Date control" },
      el("div", { class: "km-time-row" }, dateStamp, prevButton, playButton, speedSelect, nextButton, dateInput,
        rangeButton, clearButton, dateMessage),
      el("div", { class: "km-slider-wrap" }, density, ticks, slider));
    const timeControl = L.control({ position: "bottomleft" });
    timeControl.onAdd = () => {
      L.DomEvent.disableClickPropagation(timeNode);
      L.DomEvent.disableScrollPropagation(timeNode);
      return timeNode;
    };
    timeControl.addTo(map);

    function rangeBounds() {
      if (state.range === "all") return [START_DAY, END_DAY];
      const year = state.date.slice(0, 4);
      return [Math.max(START_DAY, isoToDay(`${year}-01-01`)), Math.min(END_DAY, isoToDay(`${year}-12-31`))];
    }
    let drawnRange = null;
    function renderRange() {
      const [low, high] = rangeBounds();
      const key = low + ":" + high;
      if (key === drawnRange) return;
      drawnRange = key;
      slider.min = String(low - START_DAY);
      slider.max = String(high - START_DAY);
      slider.setAttribute("aria-valuemin", String(low - START_DAY));
      slider.setAttribute("aria-valuemax", String(high - START_DAY));
      clear(ticks);
      const span = Math.max(1, high - low);
      const lowIso = dayToIso(low);
      const highIso = dayToIso(high);
      EVENTS.forEach((e, index) => {
        if (e.date < lowIso || e.date > highIso) return;
        const f = (isoToDay(e.date) - low) / span;
        const tick = el("span", { class: "km-tick" + (e.after ? " km-tick-control" : ""), "data-date": e.date,
          "data-event": e.id, title: `${e.date}: ${e.title}` });
        tick.style.left = `calc(8px + ${f} * (100% - 16px))`;
        ticks.appendChild(tick);
        tick.dataset.index = String(index);
      });
      drawDensity(low, high);
    }
    function drawDensity(low, high) {
      const width = Math.max(100, Math.round(density.getBoundingClientRect().width || 600));
      density.width = width;
      const ctx = density.getContext("2d");
      ctx.clearRect(0, 0, width, density.height);
      const usable = width - 16;
      const bins = new Array(Math.max(1, Math.floor(usable / 3))).fill(0);
      const span = Math.max(1, high - low);
      for (const e of EVENTS) {
        const day = isoToDay(e.date);
        if (day < low || day > high) continue;
        bins[Math.min(bins.length - 1, Math.floor(((day - low) / span) * bins.length))] += 1;
      }
      const most = Math.max(1, ...bins);
      ctx.fillStyle = "#7a4b00";
      bins.forEach((count, i) => {
        if (!count) return;
        const h = Math.max(2, Math.round((Math.sqrt(count) / Math.sqrt(most)) * density.height));
        ctx.fillRect(8 + (i * usable) / bins.length, density.height - h, Math.max(2, usable / bins.length - 0.5), h);
      });
    }

    function renderDateControls() {
      renderRange();
      const offset = isoToDay(state.date) - START_DAY;
      slider.value = String(offset);
      slider.setAttribute("aria-valuenow", String(offset));
      slider.setAttribute("aria-valuetext", state.date);
      if (document.activeElement !== dateInput) dateInput.value = state.date;
      dateStamp.textContent = longDate(state.date);
    }

    function sliderDate() { return dayToIso(START_DAY + Number(slider.value)); }
    slider.addEventListener("input", () => setDate(sliderDate(), "drag"));
    slider.addEventListener("change", () => setDate(sliderDate(), "release"));
    slider.addEventListener("keydown", (event) => {
      const moves = {
        ArrowRight: () => dayToIso(isoToDay(state.date) + 1), ArrowUp: () => dayToIso(isoToDay(state.date) + 1),
        ArrowLeft: () => dayToIso(isoToDay(state.date) - 1), ArrowDown: () => dayToIso(isoToDay(state.date) - 1),
        PageUp: () => addMonths(state.date, 1), PageDown: () => addMonths(state.date, -1),
        Home: () => START, End: () => END,
      };
      const move = moves[event.key];
      if (!move) return;
      event.preventDefault();
      stopPlaying(false);
      setDate(move(), "step");
    });

    function typedDate() {
      const text = dateInput.value.trim();
      if (!isIsoDate(text)) {
        dateMessage.textContent = `"${text}" is not a date: use YYYY-MM-DD.`;
        dateInput.setAttribute("aria-invalid", "true");
        return;
      }
      if (text < START || text > END) {
        dateMessage.textContent = `${text} is outside ${START} to ${END}.`;
        dateInput.setAttribute("aria-invalid", "true");
        return;
      }
      dateMessage.textContent = "";
      dateInput.removeAttribute("aria-invalid");
      setDate(text, "typed");
    }
    dateInput.addEventListener("keydown", (event) => { if (event.key === "Enter") typedDate(); });
    dateInput.addEventListener("change", typedDate);

    ticks.addEventListener("click", (event) => {
      let target = event.target.closest && event.target.closest(".km-tick");
      if (!target) { // the nearest tick within 8 px of the click
        let best = 9;
        for (const tick of ticks.children) {
          const box = tick.getBoundingClientRect();
          const distance = Math.abs(box.left + box.width / 2 - event.clientX);
          if (distance < best) { best = distance; target = tick; }
        }
      }
      if (!target) return;
      stopPlaying(false);
      setDate(target.dataset.date, "tick");
      const e = EVENTS[Number(target.dataset.index)];
      if (standalone && e) {
        const first = e.places.find((id) => PLACES.has(id));
        if (first && !state.place) select(first, "tick");
      }
    });

    function stepEvent(direction) {
      const target = direction > 0 ? engine.nextEventDate(state.date) : engine.previousEventDate(state.date);
      if (target) setDate(target, "event");
      return target;
    }
    prevButton.addEventListener("click", () => { stopPlaying(false); stepEvent(-1); });
    nextButton.addEventListener("click", () => { stopPlaying(false); stepEvent(1); });
    rangeButton.addEventListener("click", () => {
      state.range = state.range === "all" ? "year" : "all";
      rangeButton.setAttribute("aria-pressed", String(state.range === "year"));
      rangeButton.textContent = state.range === "year" ? "Show 1988-today" : "Zoom to year";
      renderDateControls();
    });
    clearButton.addEventListener("click", () => select(null, "click"));

    // Play: in the browser, by event (0.7 s each), by month or by year (0.25 s each).
    function playStep() {
      const speed = speedSelect.value;
      let next;
      if (speed === "event") next = engine.nextEventDate(state.date);
      else next = addMonths(state.date, speed === "year" ? 12 : 1);
      if (!next || next > END) { stopPlaying(true); return; }
      setDate(next, "play");
      state.timer = window.setTimeout(playStep, speed === "event" ? 700 : 250);
    }
    function startPlaying() {
      state.playing = true;
      playButton.textContent = "❚❚ Pause";
      playButton.setAttribute("aria-pressed", "true");
      playStep();
    }
    function stopPlaying(notify) {
      if (!state.playing) return;
      state.playing = false;
      window.clearTimeout(state.timer);
      state.timer = null;
      playButton.textContent = "▶ Play";
      playButton.setAttribute("aria-pressed", "false");
      if (notify) postDate("pause");
    }
    playButton.addEventListener("click", () => (state.playing ? stopPlaying(true) : startPlaying()));
    speedSelect.addEventListener("change", () => { if (state.playing) { window.clearTimeout(state.timer); playStep(); } });

    // ---------------------------------------------------------------- names, view, host messages
    function setNames(mode) {
      if (!["both", "az", "hy"].includes(mode) || mode === state.names) return;
      state.names = mode;
      for (const { place, node } of labelMarkers) node.textContent = label(place.id);
      for (const layer of openTooltips) if (layer.getTooltip()) layer.getTooltip().update();
      if (standalone) { renderPanel(); renderSearch(); }
      scheduleUrl();
    }

    let viewTimer = null;
    map.on("moveend", () => {
      const center = map.getCenter();
      const ranges = DATA.ranges;
      // Leaflet rounds the centre to whole pixels: within a pixel of the view asked for, keep its
      // numbers, so that a shared link gives back the very same link.
      const drift = map.latLngToContainerPoint(center).distanceTo(map.latLngToContainerPoint([state.lat, state.lon]));
      if (map.getZoom() !== state.zoom || drift > 1) {
        state.lat = Math.min(Math.max(engine.round5(center.lat), ranges.lat[0]), ranges.lat[1]);
        state.lon = Math.min(Math.max(engine.round5(center.lng), ranges.lon[0]), ranges.lon[1]);
      }
      state.zoom = map.getZoom();
      window.clearTimeout(viewTimer);
      viewTimer = window.setTimeout(() => post({ type: "view", lat: state.lat, lon: state.lon, zoom: state.zoom }), 300);
      scheduleUrl();
    });

    window.addEventListener("message", (event) => {
      const message = event.data;
      if (!message || message.source !== "karabakh-host" || message.type !== "set") return;
      if (typeof message.names === "string") setNames(message.names);
      if (typeof message.date === "string" && isIsoDate(message.date)) {
        const next = clampDate(message.date);
        state.date = next;
        requestPaint();
        scheduleUrl();
      }
      if ("place_id" in message) select(message.place_id, "host");
    });

    // ---------------------------------------------------------------- standalone: URL and panel
    let urlTimer = null;
    function scheduleUrl() {
      if (!standalone) return;
      window.clearTimeout(urlTimer);
      urlTimer = window.setTimeout(writeUrl, 200);
    }
    function writeUrl() {
      const query = engine.viewToQuery(state);
      if (window.location.search === "?" + query) return;
      try {
        window.history.replaceState(null, "", "?" + query + window.location.hash);
      } catch (err) {
        // Some browsers refuse history changes on file:// pages; the view still works, only the link is stale.
      }
    }

    let renderPanel = () => {};
    let renderSearch = () => {};
    if (standalone) {
      const standaloneUi = buildStandalone();
      renderPanel = standaloneUi.renderPanel;
      renderSearch = standaloneUi.renderSearch;
      paintListeners.push(standaloneUi.onPaint);
      standaloneUi.showNotices(notices);
      // the side panel took its share of the window: Leaflet must measure the map again
      const wanted = [state.lat, state.lon, state.zoom];
      map.invalidateSize({ animate: false, pan: false });
      map.setView([wanted[0], wanted[1]], wanted[2], { animate: false });
      [state.lat, state.lon, state.zoom] = wanted;
    }

    function buildStandalone() {
      document.body.classList.add("km-standalone");
      const side = el("aside", { id: "km-side", class: "km-side", "aria-label": "Place, search and names" });
      document.body.appendChild(side);
      const noticesBox = el("div", { id: "notices", role: "status", hidden: true });
      const searchInput = el("input", { type: "search", id: "search", placeholder: "Find a place: Shusha, Şuşa, Shushi, Шуша...",
        autocomplete: "off", "aria-label": "Find a place by any of its names" });
      const searchResults = el("div", { id: "search-results" });
      const namesBox = el("fieldset", { id: "names-switch" }, el("legend", { class: "km-field-label", text: "Names" }));
      for (const [value, title] of [["both", "Both"], ["az", "Azerbaijani"], ["hy", "Armenian"]]) {
        const radio = el("input", { type: "radio", name: "names", value });
        radio.checked = value === state.names;
        radio.addEventListener("change", () => radio.checked && setNames(value));
        namesBox.appendChild(el("label", {}, radio, " " + title));
      }
      const keyBox = el("div", { id: "key-dates", class: "km-key-dates", role: "group", "aria-label": "Key dates" });
      for (const [title, iso] of DATA.keyDates) {
        keyBox.appendChild(el("button", { type: "button", class: "km-chip", "data-date": iso, text: title,
          onclick: () => setDate(iso, "event") }));
      }
      // "Download figure": the export ships the key dates' figures; link the one at or before the date.
      const FIGURES = (OPTIONS.figures || []).filter((f) => /^figures\/[\w.-]+\.(png|svg)$/.test(f.href));
      const figureLink = el("a", { id: "figure-link", class: "km-figure-link", download: "" });
      const figureBox = el("div", { id: "figure-box", hidden: !FIGURES.length },
        el("h3", { text: "Download figure" }), el("p", {}, figureLink),
        el("p", { class: "km-caption", text: "A print-ready map of a key date (PNG, 1500 px), with its legend and sources." }));
      function renderFigureLink(iso) {
        const index = lastAtOrBefore(FIGURES, iso, (f) => f.date);
        const chosen = FIGURES[Math.max(0, index)];
        if (!chosen || figureLink.getAttribute("href") === chosen.href) return;
        figureLink.setAttribute("href", chosen.href);
        figureLink.dataset.date = chosen.date;
        figureLink.textContent = "Figure for " + chosen.label;
      }
      const panelBox = el("div", { id: "place-panel", "aria-live": "polite" });
      const changesBox = el("div", { id: "changes" });
      side.appendChild(el("header", { class: "km-side-head" },
        el("h1", { text: "Karabakh control map" }),
        el("p", { class: "km-caption", text: "Who controlled each place on the chosen day, 1988 to today, and according to which sources." })));
      side.append(noticesBox, panelBox, el("h3", { text: "Find a place" }), searchInput, searchResults, namesBox,
        el("h3", { text: "Key dates" }), keyBox, figureBox, changesBox,
        el("p", { class: "km-caption", id: "attribution", text: DATA.attribution }));

      function showNotices(list) {
        clear(noticesBox);
        noticesBox.hidden = !list.length;
        for (const text of list) noticesBox.appendChild(el("p", { class: "km-notice", text }));
        if (list.length) {
          noticesBox.appendChild(el("button", { type: "button", class: "km-link", text: "Dismiss",
            onclick: () => { noticesBox.hidden = true; } }));
        }
      }

      function renderSearch() {
        clear(searchResults);
        const query = searchInput.value;
        if (!query.trim()) return;
        const found = engine.searchPlaces(query, 8);
        if (!found.length) {
          searchResults.appendChild(el("p", { class: "km-caption", text: `No place matches ${engine.pyRepr(query)}.` }));
          return;
        }
        for (const id of found) {
          searchResults.appendChild(el("button", { type: "button", class: "km-link", "data-place": id,
            onclick: () => select(id, "search") }, `${label(id)} (${PLACES.get(id).kind})`));
        }
      }
      searchInput.addEventListener("input", renderSearch);

      let panelPlace = null;
      let panelEntry = null;
      let panelNames = null;
      /** The "now" marker: before the first entry after the date in each list. */
      function markNow(root, iso) {
        for (const old of root.querySelectorAll(".km-now")) old.remove();
        for (const list of root.querySelectorAll("ol.km-history")) {
          const marker = el("li", { class: "km-now", "aria-current": "date", text: "Now: " + longDate(iso) });
          let placed = false;
          for (const item of list.querySelectorAll("li.km-event")) {
            const future = item.dataset.date > iso;
            item.classList.toggle("km-future", future);
            if (future && !placed) { list.insertBefore(marker, item); placed = true; }
          }
          if (!placed) list.appendChild(marker);
        }
      }

      function renderPanel() {
        const iso = state.date;
        if (!state.place) {
          if (panelPlace !== null || !panelBox.firstChild) {
            clear(panelBox);
            panelBox.append(el("h2", { id: "place-title", text: "Click a place on the map" }),
              el("p", { class: "km-caption", text: "or find it by any of its names below." }));
            panelPlace = null;
          }
          return;
        }
        const place = PLACES.get(state.place);
        const entry = engine.stateAt(place.id, iso);
        if (panelPlace !== place.id || panelNames !== state.names) {
          panelPlace = place.id;
          panelNames = state.names;
          panelEntry = null;
          clear(panelBox);
          const names = el("dl", { class: "km-names" });
          for (const [attr, title] of DATA.nameLabels) names.append(el("dt", { text: title }), el("dd", { text: place.names[attr] || "—" }));
          const history = el("div", { class: "km-history-box" });
          const own = el("ol", { class: "km-history" });
          for (const index of place.events) own.appendChild(trustedFragment(DATA.eventHtml[index]));
          if (place.events.length) history.appendChild(own);
          else history.appendChild(el("p", { class: "km-caption", text: "No recorded event names this place itself." }));
          if (place.regional.length) {
            const regional = el("ol", { class: "km-history" });
            for (const index of place.regional) regional.appendChild(trustedFragment(DATA.eventHtml[index]));
            const noun = place.regional.length === 1 ? "event" : "events";
            history.appendChild(el("details", { class: "km-regional" },
              el("summary", { text: `${place.regional.length} regional ${noun} (its district or the former NKAO)` }), regional));
          }
          panelBox.append(
            el("h2", { id: "place-title", text: label(place.id) }),
            el("p", { class: "km-caption", text: `${place.kind} · ${place.id}` }),
            el("p", { id: "place-summary", "data-testid": "place-controller", class: "km-controller" }),
            el("div", { class: "km-share-box" }),
            el("h3", { text: "History" }), history,
            el("h3", { text: "Names" }), names,
            place.names.alt.length ? el("p", { class: "km-caption", text: "Also written: " + place.names.alt.join(", ") }) : null,
            el("button", { type: "button", id: "clear-panel", text: "Clear selection", onclick: () => select(null, "click") }));
        }
        panelBox.querySelector("#place-summary").textContent = `On ${longDate(iso)}, ${entry.m}`;
        if (entry !== panelEntry) {
          panelEntry = entry;
          const box = clear(panelBox.querySelector(".km-share-box"));
          if (entry.sh) {
            const table = el("table", { class: "km-share", "aria-label": "Share of the area held" });
            for (const c of DATA.controllers.filter((k) => entry.sh[k] > 0).sort((a, b) => entry.sh[b] - entry.sh[a])) {
              const bar = el("span", { class: "km-bar" });
              bar.style.width = (entry.sh[c] * 100).toFixed(1) + "%";
              bar.style.background = COLOURS[c];
              table.appendChild(el("tr", {}, el("td", { text: LABELS[c] }), el("td", { class: "km-bar-cell" }, bar),
                el("td", { class: "num", text: Math.round(entry.sh[c] * 100) + "%" })));
            }
            box.appendChild(table);
          }
        }
        markNow(panelBox, iso);
      }

      function previousKeyDate(iso) {
        const earlier = DATA.keyDates.map((k) => k[1]).filter((d) => d < iso);
        return earlier.length ? earlier.reduce((a, b) => (a > b ? a : b)) : "1987-12-31";
      }
      let changesFor = null;
      function renderChanges(iso) {
        const since = previousKeyDate(iso);
        const changes = EVENTS.filter((e) => since < e.date && e.date <= iso);
        const key = since + "|" + changes.length;
        if (key === changesFor) return;
        changesFor = key;
        clear(changesBox);
        changesBox.appendChild(el("h3", { text: `What changed since ${since >= START ? longDate(since) : "the start"}` }));
        if (!changes.length) {
          changesBox.appendChild(el("p", { class: "km-caption", text: "No recorded event in this period." }));
          return;
        }
        const list = el("ul", { class: "km-changes" });
        for (const e of changes.slice(-25)) {
          const target = e.places.find((id) => PLACES.has(id)) || null;
          list.appendChild(el("li", {}, el("button", { type: "button", class: "km-link", "data-event": e.id,
            onclick: () => { select(target, "search"); setDate(e.date, "event"); } }, `${e.date} · ${e.title}`)));
        }
        changesBox.appendChild(list);
        if (changes.length > 25) {
          changesBox.appendChild(el("p", { class: "km-caption", text: `... and ${changes.length - 25} earlier events in this period.` }));
        }
      }

      function onPaint(iso) {
        renderPanel();
        renderFigureLink(iso);
        renderChanges(iso);
      }
      return { renderPanel, renderSearch, onPaint, showNotices };
    }

    // ---------------------------------------------------------------- start
    renderDateControls();
    setDate(state.date, null);
    // a link that gives the view (lat, lon, zoom) keeps it exactly; otherwise the place is brought into view
    const defaults = DATA.defaults;
    const explicitView = standalone ? /[?&](lat|lon|zoom)=/.test(window.location.search)
      : initial.lat !== defaults.lat || initial.lon !== defaults.lon || initial.zoom !== defaults.zoom;
    if (state.place) select(state.place, embedded ? (explicitView ? "opening-link" : "opening") : explicitView ? "link" : "url");
    paintListeners.push(function ready(iso) {
      paintListeners.splice(paintListeners.indexOf(ready), 1);
      document.body.setAttribute("data-ready", "true");
      post({ type: "ready", date: iso });
    });
    window.addEventListener("resize", () => { drawnRange = null; renderDateControls(); });

    // A read-only handle for tests and debugging: the same answers the page draws.
    window.karabakhMap = Object.freeze({
      map, engine,
      stateAt: engine.stateAt,
      zoneControllers: (iso) => Object.fromEntries(ZONES.map((z) => [z.id, engine.zoneController(z, iso)])),
      peacekeepingShown: () => shownPeacekeeping,
      frontLinesShown: () => frontLineLayers.filter((f) => f.shown && map.hasLayer(f.layer)).map((f) => f.line.id),
      contextShown: () => contextLayers.filter((c) => map.hasLayer(c.layer)).map((c) => c.feature.id),
      selectionRings: () => selection.getLayers().length,
      paintedFill: (placeId) => {
        const item = settlementLayers.find((s) => s.place.id === placeId);
        return item ? item.key : null;
      },
      zoneFill: (zoneId) => {
        const item = zoneLayers.find((z) => z.zone.id === zoneId && z.shown);
        return item ? item.key : null;
      },
      fold: engine.fold, foldAzerbaijani: engine.foldAzerbaijani,
      parseView: engine.parseView, viewToQuery: engine.viewToQuery, resolvePlace: engine.resolvePlace,
      searchPlaces: engine.searchPlaces,
      state: () => ({ date: state.date, place: state.place, names: state.names, lat: state.lat, lon: state.lon,
        zoom: state.zoom, painted: state.painted }),
      setDate: (iso) => setDate(iso, "typed"),
      select: (id) => select(id, "search"),
    });
  }

  window.KarabakhMapClient = { start, pure };
})();
