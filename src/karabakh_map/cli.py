"""``karabakh-map``: validate the data, ask who held a place on a day, list events, export a static site.

    karabakh-map validate
    karabakh-map state --date 1993-08-01 --place Aghdam
    karabakh-map state --date 1993-08-01 --format gpkg --out control.gpkg
    karabakh-map state --queries queries.csv          # CSV with columns place,date -> JSON lines
    karabakh-map events --place Shushi --from 1992-01-01 --to 1992-12-31
    karabakh-map figure --date 1993-08-01 --place Aghdam --out aghdam-1993.png   # or .svg
    karabakh-map export --out site/

Bad input (an unknown place, a malformed or out-of-range date, an unreadable file) exits 2 with
one line naming the parameter and the bad value, in the words the share link uses (see
``parsing``).  A file that cannot be written exits 1, naming the path.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from karabakh_map.catalog import GEODATA_DIR, Catalog, CatalogError, UnknownPlace
from karabakh_map.parsing import ParseError, parse_date, shown
from karabakh_map.validation import MAX_FILE_BYTES, decode, load_catalog, read_csv_rows


class BadInput(Exception):
    """A user-supplied value the command cannot use: reported on one line, exit code 2."""


def read_input(path_text: str, what: str) -> bytes:
    """The bytes of a file the user names; any reason it cannot be read becomes one line."""
    if not path_text.strip():
        raise BadInput(f"the {what} name is empty")
    path = Path(path_text)
    if path.is_dir():
        raise BadInput(f"{what} {path_text} is a directory, not a file")
    try:
        with path.open("rb") as file:
            # one byte over the limit is enough for decode() to refuse it; /dev/zero never ends
            return file.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise BadInput(f"{what} not found: {path_text}") from None
    except OSError as exc:
        raise BadInput(f"{what} {path_text} cannot be read: {exc.strerror or exc}") from None


def place_argument(text: str, catalog: Catalog, date: dt.date | None = None):
    if not text.strip():
        raise BadInput("--place is empty: give a place id or name, or leave --place out")
    return catalog.resolve(text, date)


def load(args) -> Catalog:
    catalog = load_catalog(args.data)
    if getattr(args, "events", None) is not None:
        from karabakh_map.uploads import merge_events

        data = read_input(args.events, "events file")
        merged, problems = merge_events(catalog, Path(args.events).name, data, replace=args.events_only)
        if problems:
            raise CatalogError(problems)
        assert merged is not None
        catalog = merged
    return catalog


def cmd_validate(args) -> int:
    from karabakh_map.claims import check_claims, source_warnings

    catalog = load(args)
    for warning in source_warnings(catalog):
        print(f"warning: {warning}", file=sys.stderr)
    problems = check_claims(catalog)
    if problems:
        raise CatalogError(problems)
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
    if args.date is None:
        raise BadInput("--date is required (or --queries FILE)")
    date = parse_date(args.date, "date")
    if args.format == "gpkg":
        if not args.out:
            raise BadInput("--format gpkg writes a file: give --out FILE.gpkg")
        place_ids = [place_argument(args.place, catalog).id] if args.place is not None else None
        Path(args.out).write_bytes(serialize.snapshot_gpkg(timeline, date, place_ids))
        print(f"wrote {args.out}")
        return 0
    if args.place is not None:
        place = place_argument(args.place, catalog, date)
        others = [p.id for p in catalog.also_matches(args.place, date)]
        record = serialize.state_record(catalog, timeline.state(place.id, date))
        if others:
            record["also_matches"] = others
            if args.format != "json":
                print(f"{args.place!r} also matches: {', '.join(others)}", file=sys.stderr)
        if args.format == "csv":
            sys.stdout.write(serialize.records_csv([record]))
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
    """One JSON line per row, in order; a row that cannot be answered gets an "error" instead.

    The whole file is read first, so a file that is not a CSV of place,date fails before any
    answer is printed."""
    from karabakh_map import serialize

    name = Path(path_text).name
    problems: list = []
    text = decode(read_input(path_text, "queries file"), name, problems)
    if text is None:
        reason = problems[0].message
        if reason == "file is empty":
            reason = "the file is empty; expected a header place,date and one row per question"
        raise BadInput(f"queries file {name}: {reason}")
    rows = read_csv_rows(text, name, ("place", "date"), problems)
    if rows is None:
        raise BadInput(f"queries file {name}: the header must have the columns place,date ({problems[0].message})")
    fatal = [p for p in problems if p.message.startswith("malformed CSV")]
    if fatal:
        raise BadInput(f"queries file {name}: {fatal[0].item}: {fatal[0].message}")
    answers = {line: None for line, _ in rows}
    answers.update({int(p.item.split()[1]): p.message for p in problems})
    by_line = dict(rows)
    for line in sorted(answers):
        row = by_line.get(line, {})
        place_text, date_text = row.get("place", ""), row.get("date", "")
        query = {"place": place_text, "date": date_text, "row": line}
        if answers[line] is not None:
            print(json.dumps({"query": query, "error": answers[line]}, ensure_ascii=False))
            continue
        try:
            date = parse_date(date_text, "date")
            if not place_text:
                raise BadInput("place is empty")
            place = catalog.resolve(place_text, date)
            record = serialize.state_record(catalog, timeline.state(place.id, date))
            others = [p.id for p in catalog.also_matches(place_text, date)]
            if others:
                record["also_matches"] = others
            record["query"] = query
        except (BadInput, UnknownPlace, ParseError) as exc:
            record = {"query": query, "error": _message(exc)}
        print(json.dumps(record, ensure_ascii=False))
    return 0


def cmd_events(args) -> int:
    from karabakh_map import serialize

    catalog = load(args)
    # an event may lie after today (an uploaded scenario), so the range is not clamped to history
    start = parse_date(args.date_from, "--from", in_history=False) if args.date_from is not None else dt.date.min
    end = parse_date(args.date_to, "--to", in_history=False) if args.date_to is not None else dt.date.max
    if start > end:
        raise BadInput(f"--from {start} is after --to {end}: no day lies between them")
    events = catalog.events_for(place_argument(args.place, catalog).id) if args.place is not None else catalog.events
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
    except OSError as exc:
        # e.g. a directory where data.js should go, a read-only or full disk
        where = exc.filename or args.out
        print(f"karabakh-map: export failed: cannot write {where}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(report)
    return 0


def cmd_figure(args) -> int:
    from karabakh_map import figure

    catalog = load(args)
    date = parse_date(args.date, "date")
    place = catalog.resolve(args.place) if args.place else None
    out = Path(args.out) if args.out else Path(figure.figure_filename(date, place))
    fmt = out.suffix.lower().removeprefix(".")
    if fmt not in figure.FORMATS:
        raise BadInput(f"Invalid --out {shown(args.out)!r} (expected a file name ending in .png or .svg)")
    if not out.parent.is_dir():
        raise BadInput(f"Invalid --out {shown(args.out)!r} (expected a file in an existing folder)")
    data = figure.render(_timeline(catalog), date, place, fmt=fmt)
    try:
        out.write_bytes(data)
    except OSError as exc:
        print(f"karabakh-map: figure failed: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"wrote {out} ({len(data):,} bytes)")
    return 0


def _message(exc: Exception) -> str:
    if isinstance(exc, UnknownPlace):
        return f"unknown place {shown(exc.query)!r}"
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
    p.add_argument("--format", choices=("json", "geojson", "csv", "gpkg"), default="json")
    p.add_argument("--out", help="the file to write (needed for --format gpkg, a GeoPackage)")
    p.add_argument("--queries", help="CSV with columns place,date; prints one JSON object per line")
    p.set_defaults(func=cmd_state)
    p = with_events(sub.add_parser("events", help="list events with their sources"))
    p.add_argument("--place")
    p.add_argument("--from", dest="date_from")
    p.add_argument("--to", dest="date_to")
    p.add_argument("--format", choices=("text", "json", "csv"), default="text")
    p.set_defaults(func=cmd_events)
    p = with_events(sub.add_parser("figure", help="a citable static map of one date (PNG or SVG)"))
    p.add_argument("--date", required=True, help="YYYY-MM-DD")
    p.add_argument("--place", help="a place to ring: an id or any name variant")
    p.add_argument("--out", help="F.png or F.svg (default: karabakh-control-DATE[-PLACE].png here)")
    p.set_defaults(func=cmd_figure)
    p = sub.add_parser("export", help="write a self-contained static site")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (BadInput, UnknownPlace, ParseError) as exc:
        print(f"karabakh-map: error: {_message(exc)}", file=sys.stderr)
        return 2
    except CatalogError as exc:
        print(f"karabakh-map: {exc}", file=sys.stderr)
        return 1
