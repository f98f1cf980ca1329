"""The one map client: the folium map that the app and the static export both show.

    >>> from karabakh_map.validation import load_catalog
    >>> from karabakh_map.timeline import Timeline
    >>> m = build_map(Timeline(load_catalog()), asset_base="static", standalone=True)
    >>> html = page_html(m)  # doctest: +SKIP

``build_map`` builds the page once: a Leaflet map (``preferCanvas``: one canvas per pane, several
times faster to restyle than an SVG element per polygon), the legend, and a :class:`MapClient`
element that embeds the data below and starts ``mapclient_assets/mapclient.js``.  That script
draws every layer, the time control and (standalone) the place panel, and recolours the map for
any date in the browser: no server request while dragging, stepping or playing.

The data (``client_data``)
--------------------------
Every place carries its *state track*: the state it starts in (``i``) and the list of days on
which anything shown about it changes (``t``), each with the full state from that day on.  The
browser finds a date by binary search, exactly like ``timeline._Track.at``.  The tracks are not a
second implementation of the rules: each entry *is* ``Timeline.state`` evaluated on that day, at
every day on which an event touches the place, a zone it depends on, or a settlement inside it
(the only days on which the state can change), with consecutive equal states merged.  A state is::

    {"c": controller, "s": since (ISO date, absent = unchanged since the record began),
     "e": index into events of the event that set it, "pk": 1 if in the peacekeeping zone,
     "sh": {controller: share} (regions only), "r": road status (roads only),
     "st": 1 while the change is only claimed (PlaceState.status), "co": day it was confirmed,
     "m": the panel's sentence for that state, e.g. "held by Azerbaijan since 8 May 1992 (...)"}

``m`` is written by ``panel.state_sentence``: the page prefixes "On <date>, " and never composes
a sentence itself.  Control zones (``zones``) follow a settlement (``f``: its track gives the
colour) or, for a part of a district with no settlement, carry their own controller track
(``t``); a zone of one front-line period carries ``from``/``to`` and is drawn only then.  The peacekeeping zone's outline changes on a handful of days: its distinct shapes are
precomputed (``peacekeeping``), so the browser never computes geometry.  Dated front lines (``frontLines``, from ``catalog.front_lines``) carry a
visibility track ``{"i": 0|1, "t": [[day, 0|1], ...]}`` sampled from ``FrontLine.valid_on``, their
title and their dates in words (the tooltip); the page shows a line only where its track says 1.
``context`` is the offline context layer (``context.py``: neighbouring countries, Nakhchivan, the
borders, Lake Sevan, the Araks) simplified to ~300 m and rounded to 3 decimals, with
``CONTEXT_STYLE``; the page draws it beneath every control layer as the "Plain" background, so
the map needs no tiles.  ``eventHtml`` holds
each event's history entry as ``panel.history_entry_html`` writes it (escaped, date-independent,
``data-date`` on each entry, its sources linked): the export's panel inserts these, it does not
build its own; the app's page, whose panel is Streamlit's, leaves them out (``STANDALONE_ONLY``).
The page carries the data as a JSON block (``<script type="application/json">``) that the start
call reads with ``JSON.parse``.

Collections keyed by id are lists of records, never objects keyed by data: in a JavaScript object
literal a key such as ``__proto__`` is not a key.  Every string is JSON-escaped and ``<``, ``>``,
``&``, U+2028 and U+2029 are written as ``\\uXXXX``, so no data can end the script.

Rules the browser holds a copy of (each held to Python by a parity test): the binary search
(``tests/test_mapclient.py`` runs the page's own ``stateAt`` in Node against ``Timeline.state``),
name folding (``names.fold``) and the query string (``view.parse_view``), both checked in
Chromium by ``tests/browser/test_export_browser.py``.

Host protocol
-------------
In an iframe the page talks to its host with ``postMessage`` (``{source: "karabakh-map", type:
"ready"|"date"|"select"|"view", ...}``) and obeys ``{source: "karabakh-host", type: "set", date?,
place_id?, names?}``; standalone (the export) it reads and writes the query string instead.  The
map's container carries ``data-painted-date`` set in the animation frame that painted that date.
With ``server_paint=True`` the page paints only what the host sends back (the old round trip,
kept as the benchmarks' baseline).

Determinism: every list is in catalogue or sorted order, coordinates are rounded, element ids are
fixed (``page_html``), and nothing depends on the clock (the slider's end, "today", is the
reader's today, computed in the browser).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import weakref
from pathlib import Path

import folium
import shapely
from branca.element import Element, MacroElement
from jinja2 import Template
from shapely.geometry import mapping, shape

from karabakh_map import view as view_module
from karabakh_map.catalog import CONTROLLER_LABELS, CONTROLLERS, HISTORY_START, ROAD_STATUSES, Catalog, event_order
from karabakh_map.names import NAME_MODES, fold
from karabakh_map.panel import NAME_LABELS, history_entry_html, long_date, state_sentence
from karabakh_map.context import (CONTEXT_ATTRIBUTION, CONTEXT_BACKGROUND, CONTEXT_LABEL_COLOUR, CONTEXT_STYLE,
                                  context_geojson)
from karabakh_map.style import (CONTROLLER_COLOURS, CONTROLLER_OPACITY, FRONT_LINE_STYLE, MAP_BACKGROUND, NKAO_STYLE,
                                PEACEKEEPING_STYLE, ROAD_STATUS_LABELS, ROAD_STYLES)
from karabakh_map.timeline import PlaceState, Timeline

ASSETS_DIR = Path(__file__).resolve().parent / "mapclient_assets"
CLIENT_JS = ASSETS_DIR / "mapclient.js"
CLIENT_CSS = ASSETS_DIR / "mapclient.css"

DISPLAY_TOLERANCE_DEG = 0.002  # ~200 m: invisible at the zoom levels the map offers (6-14)
AREA_DECIMALS = 4  # zones and outlines: ~10 m
POINT_DECIMALS = 5  # settlements and roads: ~1 m, their source precision is coarser anyway
FORMAT_VERSION = 2

LAYER_NAMES = {
    "zones": "Control areas",
    "frontLines": "Front lines",
    "districts": "Districts",
    "nkao": "Former NKAO (1923-1991)",
    "peacekeeping": "Peacekeeping zone (2020-2024)",
    "road": "Lachin road",
    "settlements": "Settlements",
    "labels": "Town labels",
}

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
DATA_ATTRIBUTION = ("Boundaries: Natural Earth (public domain). Settlements: GeoNames (CC BY 4.0) and hand "
                    "placement. Events: see each event's sources; claims are attributed to those who make them.")


# ---------------------------------------------------------------- geometry

def round_coords(coords, decimals: int):
    if coords and isinstance(coords[0], (int, float)):
        return [round(float(coords[0]), decimals), round(float(coords[1]), decimals)]
    return [round_coords(c, decimals) for c in coords]


def _polygonal(geom) -> dict | None:
    """A display geometry as a GeoJSON Polygon or MultiPolygon (simplification can leave a
    GeometryCollection with stray lines or points: only the polygons are drawn)."""
    if geom.geom_type == "GeometryCollection":
        polygons = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon") and g.area > 0]
        if not polygons:
            return None
        geom = shapely.union_all(polygons)
    if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        return None
    gj = mapping(geom)
    return {"type": gj["type"], "coordinates": round_coords(gj["coordinates"], AREA_DECIMALS)}


def display_area(geom) -> dict | None:
    """Simplified (~200 m) and rounded (~10 m): what the map draws of an area."""
    simplified = shapely.simplify(geom, DISPLAY_TOLERANCE_DEG, preserve_topology=True)
    return _polygonal(shapely.set_precision(simplified, 10 ** -AREA_DECIMALS))


def _line(geom) -> dict:
    gj = mapping(geom)
    return {"type": gj["type"], "coordinates": round_coords(gj["coordinates"], POINT_DECIMALS)}


# ---------------------------------------------------------------- state tracks

def _iso(date: dt.date | None) -> str | None:
    return date.isoformat() if date else None


def state_entry(timeline: Timeline, state: PlaceState, event_index: dict[str, int]) -> dict:
    """One state as the page holds it (see the module docstring)."""
    entry: dict = {"c": state.controller}
    if state.since is not None:
        entry["s"] = state.since.isoformat()
    if state.event_id is not None and state.event_id in event_index:
        entry["e"] = event_index[state.event_id]
    if state.in_peacekeeping_zone:
        entry["pk"] = 1
    if state.share is not None:
        entry["sh"] = {c: float(v) for c, v in state.share.items()}
    if state.road_status is not None:
        entry["r"] = state.road_status
    if getattr(state, "status", "confirmed") == "claimed":
        entry["st"] = 1
    if getattr(state, "confirmed_on", None) is not None:
        entry["co"] = state.confirmed_on.isoformat()
    entry["m"] = state_sentence(timeline, state)
    return entry


def _dependencies(timeline: Timeline, place_id: str) -> list[str]:
    """The places whose events can change what is shown about ``place_id``."""
    catalog = timeline.catalog
    ids = [place_id]
    if catalog.places[place_id].layer == "region":
        ids += [z.follows for z in timeline.zones_by_region.get(place_id, ())]
        ids += list(catalog.members.get(place_id, ()))
    return ids


def _candidate_dates(timeline: Timeline, place_ids: list[str]) -> list[dt.date]:
    dates = set()
    for pid in set(place_ids):
        for event in timeline.catalog.events_for(pid):
            dates.add(event.date)
        dates.update(timeline.claim_change_dates(pid))  # a confirmation need not be an event's day
        place = timeline.catalog.places[pid]
        if place.layer == "road":  # a route comes into and out of use on its own days
            dates.update(x for x in (place.valid_from, place.valid_to and place.valid_to + dt.timedelta(days=1)) if x)
    if timeline.catalog.places[place_ids[0]].layer == "region":
        dates.update(timeline.zone_change_dates())  # a front line starting or ending moves the share
    return sorted(dates)


def state_track(timeline: Timeline, place_id: str, event_index: dict[str, int]) -> dict:
    """``{"i": initial state, "t": [{"d": day, ...state from that day}, ...]}`` for one place."""
    initial = state_entry(timeline, timeline.state(place_id, dt.date.min), event_index)
    track, previous = [], initial
    for date in _candidate_dates(timeline, _dependencies(timeline, place_id)):
        entry = state_entry(timeline, timeline.state(place_id, date), event_index)
        if entry != previous:
            track.append({"d": date.isoformat(), **entry})
            previous = entry
    return {"i": initial, "t": track}


def _zone_track(timeline: Timeline, zone, dates: list[dt.date]) -> dict:
    """The controller track of a zone that follows its region's own events (no settlement in it)."""
    initial = timeline.zone_controllers(dt.date.min)[zone.zone_id]
    track, previous = [], initial
    for date in dates:
        controller = timeline.zone_controllers(date)[zone.zone_id]
        if controller != previous:
            track.append([date.isoformat(), controller])
            previous = controller
    return {"i": initial, "t": track}


