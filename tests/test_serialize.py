"""The CSV the app's download button and the CLI write: every controller's share, no live formulas."""

from __future__ import annotations

import csv
import io

import pytest

from helpers import d
from karabakh_map import serialize
from karabakh_map.catalog import CONTROLLERS


def test_snapshot_csv_has_every_share_the_json_has(timeline):
    date = d("2022-08-01")
    records = {r["id"]: r for r in serialize.snapshot_records(timeline, date)}
    rows = list(csv.DictReader(io.StringIO(serialize.snapshot_csv(timeline, date))))
    assert {f"share_{c}" for c in CONTROLLERS} <= set(rows[0])
    for row in rows:
        share = records[row["id"]].get("share") or {}
        assert {c: float(row[f"share_{c}"]) for c in CONTROLLERS if row[f"share_{c}"]} == share, row["id"]


def test_every_controller_has_its_share_column(catalog, timeline):
    record = serialize.state_record(catalog, timeline.state("district-aghdam", d("2000-01-01")))
    record["share"] = {c: 1 / len(CONTROLLERS) for c in CONTROLLERS}  # a share for every controller, contested too
    row = next(csv.DictReader(io.StringIO(serialize.records_csv([record]), newline="")))
    assert {c: float(row[f"share_{c}"]) for c in CONTROLLERS} == record["share"]


@pytest.mark.parametrize("text, written", [
    ("=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"), ("+1", "'+1"), ("-1+2", "'-1+2"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("Aghdam", "Aghdam"), ("a=b", "a=b"),
])
def test_text_cells_that_a_spreadsheet_would_run_are_quoted(text, written):
    written_csv = serialize.csv_text(("name", "share"), [{"name": text, "share": -0.5}])
    rows = list(csv.reader(io.StringIO(written_csv, newline="")))
    assert rows[1] == [written, "-0.5"]  # the number keeps its sign and meaning


def test_event_and_state_csvs_are_guarded(timeline, catalog):
    from dataclasses import replace

    event = replace(catalog.events[0], title="=cmd|' /C calc'!A0", description="@evil")
    row = next(csv.DictReader(io.StringIO(serialize.events_csv(catalog, [event]), newline="")))
    assert row["title"] == "'=cmd|' /C calc'!A0" and row["description"] == "'@evil"
    record = serialize.state_record(catalog, timeline.state("district-aghdam", d("2000-01-01")))
    row = next(csv.DictReader(io.StringIO(serialize.records_csv([dict(record, name="-2+3")]), newline="")))
    assert row["name"] == "'-2+3" and float(row["share_armenian_forces"]) == record["share"]["armenian_forces"]
