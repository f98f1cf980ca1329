"""Place states and events as JSON, GeoJSON and CSV: shared by the CLI, the app's downloads and the export.

CSV, the rules and why:

* **Columns come from the vocabularies, not from a hand-written list**: a snapshot has one
  ``share_<controller>`` column per entry of ``catalog.CONTROLLERS`` (``share_contested``
  included), so a new controller cannot silently drop out of the CSV while the JSON has it.
  A place without shares (a settlement, a road) leaves them empty.
* **An events CSV has exactly the columns of ``geodata/events.csv``** (``validation.EVENT_COLUMNS``,
  ``alt_dates`` and ``road_status`` included), so ``events --format csv`` output is accepted back
  by ``--events`` and by the app's upload box: a researcher exports, edits and re-uploads.
* **Spreadsheet formulas are neutralised** (OWASP "CSV Injection"): a *text* cell whose first
  character is ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written with a leading
  ``'``, which spreadsheets show as text.  Numbers we compute (shares) are written as numbers and
  never prefixed, so a negative number keeps its meaning; only text is touched, and an uploaded
  title such as ``-5 km`` becomes ``'-5 km``.  Reading a CSV back (``validation.read_csv_rows``)
  removes exactly that one quote before such a character, so the round trip is lossless.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from shapely.geometry import mapping

from karabakh_map.catalog import CONTROLLERS, Catalog, Event
from karabakh_map.timeline import PlaceState, Timeline
from karabakh_map.validation import EVENT_COLUMNS


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
               *(f"share_{controller}" for controller in CONTROLLERS), "partial", "in_peacekeeping_zone",
               "road_status")

# Characters that make a spreadsheet read a cell as a formula (OWASP CSV Injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value: object) -> object:
    """A text cell a spreadsheet shows as text; numbers, booleans and None are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def csv_text(columns: tuple[str, ...], rows: list[dict]) -> str:
    """Every CSV this package writes goes through here (header, then rows, formulas neutralised)."""
    out = io.StringIO()
    # RFC 4180's CRLF: the csv module quotes a field only for the characters of its line
    # terminator, so with "\n" alone a carriage return inside a title would split the row.
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: neutralised(value) for key, value in row.items()})
    return out.getvalue()


def records_csv(records: list[dict]) -> str:
    """State records (``state_record``) as CSV with ``CSV_COLUMNS``."""
    return csv_text(CSV_COLUMNS, [flat_record(r) for r in records])


def snapshot_csv(timeline: Timeline, date: dt.date) -> str:
    return records_csv(snapshot_records(timeline, date))


def snapshot_gpkg(timeline: Timeline, date: dt.date, place_ids: list[str] | None = None) -> bytes:
    """Every place (or the given ones) on a day as a GeoPackage file's bytes: layers ``regions``,
    ``settlements``, ``roads`` (the columns of :func:`karabakh_map.frames.control_frame`) and,
    for the whole map, ``zones`` (:func:`karabakh_map.frames.zones_frame`)."""
    from karabakh_map import frames  # geopandas and pyogrio load only when a GeoPackage is asked for

    return frames.control_gpkg(timeline, date, place_ids)


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


EVENT_CSV_COLUMNS = EVENT_COLUMNS


def event_row(event: Event) -> dict:
    """An event as a row of geodata/events.csv (lists joined with ';', alternative dates as date@source)."""
    return {
        "event_id": event.event_id, "date": event.date.isoformat(), "date_precision": event.date_precision,
        "place_ids": ";".join(event.place_ids), "controller_before": event.controller_before or "",
        "controller_after": event.controller_after or "", "kind": event.kind, "title": event.title,
        "description": event.description, "source_ids": ";".join(event.source_ids),
        "alt_dates": ";".join(f"{a.date.isoformat()}@{a.source_id}" for a in event.alt_dates),
        "road_status": event.road_status or "",
    }


def events_csv(catalog: Catalog, events: list[Event]) -> str:
    return csv_text(EVENT_CSV_COLUMNS, [event_row(e) for e in events])


def rounded_geometry(geometry: dict, decimals: int = 6) -> dict:
    def fix(coords):
        if isinstance(coords, (list, tuple)) and coords and isinstance(coords[0], (int, float)):
            return [round(coords[0], decimals), round(coords[1], decimals)]
        return [fix(c) for c in coords]
    return {"type": geometry["type"], "coordinates": fix(geometry["coordinates"])}