def _peacekeeping(timeline: Timeline, zone_geometry: dict[str, object]) -> dict:
    """The peacekeeping zone's outline on every day: distinct shapes, and the days they change."""
    shapes: list[dict] = []
    shape_index: dict[frozenset, int] = {}
    track: list[list] = []
    previous: int | None = None
    for date in (dt.date.min, *timeline.change_dates()):
        inside = frozenset(z for z, yes in timeline.zone_peacekeeping(date).items() if yes and z in zone_geometry)
        if not inside:
            index = -1
        else:
            if inside not in shape_index:
                ordered = [zone_geometry[z.zone_id] for z in timeline.map_zones() if z.zone_id in inside]
                merged = shapely.set_precision(shapely.union_all(ordered), 10 ** -AREA_DECIMALS)
                shape_index[inside] = len(shapes)
                shapes.append(_polygonal(merged))
            index = shape_index[inside]
        if index != previous:
            track.append([date.isoformat() if date != dt.date.min else None, index])
            previous = index
    initial = track.pop(0)[1]
    return {"i": initial, "t": track, "shapes": shapes,
            "label": "Russian peacekeeping zone (per the statement of 10 Nov 2020)"}


def front_line_record(line) -> dict:
    """A dated front line as the page draws it: its geometry, the tooltip's words, and its
    visibility track ``{"i": 0|1, "t": [[day, 0|1], ...]}`` sampled from ``FrontLine.valid_on``
    on the days it can change (its first day, the day after its last), so the page looks the
    answer up like any other track and holds no rule of its own."""
    days = sorted({line.valid_from, *([line.valid_to + dt.timedelta(days=1)] if line.valid_to else [])})
    initial = int(line.valid_on(dt.date.min))
    track, previous = [], initial
    for day in days:
        shown = int(line.valid_on(day))
        if shown != previous:
            track.append([day.isoformat(), shown])
            previous = shown
    if line.valid_to is None:
        dates = f"from {long_date(line.valid_from)} (still standing)"
    else:
        dates = f"{long_date(line.valid_from)} to {long_date(line.valid_to)}"
    return {"id": line.id, "title": line.title, "dates": dates, "from": line.valid_from.isoformat(),
            "to": _iso(line.valid_to), "i": initial, "t": track, "geometry": _line(line.geometry)}


