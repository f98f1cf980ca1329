"""Counts for geodata/README.md: sources by perspective, and control changes by what they rest on.

    PYTHONPATH=src python scripts/source_report.py               # the working tree
    PYTHONPATH=src python scripts/source_report.py --before REF   # also a git revision, e.g. main
    PYTHONPATH=src python scripts/source_report.py --before d232046 --write   # update geodata/README.md

For a revision, the perspective counts are its own labels as written; the control changes are
classified with the *current* perspective of each source id (the ids are the same), so that
"before" and "after" differ only by what changed in the data (events, confirmations), not by
the relabelling.  Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import csv
import io
import subprocess
import sys
from pathlib import Path

from karabakh_map.catalog import GEODATA_DIR, PERSPECTIVES, Catalog, Source
from karabakh_map.claims import ENCYCLOPEDIA, claim_statuses, parse_confirmations
from karabakh_map.validation import load_catalog, parse_events

ROOT = Path(__file__).resolve().parents[1]
# The generated part of geodata/README.md: from the first table's title to the next section.
# Rows removed from sources.csv since the audited revision, with the perspective they had.
REMOVED_SOURCES = {"src-kiddle-nk-conflict": "encyclopedia", "src-ruwiki-gulistan-fortress": "encyclopedia",
                   "src-pashayeva-2023": "official_azerbaijani", "src-huseynov-2023": "official_azerbaijani"}
README_START, README_END = "Sources by perspective\n", "## Known inaccuracies"


def git_file(ref: str, path: str) -> str | None:
    result = subprocess.run(["git", "-C", str(ROOT), "show", f"{ref}:{path}"], capture_output=True, text=True)
    return result.stdout if result.returncode == 0 else None


def perspective_counts(sources_text: str) -> collections.Counter:
    return collections.Counter(row["perspective"] for row in csv.DictReader(io.StringIO(sources_text)))


def rest_on_counts(catalog: Catalog) -> dict[str, int]:
    """Each change of control in exactly one bucket, plus two cross-cutting counts."""
    statuses = claim_statuses(catalog)
    confirming: dict[str, set[str]] = {}
    for confirmation in catalog.confirmations:
        confirming.setdefault(confirmation.event_id, set()).update(confirmation.source_ids)
    buckets: collections.Counter = collections.Counter()
    encyclopedia_only = own_encyclopedia_only = single_source = 0
    for event in catalog.events:
        if not event.changes_control:
            continue
        status = statuses.get(event.event_id)
        if status is None:
            buckets["no side gains (to contested, or no change)"] += 1
        elif not status.claimed:
            buckets["a source not of the gaining side (confirmed from its date)"] += 1
        elif status.confirmed_on is None:
            buckets["only the gaining side or encyclopedias: claim, unconfirmed"] += 1
        else:
            buckets[f"only the gaining side or encyclopedias: claim, confirmed ({status.basis})"] += 1
        resting_on = set(event.source_ids) | confirming.get(event.event_id, set())
        if all(catalog.sources[s].perspective == ENCYCLOPEDIA for s in resting_on if s in catalog.sources):
            encyclopedia_only += 1
        if all(catalog.sources[s].perspective == ENCYCLOPEDIA for s in event.source_ids if s in catalog.sources):
            own_encyclopedia_only += 1
        if len(event.source_ids) == 1:
            single_source += 1
    total = sum(buckets.values())
    return {**dict(sorted(buckets.items())), "total changes of control": total,
            "resting on encyclopedias alone (own sources)": own_encyclopedia_only,
            "resting on encyclopedias alone (with confirmations)": encyclopedia_only,
            "with a single source of their own": single_source}


def _without_repeats(events_text: str) -> str:
    """An older events.csv may list a place or source twice in one row (today an error): count it once."""
    rows = list(csv.reader(io.StringIO(events_text)))
    header = rows[0]
    for row in rows[1:]:
        for column in ("place_ids", "source_ids"):
            if column in header and len(row) == len(header):
                index = header.index(column)
                row[index] = ";".join(dict.fromkeys(p.strip() for p in row[index].split(";") if p.strip()))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def table(header: tuple[str, ...], rows: list[tuple]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", metavar="REF", help="a git revision to compare with (e.g. main)")
    parser.add_argument("--write", action="store_true", help="replace the tables in geodata/README.md")
    args = parser.parse_args(argv)
    if args.write:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = main([a for a in (argv if argv is not None else sys.argv[1:]) if a != "--write"])
        if status:
            return status
        readme = GEODATA_DIR / "README.md"
        text = readme.read_text(encoding="utf-8")
        start, end = text.index(README_START), text.index(README_END)
        readme.write_text(text[:start] + out.getvalue().strip() + "\n\n" + text[end:], encoding="utf-8")
        print(f"updated {readme}")
        return 0

    after = load_catalog(GEODATA_DIR)
    after_perspectives = perspective_counts((GEODATA_DIR / "sources.csv").read_text(encoding="utf-8"))
    columns = ["perspective"]
    before_perspectives: collections.Counter = collections.Counter()
    before_rest: dict[str, int] = {}
    if args.before:
        sources_text = git_file(args.before, "geodata/sources.csv")
        events_text = git_file(args.before, "geodata/events.csv")
        if sources_text is None or events_text is None:
            print(f"source_report: {args.before} has no geodata/sources.csv and events.csv", file=sys.stderr)
            return 1
        before_perspectives = perspective_counts(sources_text)
        sources = dict(after.sources)
        for row in csv.DictReader(io.StringIO(sources_text)):
            if row["source_id"] not in sources:  # a row removed since: its perspective in today's vocabulary
                fields = {k: row.get(k, "") for k in ("source_id", "title", "author", "publisher", "date", "url",
                                                      "citation")}
                sources[row["source_id"]] = Source(**fields, perspective=REMOVED_SOURCES.get(row["source_id"], ""))
        problems, events = parse_events(_without_repeats(events_text), "geodata/events.csv", dict(after.places),
                                        sources, rejected=set())
        confirmations_text = git_file(args.before, "geodata/confirmations.csv")
        confirmations = parse_confirmations(confirmations_text)[1] if confirmations_text else []
        if problems:
            print(f"source_report: {len(problems)} event rows of {args.before} skipped (e.g. {problems[0]})",
                  file=sys.stderr)
        before = Catalog(places=after.places, events=tuple(events), sources=sources,
                         confirmations=tuple(confirmations))
        before_rest = rest_on_counts(before)
        columns.append(f"before ({args.before})")
    columns.append("after")

    labels = list(PERSPECTIVES) + sorted(set(before_perspectives) - set(PERSPECTIVES))
    rows = []
    for label in labels:
        row = [label] + ([before_perspectives.get(label, 0)] if args.before else []) + [after_perspectives.get(label, 0)]
        rows.append(tuple(row))
    rows.append(tuple(["**total**"] + ([sum(before_perspectives.values())] if args.before else [])
                      + [sum(after_perspectives.values())]))
    print("Sources by perspective\n")
    print(table(tuple(columns), rows))

    after_rest = rest_on_counts(after)
    summary = [k for k in after_rest if k.startswith(("total", "resting", "with a single"))]
    keys = sorted((set(before_rest) | set(after_rest)) - set(summary)) + summary
    rows = [tuple([key] + ([before_rest.get(key, 0)] if args.before else []) + [after_rest.get(key, 0)])
            for key in keys]
    print("\nChanges of control by what they rest on\n")
    print(table(tuple(["changes of control"] + columns[1:]), rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
