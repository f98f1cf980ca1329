"""``karabakh-map``: validate the data, ask who held a place on a day, list events, export a static site.

    karabakh-map validate
    karabakh-map state --date 1993-08-01 --place Aghdam
    karabakh-map state --queries queries.csv          # CSV with columns place,date -> JSON lines
    karabakh-map events --place Shushi --from 1992-01-01 --to 1992-12-31
    karabakh-map export --out site/

Bad input (an unknown place, a malformed date) exits 2 with one line naming the bad value.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import sys
from pathlib import Path

from karabakh_map.catalog import GEODATA_DIR, Catalog, CatalogError, UnknownPlace
from karabakh_map.validation import decode, load_catalog


class BadInput(Exception):
    """A user-supplied value the command cannot use: reported on one line, exit code 2."""


def parse_date(text: str, what: str = "date") -> dt.date:
    try:
        if len(text) != 10:
            raise ValueError
        return dt.date.fromisoformat(text)
    except (ValueError, TypeError):
        raise BadInput(f"malformed {what} {text!r}: expected YYYY-MM-DD") from None


def load(args) -> Catalog:
    catalog = load_catalog(args.data)
    if getattr(args, "events", None):
        from karabakh_map.uploads import merge_events

        path = Path(args.events)
        if not path.exists():
            raise BadInput(f"events file not found: {args.events}")
        merged, problems = merge_events(catalog, path.name, path.read_bytes(), replace=args.events_only)
        if problems:
            raise CatalogError(problems)
        assert merged is not None
        catalog = merged
    return catalog


def cmd_validate(args) -> int:
    catalog = load(args)
    counts = {layer: sum(1 for p in catalog.places.values() if p.layer == layer) for layer in ("region", "settlement", "road")}
    print(f"OK: {counts['region']} regions, {counts['settlement']} settlements, {counts['road']} roads, "
          f"{len(catalog.events)} events, {len(catalog.sources)} sources")
    return 0


def _timeline(catalog: Catalog):
    from karabakh_map.timeline import Timeline
    return Timeline(catalog)


def cmd_state(args) -> int:
    from karabakh_map import serialize

    catalog = load(args)
    timeline = _timeline(catalog)
    if args.queries:
        return _answer_queries(catalog, timeline, args.queries)
    if not args.date:
        raise BadInput("--date is required (or --queries FILE)")
    date = parse_date(args.date)
    if args.place:
        place = catalog.resolve(args.place)
        record = serialize.state_record(catalog, timeline.state(place.id, date))
        if args.format == "csv":
            writer = csv.DictWriter(sys.stdout, fieldnames=serialize.CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
            writer.writeheader()
            writer.writerow(serialize.flat_record(record))
        elif args.format == "geojson":
            print(json.dumps(serialize.state_feature(catalog, timeline.state(place.id, date)), ensure_ascii=False))
        else:
            print(json.dumps(record, ensure_ascii=False))
        return 0
    if args.format == "geojson":
        print(serialize.snapshot_geojson(timeline, date))
    elif args.format == "csv":
        sys.stdout.write(serialize.snapshot_csv(timeline, date))
    else:
        print(json.dumps(serialize.snapshot_records(timeline, date), ensure_ascii=False))
    return 0


def _answer_queries(catalog: Catalog, timeline, path_text: str) -> int:
    from karabakh_map import serialize

    path = Path(path_text)
    if not path.exists():
        raise BadInput(f"queries file not found: {path_text}")
    problems: list = []
    text = decode(path.read_bytes(), path.name, problems)
    if text is None:
        raise BadInput(str(problems[0]))
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames or not {"place", "date"} <= set(reader.fieldnames):
        raise BadInput(f"{path.name}: the header must have the columns place,date (found {reader.fieldnames})")
    for row in reader:
        line = reader.line_num
        place_text, date_text = (row.get("place") or "").strip(), (row.get("date") or "").strip()
        try:
            date = parse_date(date_text)
            place = catalog.resolve(place_text)
            record = serialize.state_record(catalog, timeline.state(place.id, date))
            record["query"] = {"place": place_text, "date": date_text, "row": line}
        except (BadInput, UnknownPlace) as exc:
            record = {"query": {"place": place_text, "date": date_text, "row": line}, "error": _message(exc)}
        print(json.dumps(record, ensure_ascii=False))
    return 0


def cmd_events(args) -> int:
    from karabakh_map import serialize

    catalog = load(args)
    start = parse_date(args.date_from, "--from date") if args.date_from else dt.date.min
    end = parse_date(args.date_to, "--to date") if args.date_to else dt.date.max
    events = catalog.events_for(catalog.resolve(args.place).id) if args.place else catalog.events
    selected = [e for e in events if start <= e.date <= end]
    if args.format == "csv":
        sys.stdout.write(serialize.events_csv(catalog, selected))
    elif args.format == "json":
        print(json.dumps([serialize.event_record(catalog, e) for e in selected], ensure_ascii=False, indent=1))
    else:
        for e in selected:
            sources = "; ".join(
                f"{s.title} ({s.publisher or s.author}{', ' + s.date if s.date else ''})" + (f" {s.safe_url}" if s.safe_url else "")
                for s in (catalog.sources[sid] for sid in e.source_ids))
            change = f" [{e.controller_before} -> {e.controller_after}]" if e.changes_control else ""
            print(f"{e.date.isoformat()}  {e.title}{change}\n            {', '.join(e.place_ids)}\n            sources: {sources}")
    return 0


def cmd_export(args) -> int:
    from karabakh_map.export import ExportError, export_site

    catalog = load(args)
    try:
        report = export_site(catalog, Path(args.out))
    except ExportError as exc:
        print(f"karabakh-map: export failed: {exc}", file=sys.stderr)
        return 1
    print(report)
    return 0


def _message(exc: Exception) -> str:
    if isinstance(exc, UnknownPlace):
        return f"unknown place {exc.query!r}"
    return str(exc)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="karabakh-map", description="Territorial control in the Nagorno-Karabakh conflict, 1988 to today.")
    parser.add_argument("--data", default=str(GEODATA_DIR), help="geodata directory (default: the bundled data)")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_events(p):
        p.add_argument("--events", help="an extra events CSV in the format of geodata/events.csv")
        p.add_argument("--events-only", action="store_true", help="use only --events, not the bundled history")
        return p

    p = with_events(sub.add_parser("validate", help="check every data file"))
    p.set_defaults(func=cmd_validate)
    p = with_events(sub.add_parser("state", help="who held a place (or every place) on a date"))
    p.add_argument("--date", help="YYYY-MM-DD")
    p.add_argument("--place", help="an id or any name variant, e.g. Shusha, Şuşa, Shushi")
    p.add_argument("--format", choices=("json", "geojson", "csv"), default="json")
    p.add_argument("--queries", help="CSV with columns place,date; prints one JSON object per line")
    p.set_defaults(func=cmd_state)
    p = with_events(sub.add_parser("events", help="list events with their sources"))
    p.add_argument("--place")
    p.add_argument("--from", dest="date_from")
    p.add_argument("--to", dest="date_to")
    p.add_argument("--format", choices=("text", "json", "csv"), default="text")
    p.set_defaults(func=cmd_events)
    p = sub.add_parser("export", help="write a self-contained static site")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (BadInput, UnknownPlace) as exc:
        print(f"karabakh-map: error: {_message(exc)}", file=sys.stderr)
        return 2
    except CatalogError as exc:
        print(f"karabakh-map: {exc}", file=sys.stderr)
        return 1