CONTEXT_DECIMALS = 3  # ~100 m: Natural Earth's 10m borders are coarser; keeps the page small
CONTEXT_TOLERANCE_DEG = 0.003


def context_record() -> dict:
    """The offline context layer (``context.py``): neighbouring countries, Nakhchivan, the
    borders, Lake Sevan and the Araks, simplified (~300 m) and rounded, in drawing order, with
    only what the page uses (id, kind, name, label point)."""
    features = []
    for feature in context_geojson(decimals=6)["features"]:
        props = feature["properties"]
        geometry = shapely.simplify(shape(feature["geometry"]), CONTEXT_TOLERANCE_DEG, preserve_topology=True)
        if geometry.is_empty:
            continue
        gj = mapping(geometry)
        record = {"id": props.get("id") or feature.get("id"), "kind": props["kind"], "name": props.get("name"),
                  "geometry": {"type": gj["type"], "coordinates": round_coords(gj["coordinates"], CONTEXT_DECIMALS)}}
        if props.get("label_lon") is not None and props.get("label_lat") is not None:
            record["label"] = [round(float(props["label_lat"]), 4), round(float(props["label_lon"]), 4)]
        features.append(record)
    return {"features": features, "style": {k: dict(v) for k, v in CONTEXT_STYLE.items()},
            "background": CONTEXT_BACKGROUND, "labelColour": CONTEXT_LABEL_COLOUR, "attribution": CONTEXT_ATTRIBUTION}


