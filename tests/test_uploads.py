"""A researcher's own events: validated with the same rules, merged in memory, bundled data untouched."""

from __future__ import annotations

import dataclasses

from helpers import d
from karabakh_map.catalog import GEODATA_DIR
from karabakh_map.timeline import Timeline
from karabakh_map.uploads import merge_events, merge_uploaded_events

HEADER = ("event_id,date,date_precision,place_ids,controller_before,controller_after,kind,title,description,"
          "source_ids,alt_dates,road_status\n")


def test_valid_rows_are_merged_and_errors_listed_by_row_and_column(catalog):
    data = (HEADER
            + "ev-19950101-mine,1995-01-01,day,settlement-aghdam,armenian_forces,contested,other,My claim,,https://example.org/r,,\n"
            + "ev-19950102-bad,1995-13-02,day,settlement-aghdam,,,other,Bad date,,src-unsc-822,,\n"
            + "ev-19950103-bad,1995-01-03,day,settlement-nowhere,,,other,Bad place,,src-unsc-822,,\n").encode()
    before = {p.name: p.read_bytes() for p in GEODATA_DIR.glob("*.*")}
    merged, problems = merge_events(catalog, "mine.csv", data)
    assert [str(p) for p in problems] == [
        "mine.csv: row 3: date: Invalid date '1995-13-02' (expected YYYY-MM-DD, a day that exists)",
        "mine.csv: row 4: place_ids: unknown place 'settlement-nowhere'",
    ]
    assert Timeline(merged).state("settlement-aghdam", d("1995-06-01")).controller == "contested"
    assert merged.sources["https://example.org/r"].safe_url == "https://example.org/r"
    assert len(merged.events) == len(catalog.events) + 1
    assert {p.name: p.read_bytes() for p in GEODATA_DIR.glob("*.*")} == before  # nothing written


def test_instead_of_the_bundled_history(timeline):
    data = (HEADER + "ev-19900101-mine,1990-01-01,day,settlement-shusha,azerbaijan,contested,other,Test,,src-unsc-822,,\n").encode()
    merged, problems = merge_uploaded_events(timeline, "mine.csv", data, replace=True)
    assert problems == []
    assert len(merged.catalog.events) == 1
    assert merged.state("settlement-shusha", d("2000-01-01")).controller == "contested"


def test_contradicting_the_bundled_history_is_reported_but_shown(timeline):
    data = (HEADER + "ev-19930801-mine,1993-08-01,day,settlement-aghdam,azerbaijan,contested,other,Test,,src-unsc-822,,\n").encode()
    merged, problems = merge_uploaded_events(timeline, "mine.csv", data)
    assert [str(p) for p in problems] == [
        "mine.csv: row 2: controller_before: ev-19930801-mine: settlement-aghdam was held by armenian_forces on "
        "1993-08-01, not azerbaijan"]
    assert merged.state("settlement-aghdam", d("1993-08-02")).controller == "contested"


def test_javascript_source_is_rejected(catalog):
    data = (HEADER + "ev-19900101-mine,1990-01-01,day,settlement-shusha,,,other,Test,,javascript:alert(1),,\n").encode()
    merged, problems = merge_events(catalog, "mine.csv", data)
    assert merged is None
    assert [str(p) for p in problems] == [
        "mine.csv: row 2: source_ids: 'javascript:alert(1)': only http(s) links are allowed as sources"]


def test_wrong_encoding_and_empty_files(catalog):
    assert [str(p) for p in merge_events(catalog, "x.csv", b"")[1]] == ["x.csv: -: file: file is empty"]
    latin1 = (HEADER + "ev-19900101-mine,1990-01-01,day,settlement-shusha,,,other,Caf\xe9,,src-unsc-822,,\n").encode("latin-1")
    assert str(merge_events(catalog, "x.csv", latin1)[1][0]).startswith("x.csv: -: file: not UTF-8: invalid byte 0xe9")
    assert [str(p) for p in merge_events(catalog, "x.csv", HEADER.encode())[1]] == ["x.csv: -: file: no event rows"]


def test_an_upload_may_not_reuse_a_bundled_event_id(timeline):
    data = (HEADER + "ev-19920508-shusha,1992-05-08,day,settlement-shusha,azerbaijan,armenian_forces,capture,"
                     "MY UPLOADED CLAIM,,https://example.org/claim,,\n"
                   + "ev-19950101-mine,1995-01-01,day,settlement-aghdam,,,other,Mine,,src-unsc-822,,\n").encode()
    merged, problems = merge_uploaded_events(timeline, "mine.csv", data)
    assert [str(p) for p in problems] == [
        "mine.csv: row 2: event_id: 'ev-19920508-shusha' is already the id of a bundled event "
        f"({timeline.catalog.events_by_id['ev-19920508-shusha'].title}); give your event its own id, "
        "or use your file instead of the bundled history"]
    shusha = merged.catalog.events_by_id["ev-19920508-shusha"]
    assert shusha.title != "MY UPLOADED CLAIM" and shusha.origin == "bundled"
    assert "ev-19950101-mine" in merged.catalog.events_by_id  # the valid row is still shown


def test_a_field_over_the_csv_limit_is_a_problem_naming_the_row(catalog):
    data = (HEADER + "ev-19950101-mine,1995-01-01,day,settlement-aghdam,,,other,Mine,,src-unsc-822,,\n"
            + "ev-19950102-big,1995-01-02,day,settlement-aghdam,,,other," + "x" * 131_073 + ",,src-unsc-822,,\n").encode()
    merged, problems = merge_events(catalog, "big.csv", data)
    assert [str(p) for p in problems] == ["big.csv: row 3: -: malformed CSV: a field is longer than 131,072 characters"]
    assert "ev-19950101-mine" in merged.events_by_id


def test_the_events_download_uploads_back_unchanged(timeline):
    from karabakh_map.serialize import events_csv

    catalog = timeline.catalog
    exported = events_csv(catalog, list(catalog.events)).encode()
    on_top, problems = merge_uploaded_events(timeline, "export.csv", exported)
    assert problems == [] and on_top.catalog.events == catalog.events  # nothing added, nothing replaced
    instead, problems = merge_uploaded_events(timeline, "export.csv", exported, replace=True)
    assert problems == []
    strip = lambda events: [dataclasses.replace(e, row=0, origin="") for e in events]  # noqa: E731
    assert strip(instead.catalog.events) == strip(catalog.events)
