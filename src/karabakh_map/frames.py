"""The engine's answers as pandas tables and geopandas layers, and the GeoPackage they write to.

    >>> from karabakh_map.validation import load_catalog
    >>> from karabakh_map.timeline import Timeline
    >>> import datetime as dt
    >>> frame = control_frame(Timeline(load_catalog()), dt.date(1993, 8, 1))
    >>> frame.crs.to_epsg(), frame.set_index("id").loc["settlement-aghdam", "controller"]
    (4326, 'armenian_forces')

Format
------
* ``control_frame``: one row per place (regions, settlements, roads) on one day, EPSG:4326,
  with the columns of ``karabakh-map state --format csv`` (names in every language, controller,
  since, event) plus ``status`` (confirmed / claimed), ``partial``, ``share`` (the fraction its
  controller holds: 1.0 for a settlement) and one ``share_<controller>`` column per controller
  (regions only; NaN elsewhere).  Dates are ``datetime.date`` objects, None where there is none,
  as the CLI's JSON gives them.
* ``zones_frame``: the control zones that tile the map (districts cut into settlements' zones;
  front lines where they exist), each with the region it belongs to, whom it follows, its
  controller and status on the day, and its area.
* Areas come from ``GeoDataFrame.to_crs`` into the engine's equal-area CRS
  (``catalog.EQUAL_AREA_CRS``, Lambert azimuthal centred on the region), computed once per
  timeline: the zones' geometry does not change with the date.
* GeoPackage: one layer per geometry type, as GIS software expects (``regions``,
  ``settlements``, ``roads``; each row carries its ``date``), and for the whole map a ``zones``
  layer (``zones_frame``: the areas as the map colours them), written with pyogrio; the share
  columns are plain floats and dates ISO text, since GeoPackage has no dict columns.

Nothing here sits on the map's scrub path: ``Timeline.snapshot`` stays a dict of tuples (under
a millisecond), and a frame is built only when a reader asks for a table or a download.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import pandas as pd

from karabakh_map.catalog import CONTROLLERS, EQUAL_AREA_CRS, Catalog, Event
from karabakh_map.timeline import PlaceState, Timeline

NAME_COLUMNS = ("name", "name_az", "name_hy", "name_hy_latn", "name_ru")
CONTROL_COLUMNS = ("id", "layer", "kind", *NAME_COLUMNS, "date", "controller", "status", "since", "confirmed_on",
                   "event_id", "event_title", "source_ids", "partial", "share",
                   *(f"share_{c}" for c in CONTROLLERS), "in_peacekeeping_zone", "road_status", "visible")
ZONE_COLUMNS = ("zone_id", "region", "follows", "date", "controller", "status", "in_peacekeeping_zone", "area_km2")


def control_row(catalog: Catalog, state: PlaceState) -> dict:
    place = catalog.places[state.place_id]
    event = catalog.events_by_id.get(state.event_id) if state.event_id else None
    names = place.names
    row = {
        "id": place.id, "layer": place.layer, "kind": place.kind,
        "name": names.en, "name_az": names.az, "name_hy": names.hy, "name_hy_latn": names.hy_latn, "name_ru": names.ru,
        "date": state.date, "controller": state.controller, "status": state.status, "since": state.since,
        "confirmed_on": state.confirmed_on, "event_id": state.event_id,
        "event_title": event.title if event else None,
        "source_ids": ";".join(event.source_ids) if event else "",
        "partial": state.partial,
        "share": (state.share or {}).get(state.controller, 0.0) if state.share is not None else 1.0,
        "in_peacekeeping_zone": state.in_peacekeeping_zone,
        "road_status": state.road_status, "visible": state.visible,
    }
    for controller in CONTROLLERS:
        row[f"share_{controller}"] = (state.share or {}).get(controller, 0.0) if state.share is not None else float("nan")
    return row


def control_frame(timeline: Timeline, date: dt.date, place_ids: list[str] | None = None) -> gpd.GeoDataFrame:
    """Every place (or the given ones) on ``date``: see the module docstring for the columns."""
    catalog = timeline.catalog
    if place_ids is None:
        states = list(timeline.snapshot(date).values())
    else:
        states = [timeline.state(pid, date) for pid in place_ids]
    rows = [control_row(catalog, s) for s in states]
    geometry = [catalog.places[s.place_id].geometry for s in states]
    return gpd.GeoDataFrame(pd.DataFrame(rows, columns=list(CONTROL_COLUMNS)), geometry=geometry, crs="EPSG:4326")


@lru_cache(maxsize=8)
def _zone_layer(timeline: Timeline) -> gpd.GeoDataFrame:
    """Every zone the map can show, with the days it is shown (front lines redraw the zones of
    the regions they cross from the day they start) and its equal-area size, measured once."""
    zones = timeline.map_zones()
    layer = gpd.GeoDataFrame({"zone_id": [z.zone_id for z in zones], "region": [z.region_id for z in zones],
                              "follows": [z.follows for z in zones],
                              "valid_from": [getattr(z, "valid_from", None) for z in zones],
                              "valid_to": [getattr(z, "valid_to", None) for z in zones]},
                             geometry=[z.geometry for z in zones], crs="EPSG:4326")
    layer["area_km2"] = layer.geometry.to_crs(EQUAL_AREA_CRS).area / 1e6
    return layer


def zones_frame(timeline: Timeline, date: dt.date) -> gpd.GeoDataFrame:
    """The control zones on ``date``, as the map colours them."""
    every = _zone_layer(timeline)
    shown = [(start is None or start <= date) and (end is None or date <= end)
             for start, end in zip(every["valid_from"], every["valid_to"])]
    layer = every[shown].reset_index(drop=True)
    controllers = timeline.zone_controllers(date)
    peacekeeping = timeline.zone_peacekeeping(date)
    snapshot = timeline.snapshot(date)
    layer["date"] = date
    layer["controller"] = [controllers[z] for z in layer["zone_id"]]
    # A zone that follows a settlement shares its claim status; a part with no settlement follows
    # the region's own events, which are recorded as confirmed changes.
    layer["status"] = [snapshot[f].status if f in snapshot and timeline.catalog.places[f].layer == "settlement"
                       else "confirmed" for f in layer["follows"]]
    layer["in_peacekeeping_zone"] = [peacekeeping[z] for z in layer["zone_id"]]
    return layer[[*ZONE_COLUMNS, "geometry"]]


def area_frame(timeline: Timeline, date: dt.date) -> pd.DataFrame:
    """km² held by each controller in each region on ``date`` (rows with no area are left out)."""
    zones = zones_frame(timeline, date)
    table = zones.groupby(["region", "controller"], as_index=False)["area_km2"].sum()
    table = table.rename(columns={"area_km2": "km2"})
    return table[table["km2"] > 0].sort_values(["region", "controller"], ignore_index=True)


def events_frame(catalog: Catalog, events: list[Event]) -> pd.DataFrame:
    """Events as rows, each with its sources: ids, and a citation line a reader can follow."""
    rows = []
    for e in events:
        sources = [catalog.sources.get(sid) for sid in e.source_ids]
        rows.append({
            "event_id": e.event_id, "date": e.date, "date_precision": e.date_precision,
            "place_ids": ";".join(e.place_ids), "controller_before": e.controller_before,
            "controller_after": e.controller_after, "kind": e.kind, "title": e.title, "description": e.description,
            "alt_dates": ";".join(f"{a.date.isoformat()}@{a.source_id}" for a in e.alt_dates),
            "road_status": e.road_status, "source_ids": ";".join(e.source_ids),
            "sources": " | ".join(citation(s) if s else sid for s, sid in zip(sources, e.source_ids)),
            "origin": e.origin,
        })
    columns = ["event_id", "date", "date_precision", "place_ids", "controller_before", "controller_after", "kind",
               "title", "description", "alt_dates", "road_status", "source_ids", "sources", "origin"]
    return pd.DataFrame(rows, columns=columns)


def citation(source) -> str:
    """``Title (publisher or author, date) URL``: the same line ``karabakh-map events`` prints."""
    by = source.publisher or source.author
    text = f"{source.title} ({by}{', ' + source.date if source.date else ''})" if by or source.date else source.title
    if source.safe_url:
        text += f" {source.safe_url}"
    elif source.citation:
        text += f", {source.citation}"
    return text


def history_frame(timeline: Timeline, place_id: str) -> pd.DataFrame:
    """One row per day on which what is known about the place changed: its controller, its
    claim status, its share (regions), the peacekeeping zone or a road's status; each with the
    event that changed it and that event's sources."""
    catalog = timeline.catalog
    candidates = sorted({e.date for e in catalog.events_for(place_id)})
    rows = []
    before = _shown(timeline.state(place_id, candidates[0] - dt.timedelta(days=1))) if candidates else None
    pending = list(candidates)
    seen: set[dt.date] = set()
    while pending:
        date = pending.pop(0)
        if date in seen:
            continue
        seen.add(date)
        state = timeline.state(place_id, date)
        if state.confirmed_on and state.confirmed_on not in seen and state.confirmed_on > date:
            pending.append(state.confirmed_on)
            pending.sort()
        after = _shown(state)
        if after == before:
            continue
        event = catalog.events_by_id.get(state.event_id) if state.event_id and state.since == date else None
        day_events = [e for e in catalog.events_for(place_id) if e.date == date]
        cited = event or (day_events[-1] if day_events else None)
        sources = [catalog.sources.get(sid) for sid in (cited.source_ids if cited else ())]
        rows.append({
            "date": date, "controller_before": before[0] if before else None, "controller": state.controller,
            "status": state.status, "confirmed_on": state.confirmed_on,
            "share": dict(state.share) if state.share is not None else None,
            "in_peacekeeping_zone": state.in_peacekeeping_zone, "road_status": state.road_status,
            "event_id": cited.event_id if cited else None, "kind": cited.kind if cited else None,
            "title": cited.title if cited else None,
            "source_ids": ";".join(cited.source_ids) if cited else "",
            "sources": " | ".join(citation(s) for s in sources if s),
        })
        before = after
    columns = ["date", "controller_before", "controller", "status", "confirmed_on", "share", "in_peacekeeping_zone",
               "road_status", "event_id", "kind", "title", "source_ids", "sources"]
    return pd.DataFrame(rows, columns=columns)