# ---------------------------------------------------------------- the whole data set

def _specificity(place_id: str) -> tuple[int, str]:
    order = {"settlement": 0, "district": 1, "province": 2, "region": 3, "road": 4}
    return (order.get(place_id.split("-", 1)[0], 9), place_id)


def _name_index(catalog: Catalog) -> list[list]:
    """[folded name, [place ids, most specific first]]: ``NameIndex``'s table, for the browser."""
    index: dict[str, set[str]] = {}
    for pid, place in catalog.places.items():
        for key in place.names.keys() | {fold(pid)}:
            index.setdefault(key, set()).add(pid)
    return [[key, sorted(ids, key=_specificity)] for key, ids in sorted(index.items())]


# Only the export's in-page panel reads these; the app's page leaves them out (~270 KB).
STANDALONE_ONLY = ("eventHtml",)

_DATA_LOCK = threading.Lock()
_DATA_CACHE: "weakref.WeakKeyDictionary[Timeline, dict]" = weakref.WeakKeyDictionary()


def client_data(timeline: Timeline) -> dict:
    """Everything the page needs, as plain JSON-able data (see the module docstring).  Cached per
    timeline: the app builds its map once per catalogue, not once per session."""
    with _DATA_LOCK:  # the server's warm-up thread and a first page run may ask at once
        cached = _DATA_CACHE.get(timeline)
        if cached is None:
            cached = _DATA_CACHE[timeline] = _client_data(timeline)
        return cached


