"""The static site: ``karabakh-map export --out DIR`` writes a map that needs no Python server.

    >>> from pathlib import Path
    >>> from karabakh_map.validation import load_catalog
    >>> print(export_site(load_catalog(), Path("site")))  # doctest: +SKIP
    Exported the static map to site: ...

``DIR/index.html`` opens from a ``file://`` URL, from any static host, or from a USB stick: every
date is computed in the browser from ``DIR/data.js``, so scrubbing sends no request at all.

What is written::

    DIR/index.html  DIR/app.js  DIR/style.css     hand-written (karabakh_map/export_assets/)
    DIR/data.js                                   window.KARABAKH_DATA = {...}: generated here
    DIR/static/leaflet/...                        Leaflet, copied from the project's static/leaflet

``data.js`` is a ``<script>``, not JSON fetched at run time, because browsers refuse
``fetch``/XHR on ``file://`` pages.

How a date is answered in the browser
-------------------------------------
Every place carries its *state track*: the state it starts in (``i``) and the list of days on
which anything shown about it changes (``t``), each with the full state from that day on.  The
browser finds a date by binary search, exactly like ``timeline._Track.at``.  The tracks are not a
second implementation of the rules: each entry *is* ``Timeline.state`` evaluated on that day, at
every day on which an event touches the place, a zone it depends on, or a settlement inside it
(the only days on which the state can change), with consecutive equal states merged.  A state is::

    {"c": controller, "s": since (ISO date, absent = unchanged since the record began),
     "e": index into events of the event that set it, "pk": 1 if in the peacekeeping zone,
     "sh": {controller: share} (regions only), "r": road status (roads only)}

Control zones (``zones``) follow a settlement (``f``: its state track gives the colour) or, for a
part of a district with no settlement, carry their own controller track (``t``).  The
peacekeeping zone's outline changes on a handful of days: its distinct shapes are precomputed
(``peacekeeping``), so the browser never computes geometry.

Collections keyed by id (``places``, ``sources``, ``nameIndex``) are lists of records, never
objects keyed by data: in a JavaScript object literal a key such as ``__proto__`` is not a key.
Every string is JSON-escaped and ``<``, ``>``, ``&``, U+2028 and U+2029 are written as ``\\uXXXX``,
so no data can end the script or be read as markup; the page shows it with ``textContent`` only.

Determinism: every list is in catalogue or sorted order, coordinates are rounded, and nothing
depends on the clock (the slider's end, "today", is the reader's today, computed in the browser).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import shapely
from shapely.geometry import mapping, shape

from karabakh_map import mapview
from karabakh_map.catalog import CONTROLLER_LABELS, CONTROLLERS, HISTORY_START, ROAD_STATUSES, STATIC_DIR, Catalog, event_order
from karabakh_map.names import NAME_MODES, fold
from karabakh_map.panel import NAME_LABELS
from karabakh_map.timeline import PlaceState, Timeline
from karabakh_map import view

ASSETS_DIR = Path(__file__).resolve().parent / "export_assets"
ASSET_FILES = ("index.html", "app.js", "style.css")
# Leaflet as the app serves it (static/ beside app.py): the same files, bundled beside index.html.
LEAFLET_DIR = STATIC_DIR / "leaflet"
LEAFLET_FILES = ("leaflet.js", "leaflet.css", "LICENSE")
LEAFLET_IMAGES = ("layers.png", "layers-2x.png", "marker-icon.png", "marker-icon-2x.png", "marker-shadow.png")

SIZE_BUDGET_BYTES = 3_000_000
POINT_DECIMALS = 5  # settlements and roads: ~1 m, their source precision is coarser anyway
AREA_DECIMALS = mapview.DISPLAY_DECIMALS  # zones and outlines: ~10 m, as the app draws them
FORMAT_VERSION = 1

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
DATA_ATTRIBUTION = ("Boundaries: Natural Earth (public domain). Settlements: GeoNames (CC BY 4.0) and hand "
                    "placement. Events: see each event's sources; claims are attributed to those who make them.")


class ExportError(Exception):
    """The export could not be written as promised (a missing asset, the size budget exceeded)."""


# ---------------------------------------------------------------- geometry

def _round_coords(coords, decimals: int):
    if coords and isinstance(coords[0], (int, float)):
        return [round(float(coords[0]), decimals), round(float(coords[1]), decimals)]
    return [_round_coords(c, decimals) for c in coords]


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
    return {"type": gj["type"], "coordinates": _round_coords(gj["coordinates"], AREA_DECIMALS)}


def _display_area(geom) -> dict | None:
    """Simplified and rounded as ``mapview.MapData`` does for the app."""
    simplified = shapely.simplify(geom, mapview.DISPLAY_TOLERANCE_DEG, preserve_topology=True)
    return _polygonal(shapely.set_precision(simplified, 10 ** -AREA_DECIMALS))


def _line(geom) -> dict:
    gj = mapping(geom)
    return {"type": gj["type"], "coordinates": _round_coords(gj["coordinates"], POINT_DECIMALS)}


# ---------------------------------------------------------------- state tracks

def _iso(date: dt.date | None) -> str | None:
    return date.isoformat() if date else None


def _state_entry(state: PlaceState, event_index: dict[str, int]) -> dict:
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
        dates.update(e.date for e in timeline.catalog.events_for(pid))
    return sorted(dates)


def state_track(timeline: Timeline, place_id: str, event_index: dict[str, int]) -> dict:
    """``{"i": initial state, "t": [{"d": day, ...state from that day}, ...]}`` for one place."""
    initial = _state_entry(timeline.state(place_id, dt.date.min), event_index)
    track, previous = [], initial
    for date in _candidate_dates(timeline, _dependencies(timeline, place_id)):
        entry = _state_entry(timeline.state(place_id, date), event_index)
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
        inside = frozenset(z for z, yes in timeline.zone_peacekeeping(date).items() if yes)
        if not inside:
            index = -1
        else:
            if inside not in shape_index:
                ordered = [zone_geometry[z.zone_id] for z in timeline.map_zones() if z.zone_id in inside]
                merged = shapely.set_precision(shapely.union_all(ordered), 10 ** -AREA_DECIMALS)
                polygon = _polygonal(merged)
                shape_index[inside] = len(shapes)
                shapes.append(polygon)
            index = shape_index[inside]
        if index != previous:
            track.append([date.isoformat() if date != dt.date.min else None, index])
            previous = index
    initial = track.pop(0)[1]
    return {"i": initial, "t": track, "shapes": shapes,
            "label": "Russian peacekeeping zone (per the statement of 10 Nov 2020)"}


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


def site_data(catalog: Catalog, timeline: Timeline | None = None) -> dict:
    """Everything the static page needs, as plain JSON-able data (see the module docstring)."""
    timeline = timeline or Timeline(catalog)
    events = sorted(catalog.events, key=event_order)
    event_index = {e.event_id: i for i, e in enumerate(events)}

    # Keyed collections are lists of records with an "id", not objects keyed by id: a key such as
    # "__proto__" in a JavaScript object literal would set the prototype instead of a property.
    places = []
    for pid, place in catalog.places.items():
        record: dict = {
            "id": pid,
            "layer": place.layer,
            "kind": place.kind,
            "names": place.names.as_dict(),
            "label": {mode: place.names.label(mode) for mode in NAME_MODES},
            "events": [event_index[e.event_id] for e in catalog.events_for(pid)],
            **state_track(timeline, pid, event_index),
        }
        if place.layer == "settlement":
            record["geometry"] = _round_coords([place.geometry.x, place.geometry.y], POINT_DECIMALS)
        elif place.layer == "road":
            record["geometry"] = _line(place.geometry)
            record["from"], record["to"] = _iso(place.valid_from), _iso(place.valid_to)
        else:
            record["geometry"] = _display_area(place.geometry)
        places.append(record)

    zone_shapes = {}
    zones = []
    all_dates = list(timeline.change_dates())
    for zone in timeline.map_zones():
        simplified = shapely.set_precision(
            shapely.simplify(zone.geometry, mapview.DISPLAY_TOLERANCE_DEG, preserve_topology=True), 10 ** -AREA_DECIMALS)
        geometry = _polygonal(simplified)
        if geometry is None:
            continue
        zone_shapes[zone.zone_id] = shape(geometry)
        record = {"id": zone.zone_id, "region": zone.region_id, "f": zone.follows,
                  "area": round(zone.area_km2, 3), "geometry": geometry}
        if catalog.places[zone.follows].layer != "settlement":
            record.update(_zone_track(timeline, zone, all_dates))
        zones.append(record)

    return {
        "version": FORMAT_VERSION,
        "historyStart": HISTORY_START.isoformat(),
        "defaults": {"date": view.DEFAULT_DATE.isoformat(), "lat": view.DEFAULT_LAT, "lon": view.DEFAULT_LON,
                     "zoom": view.DEFAULT_ZOOM, "names": "both"},
        "ranges": {"lat": list(view.LAT_RANGE), "lon": list(view.LON_RANGE), "zoom": list(view.ZOOM_RANGE),
                   "maxParamLength": view.MAX_PARAM_LENGTH},
        "keyDates": [[label, date.isoformat()] for label, date in view.KEY_DATES.items()],
        "controllers": list(CONTROLLERS),
        "controllerLabels": dict(CONTROLLER_LABELS),
        "colours": dict(mapview.CONTROLLER_COLOURS),
        "opacity": dict(mapview.CONTROLLER_OPACITY),
        "roadStatuses": list(ROAD_STATUSES),
        "roadStyles": {s: dict(mapview.ROAD_STYLES[s]) for s in ROAD_STATUSES},
        "roadStatusLabels": {s: mapview.ROAD_STATUS_LABELS[s] for s in ROAD_STATUSES},
        "layerNames": dict(mapview.LAYER_NAMES),
        "nameLabels": [[attr, label] for attr, label in NAME_LABELS],
        "tiles": {"osm": {"url": OSM_TILES, "attribution": OSM_ATTRIBUTION}},
        "attribution": DATA_ATTRIBUTION,
        "eventDates": [d.isoformat() for d in timeline.change_dates()],
        "places": places,
        "zones": zones,
        "peacekeeping": _peacekeeping(timeline, zone_shapes),
        "nameIndex": _name_index(catalog),
        "events": [_event_record(e) for e in events],
        "sources": [_source_record(s) for _, s in sorted(catalog.sources.items())],
    }


def _event_record(event) -> dict:
    record = {"id": event.event_id, "date": event.date.isoformat(), "precision": event.date_precision,
              "places": list(event.place_ids), "kind": event.kind, "title": event.title,
              "description": event.description, "sources": list(event.source_ids)}
    if event.changes_control:
        record["before"], record["after"] = event.controller_before, event.controller_after
    if event.alt_dates:
        record["alt"] = [[a.date.isoformat(), a.source_id] for a in event.alt_dates]
    if event.road_status:
        record["road"] = event.road_status
    return record


def _source_record(source) -> dict:
    record = {"id": source.source_id, "title": source.title, "author": source.author, "publisher": source.publisher, "date": source.date,
              "perspective": source.perspective}
    if source.safe_url:  # http(s) only: anything else (javascript:, data:...) is never linked
        record["url"] = source.safe_url
    elif source.citation:
        record["citation"] = source.citation
    return record


# Characters that must not appear raw in a script, whatever embeds it: "</script>", "<!--" and
# HTML entities, and the two line terminators that old JavaScript engines reject inside strings.
_SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def data_js(data: dict) -> str:
    """``window.KARABAKH_DATA = {...};`` with every string safe to place in a script."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for raw, escaped in _SCRIPT_ESCAPES.items():
        text = text.replace(raw, escaped)  # these characters only ever occur inside JSON strings
    return ("/* Generated by `karabakh-map export`: the data behind index.html. Do not edit; re-export.\n"
            "   Data licences: see geodata/README.md (Natural Earth: public domain; GeoNames and curated tables:\n"
            "   CC BY 4.0). */\n"
            f"window.KARABAKH_DATA = {text};\n")