def _shown(state: PlaceState) -> tuple:
    """What the map shows about a place: a change in any of these is a row of its history."""
    share = tuple(sorted((state.share or {}).items()))
    return state.controller, state.status, share, state.in_peacekeeping_zone, state.road_status


def write_gpkg(frame: gpd.GeoDataFrame, path: Path | str, layer: str) -> None:
    """Write a frame as one GeoPackage layer (pyogrio); dates become ISO text."""
    out = frame.copy()
    for column in out.columns:
        if column != "geometry" and out[column].map(lambda v: isinstance(v, dt.date)).any():
            out[column] = out[column].map(lambda v: v.isoformat() if isinstance(v, dt.date) else None)
    out.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")


GPKG_LAYERS = {"region": "regions", "settlement": "settlements", "road": "roads"}


def control_gpkg(timeline: Timeline, date: dt.date, place_ids: list[str] | None = None) -> bytes:
    """The places on ``date`` as the bytes of a GeoPackage file (for a download)."""
    frame = control_frame(timeline, date, place_ids)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "control.gpkg"
        for layer, name in GPKG_LAYERS.items():
            part = frame[frame["layer"] == layer]
            if len(part):
                write_gpkg(part, path, name)
        if place_ids is None:  # the whole map: also the areas as it colours them
            write_gpkg(zones_frame(timeline, date), path, "zones")
        return path.read_bytes()