def _client_data(timeline: Timeline) -> dict:
    catalog = timeline.catalog
    events = sorted(catalog.events, key=event_order)
    event_index = {e.event_id: i for i, e in enumerate(events)}

    places = []
    for pid, place in catalog.places.items():
        own = [event_index[e.event_id] for e in catalog.events_for(pid) if pid in e.place_ids]
        regional = [event_index[e.event_id] for e in catalog.events_for(pid) if pid not in e.place_ids]
        record: dict = {
            "id": pid,
            "layer": place.layer,
            "kind": place.kind,
            "names": place.names.as_dict(),
            "label": {mode: place.names.label(mode) for mode in NAME_MODES},
            "events": own,
            "regional": regional,
            **state_track(timeline, pid, event_index),
        }
        if place.layer == "settlement":
            record["geometry"] = round_coords([place.geometry.x, place.geometry.y], POINT_DECIMALS)
        elif place.layer == "road":
            record["geometry"] = _line(place.geometry)
            record["from"], record["to"] = _iso(place.valid_from), _iso(place.valid_to)
        else:
            record["geometry"] = display_area(place.geometry)
        places.append(record)

    zone_shapes = {}
    zones = []
    all_dates = list(timeline.change_dates())
    for zone in timeline.map_zones():
        geometry = display_area(zone.geometry)
        if geometry is None:
            continue
        zone_shapes[zone.zone_id] = shape(geometry)
        record = {"id": zone.zone_id, "region": zone.region_id, "f": zone.follows,
                  "area": round(zone.area_km2, 3), "geometry": geometry}
        if zone.valid_from or zone.valid_to:  # a zone of one front-line period: shown only then
            record["from"] = _iso(zone.valid_from)
            record["to"] = _iso(zone.valid_to)
        if catalog.places[zone.follows].layer != "settlement":
            record.update(_zone_track(timeline, zone, all_dates))
        zones.append(record)

    data = {
        "version": FORMAT_VERSION,
        "historyStart": HISTORY_START.isoformat(),
        "defaults": {"date": view_module.DEFAULT_DATE.isoformat(), "lat": view_module.DEFAULT_LAT,
                     "lon": view_module.DEFAULT_LON, "zoom": view_module.DEFAULT_ZOOM, "names": "both"},
        "ranges": {"lat": list(view_module.LAT_RANGE), "lon": list(view_module.LON_RANGE),
                   "zoom": list(view_module.ZOOM_RANGE), "maxParamLength": view_module.MAX_PARAM_LENGTH},
        "keyDates": [[label, date.isoformat()] for label, date in view_module.KEY_DATES.items()],
        "controllers": list(CONTROLLERS),
        "controllerLabels": dict(CONTROLLER_LABELS),
        "colours": dict(CONTROLLER_COLOURS),
        "opacity": dict(CONTROLLER_OPACITY),
        "background": MAP_BACKGROUND,
        "peacekeepingStyle": dict(PEACEKEEPING_STYLE),
        "nkaoStyle": dict(NKAO_STYLE),
        "roadStatuses": list(ROAD_STATUSES),
        "roadStyles": {s: dict(ROAD_STYLES[s]) for s in ROAD_STATUSES},
        "roadStatusLabels": {s: ROAD_STATUS_LABELS[s] for s in ROAD_STATUSES},
        "layerNames": dict(LAYER_NAMES),
        "nameLabels": [[attr, label] for attr, label in NAME_LABELS],
        "tiles": {"osm": {"url": OSM_TILES, "attribution": OSM_ATTRIBUTION}},
        "attribution": DATA_ATTRIBUTION,
        "eventDates": [d.isoformat() for d in timeline.change_dates()],
        "places": places,
        "zones": zones,
        "peacekeeping": _peacekeeping(timeline, zone_shapes),
        "frontLines": [front_line_record(line) for line in sorted(catalog.front_lines, key=lambda x: (x.valid_from, x.id))],
        "frontLineStyle": dict(FRONT_LINE_STYLE),
        "context": context_record(),
        "nameIndex": _name_index(catalog),
        "events": [_event_record(e) for e in events],
        "eventHtml": [history_entry_html(timeline, e) for e in events],
    }
    return data


def _event_record(event) -> dict:
    record = {"id": event.event_id, "date": event.date.isoformat(), "precision": event.date_precision,
              "places": list(event.place_ids), "kind": event.kind, "title": event.title}
    if event.changes_control:
        record["before"], record["after"] = event.controller_before, event.controller_after
    return record