# ---------------------------------------------------------------- writing the site

def _copy(source: Path, target: Path) -> None:
    if not source.is_file():
        raise ExportError(f"missing asset {source}: reinstall karabakh-map from a source checkout")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)  # bytes only: no timestamps or modes, so the output is reproducible


def export_site(catalog: Catalog, out_dir: Path | str, timeline: Timeline | None = None) -> str:
    """Write the static site into ``out_dir`` and return a one-paragraph report."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot create the output directory {out}: {exc.strerror or exc}") from None
    data = site_data(catalog, timeline)
    written: list[Path] = []
    for name in ASSET_FILES:
        _copy(ASSETS_DIR / name, out / name)
        written.append(out / name)
    target = out / "data.js"
    target.write_bytes(data_js(data).encode("utf-8"))
    written.append(target)
    leaflet_out = out / "static" / "leaflet"
    for name in LEAFLET_FILES:
        _copy(LEAFLET_DIR / name, leaflet_out / name)
        written.append(leaflet_out / name)
    for name in LEAFLET_IMAGES:
        _copy(LEAFLET_DIR / "images" / name, leaflet_out / "images" / name)
        written.append(leaflet_out / "images" / name)

    total = sum(p.stat().st_size for p in written)
    if total > SIZE_BUDGET_BYTES:
        raise ExportError(f"the export is {total:,} bytes, over the {SIZE_BUDGET_BYTES:,}-byte budget")
    counts = {layer: sum(1 for p in catalog.places.values() if p.layer == layer) for layer in ("region", "settlement", "road")}
    return (f"Exported the static map to {out}: {counts['region']} regions, {counts['settlement']} settlements, "
            f"{counts['road']} roads, {len(data['zones'])} control zones, {len(catalog.events)} events and "
            f"{len(catalog.sources)} sources, from {HISTORY_START.isoformat()} to the reader's today; "
            f"{len(written)} files, {total:,} bytes in all (data.js {target.stat().st_size:,} bytes). "
            f"Open {out / 'index.html'} in a browser: it works from file:// or any static host, with no server, "
            f"and sends no request while you scrub (map tiles only if you switch on OpenStreetMap).")
