"""Place states and events as JSON, GeoJSON and CSV: shared by the CLI, the app's downloads and the export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from shapely.geometry import mapping

from karabakh_map.catalog import Catalog, Event
from karabakh_map.timeline import PlaceState, Timeline


def state_record(catalog: Catalog, state: PlaceState) -> dict:
    place = catalog.places[state.place_id]
    event = catalog.events_by_id.get(state.event_id) if state.event_id else None
    record = {
        "id": place.id,
        "name": place.names.en,
        "names": place.names.as_dict(),
        "kind": place.kind,
        "layer": place.layer,
        "date": state.date.isoformat(),
        "controller": state.controller,
        "since": state.since.isoformat() if state.since else None,
        "event_id": state.event_id,
        "event_title": event.title if event else None,
        "source_ids": list(event.source_ids) if event else [],
        "in_peacekeeping_zone": state.in_peacekeeping_zone,
        "status": state.status,  # "claimed" while only the gaining side says so (geodata/README.md)
        "confirmed_on": state.confirmed_on.isoformat() if state.confirmed_on else None,
    }
    if state.share is not None:
        record["share"] = dict(state.share)
        record["partial"] = state.partial
    if place.layer == "road":
        record["road_status"] = state.road_status
        record["visible"] = state.visible
    return record


def snapshot_records(timeline: Timeline, date: dt.date) -> list[dict]:
    return [state_record(timeline.catalog, s) for s in timeline.snapshot(date).values()]


def state_feature(catalog: Catalog, state: PlaceState) -> dict:
    """A place's state as a GeoJSON Feature (its geometry rounded to 6 decimals)."""
    record = state_record(catalog, state)
    geometry = rounded_geometry(mapping(catalog.places[state.place_id].geometry))
    return {"type": "Feature", "id": record["id"], "properties": record, "geometry": geometry}


def snapshot_geojson(timeline: Timeline, date: dt.date) -> str:
    features = [state_feature(timeline.catalog, s) for s in timeline.snapshot(date).values()]
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


CSV_COLUMNS = ("id", "name", "name_az", "name_hy_latn", "kind", "layer", "date", "controller", "since", "event_id",
               "share_azerbaijan", "share_armenian_forces", "share_russian_peacekeepers", "in_peacekeeping_zone",
               "road_status")


def snapshot_csv(timeline: Timeline, date: dt.date) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for record in snapshot_records(timeline, date):
        writer.writerow(flat_record(record))
    return out.getvalue()


def flat_record(record: dict) -> dict:
    flat = dict(record)
    flat["name_az"] = record["names"]["az"]
    flat["name_hy_latn"] = record["names"]["hy_latn"]
    for controller, value in (record.get("share") or {}).items():
        flat[f"share_{controller}"] = value
    return flat


def event_record(catalog: Catalog, event: Event) -> dict:
    return {
        "event_id": event.event_id,
        "date": event.date.isoformat(),
        "date_precision": event.date_precision,
        "place_ids": list(event.place_ids),
        "controller_before": event.controller_before,
        "controller_after": event.controller_after,
        "kind": event.kind,
        "title": event.title,
        "description": event.description,
        "alt_dates": [{"date": a.date.isoformat(), "source_id": a.source_id} for a in event.alt_dates],
        "road_status": event.road_status,
        "sources": [source_record(catalog, sid) for sid in event.source_ids],
        "origin": event.origin,
    }


def source_record(catalog: Catalog, source_id: str) -> dict:
    source = catalog.sources.get(source_id)
    if source is None:
        return {"source_id": source_id}
    return {"source_id": source.source_id, "title": source.title, "author": source.author,
            "publisher": source.publisher, "date": source.date, "url": source.safe_url,
            "citation": source.citation, "perspective": source.perspective}


EVENT_CSV_COLUMNS = ("event_id", "date", "date_precision", "place_ids", "controller_before", "controller_after",
                     "kind", "title", "description", "source_ids")


def events_csv(catalog: Catalog, events: list[Event]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EVENT_CSV_COLUMNS)
    for e in events:
        writer.writerow([e.event_id, e.date.isoformat(), e.date_precision, ";".join(e.place_ids),
                         e.controller_before or "", e.controller_after or "", e.kind, e.title, e.description,
                         ";".join(e.source_ids)])
    return out.getvalue()


def rounded_geometry(geometry: dict, decimals: int = 6) -> dict:
    def fix(coords):
        if isinstance(coords, (list, tuple)) and coords and isinstance(coords[0], (int, float)):
            return [round(coords[0], decimals), round(coords[1], decimals)]
        return [fix(c) for c in coords]
    return {"type": geometry["type"], "coordinates": fix(geometry["coordinates"])}