# Characters that must not appear raw in a script, whatever embeds it: "</script>", "<!--" and
# HTML entities, and the two line terminators that old JavaScript engines reject inside strings.
_SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def script_json(value) -> str:
    """JSON that is safe inside a <script> element, whatever its strings hold."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for raw, escaped in _SCRIPT_ESCAPES.items():
        text = text.replace(raw, escaped)  # these characters only ever occur inside JSON strings
    return text


# ---------------------------------------------------------------- the folium page

class MapClient(MacroElement):
    """Embeds the data and starts the client script on the map (``KarabakhMapClient.start``)."""

    # The data rides in a JSON block, not a JavaScript literal: browsers parse JSON several times
    # faster, and the page's largest part (~700 KB) is then read once with JSON.parse.
    _template = Template("""
        {% macro html(this, kwargs) %}
        <script type="application/json" id="{{ this.get_name() }}">{{ this.data_json }}</script>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        window.KarabakhMapClient.start({{ this._parent.get_name() }},
            JSON.parse(document.getElementById("{{ this.get_name() }}").textContent), {{ this.options_json }});
        {% endmacro %}
    """)

    def __init__(self, data: dict, options: dict, *, inline: bool, asset_base: str):
        super().__init__()
        self._name = "MapClient"
        self.data_json = script_json(data)
        self.options_json = script_json(options)
        self.inline = inline
        self.asset_base = asset_base

    def render(self, **kwargs):
        figure = self.get_root()
        if self.inline:
            # In the app the page is an iframe's srcdoc: it cannot link files beside it.
            css = CLIENT_CSS.read_text(encoding="utf-8")
            js = CLIENT_JS.read_text(encoding="utf-8").replace("</script", "<\\/script")
            figure.header.add_child(Element(f"<style>{css}</style>"), name="karabakh_css")
            figure.header.add_child(Element(f"<script>{js}</script>"), name="karabakh_js")
        else:
            figure.header.add_child(Element('<link rel="stylesheet" href="mapclient.css">'), name="karabakh_css")
            figure.header.add_child(Element('<script src="mapclient.js"></script>'), name="karabakh_js")
        super().render(**kwargs)


def build_map(timeline: Timeline, *, view: view_module.View | None = None, asset_base: str = "/app/static",
              server_paint: bool = False, standalone: bool = False, inline_client: bool = True,
              figures: list[dict] | None = None) -> folium.Map:
    """The map page as a ``folium.Map``: built once, every date painted in the browser.

    ``view`` is the initial view (date, place, names, centre, zoom); ``asset_base`` is where
    ``leaflet/leaflet.js`` is served from (``/app/static`` in the app, ``static`` in the export);
    ``standalone`` adds the in-page panel, search and URL handling of the export; ``server_paint``
    is the benchmarks' baseline (paint only what the host sends back); ``figures`` lists the
    pre-rendered figures a standalone page links (``export.figure_links``: label, date, href)."""
    view = view or view_module.View()
    m = folium.Map(location=[view.lat, view.lon], zoom_start=view.zoom, tiles=None, prefer_canvas=True,
                   control_scale=True, min_zoom=view_module.ZOOM_RANGE[0], max_zoom=view_module.ZOOM_RANGE[1])
    options = {"date": view.date.isoformat(), "place": view.place, "names": view.names,
               "lat": view.lat, "lon": view.lon, "zoom": view.zoom,
               "serverPaint": bool(server_paint), "standalone": bool(standalone), "figures": list(figures or [])}
    data = client_data(timeline)
    if not standalone:  # the app's panel is Streamlit's: the page's own history entries stay out
        data = {key: value for key, value in data.items() if key not in STANDALONE_ONLY}
    MapClient(data, options, inline=inline_client, asset_base=asset_base).add_to(m)
    # folium loads Leaflet, jQuery, Bootstrap and plugins from public CDNs: only Leaflet is used,
    # and it is served by the app (or bundled beside the export), so the map draws offline.
    m.default_js = [("leaflet", f"{asset_base}/leaflet/leaflet.js")]
    m.default_css = [("leaflet_css", f"{asset_base}/leaflet/leaflet.css")]
    return m


def _fix_ids(root) -> None:
    """Replace branca's random element ids with a counter, so the same map renders to the same bytes."""
    stack, counter = [root], 0
    while stack:
        element = stack.pop(0)
        element._id = f"{counter:04d}"
        counter += 1
        stack.extend(getattr(element, "_children", {}).values())


def page_html(m: folium.Map) -> str:
    """The complete HTML page of a map from ``build_map`` (deterministic bytes)."""
    root = m.get_root()
    _fix_ids(root)
    return root.render()
