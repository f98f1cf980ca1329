"""`karabakh-map` as a user runs it: answers, formats, and one-line errors with exit code 2.

The commands run in-process (``main(argv)`` with capsys); one test runs the installed console
script, because that wiring is what a subprocess adds.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from karabakh_map.catalog import CONTROLLERS, history_end
from karabakh_map.cli import main
from karabakh_map.validation import EVENT_COLUMNS
from karabakh_map.view import parse_view

HEADER = ",".join(EVENT_COLUMNS) + "\n"


@pytest.fixture
def run(capsys):
    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err
    return run


def one_line_error(result, fragment: str, code: int = 2) -> str:
    returncode, out, err = result
    lines = err.strip().splitlines()
    assert returncode == code, (returncode, err)
    assert len(lines) == 1 and fragment in lines[0], err
    assert "Traceback" not in err and out == ""
    return lines[0]


@pytest.mark.parametrize("place, date, controller", [
    ("Shusha", "1992-05-07", "azerbaijan"), ("shushi", "1992-05-09", "armenian_forces"),
    ("Şuşa", "2021-06-01", "azerbaijan"), ("Aghdam", "1993-08-01", "armenian_forces"),
    ("Berdzor", "2021-06-01", "russian_peacekeepers"), ("Stepanakert", "2023-10-01", "azerbaijan"),
])
def test_state_for_one_place(run, place, date, controller):
    code, out, err = run("state", "--date", date, "--place", place)
    assert code == 0, err
    record = json.loads(out)
    assert record["controller"] == controller
    assert {"id", "name", "names", "kind", "date", "controller", "since", "event_id"} <= set(record)
    assert record["date"] == date


def test_state_for_a_region_reports_each_sides_share(run):
    record = json.loads(run("state", "--date", "2000-01-01", "--place", "district-aghdam")[1])
    assert set(record["share"]) == {"azerbaijan", "armenian_forces"}
    assert record["partial"] is True


def test_state_snapshot_formats(run):
    geojson = json.loads(run("state", "--date", "1994-05-12", "--format", "geojson")[1])
    assert geojson["type"] == "FeatureCollection" and len(geojson["features"]) > 150
    rows = list(csv.DictReader(io.StringIO(run("state", "--date", "1994-05-12", "--format", "csv")[1])))
    assert {r["id"]: r["controller"] for r in rows}["settlement-shusha"] == "armenian_forces"
    records = json.loads(run("state", "--date", "1994-05-12")[1])
    assert len(records) == len(rows)


# ------------------------------------------------------------------ defect 3: every share in the CSV

@pytest.mark.parametrize("place", [None, "district-khojaly"])
def test_csv_has_a_share_column_for_every_controller_matching_the_json(run, place):
    where = ("--place", place) if place else ()
    records = json.loads(run("state", "--date", "2022-08-01", *where)[1])
    records = records if isinstance(records, list) else [records]
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(run("state", "--date", "2022-08-01", "--format", "csv", *where)[1]))}
    assert all(f"share_{c}" in next(iter(rows.values())) for c in CONTROLLERS)
    with_shares = [r for r in records if r.get("share")]
    assert with_shares
    for record in with_shares:
        row = rows[record["id"]]
        assert {c: float(row[f"share_{c}"]) for c in CONTROLLERS if row[f"share_{c}"]} == record["share"], record["id"]
    khojaly = rows["district-khojaly"]
    assert float(khojaly["share_russian_peacekeepers"]) == pytest.approx(0.024, abs=0.001)  # Parukh, held by peacekeepers from 28 Mar 2022


# ------------------------------------------------------------------ bad input: one line, exit 2

@pytest.mark.parametrize("args, message", [
    (("state", "--date", "1993-02-30", "--place", "Shusha"), "Invalid date '1993-02-30' (expected YYYY-MM-DD"),
    (("state", "--date", "yesterday", "--place", "Shusha"), "Invalid date 'yesterday'"),
    (("state", "--date", "1993-01-01", "--place", "Atlantis"), "unknown place 'Atlantis'"),
    (("events", "--from", "1993", "--place", "Shusha"), "Invalid --from '1993' (expected YYYY-MM-DD)"),
    (("events", "--place", "Nowhere"), "unknown place 'Nowhere'"),
    # defect 6: wrong acceptance
    (("state", "--date", "2020-W46-2", "--place", "Shusha"), "Invalid date '2020-W46-2' (expected YYYY-MM-DD)"),
    (("state", "--date", "20201110"), "Invalid date '20201110'"),
    (("events", "--to", "1992-W01-1"), "Invalid --to '1992-W01-1'"),
    (("state", "--date", "2000-01-01", "--place", ""), "--place is empty"),
    (("state", "--date", "2000-01-01", "--place", "  "), "--place is empty"),
    (("events", "--place", ""), "--place is empty"),
    (("events", "--from", "1992-12-31", "--to", "1992-01-01"), "--from 1992-12-31 is after --to 1992-01-01"),
])
def test_bad_input_exits_2_with_one_line_naming_the_value(run, args, message):
    one_line_error(run(*args), message)


@pytest.mark.parametrize("date", ["1987-12-31", "1900-01-01", "2999-01-01", "tomorrow"])
def test_dates_outside_the_history_exit_2_in_the_words_of_the_share_link(run, catalog, date):
    if date == "tomorrow":
        date = (history_end() + dt.timedelta(days=1)).isoformat()
    line = one_line_error(run("state", "--date", date, "--place", "Shusha"), f"Invalid date '{date}'")
    _, notices = parse_view({"date": date}, catalog)
    assert line == "karabakh-map: error: " + notices[0].split(";")[0]
    assert f"expected a date from 1988-01-01 to {history_end()}" in line


# ------------------------------------------------------------------ --queries

def test_queries_mode_answers_every_row_in_order(run, tmp_path):
    queries = tmp_path / "q.csv"
    queries.write_text("place,date\nShusha,1992-05-07\nAtlantis,1992-05-07\nShushi,1992-13-01\nAghdam,1993-08-01\n"
                       "Shusha,2020-W46-2\n,1992-05-07\nShusha,1987-01-01\n", encoding="utf-8")
    code, out, err = run("state", "--queries", str(queries))
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["query"]["row"] for line in lines] == [2, 3, 4, 5, 6, 7, 8]
    assert lines[0]["controller"] == "azerbaijan" and lines[0]["id"] == "settlement-shusha"
    assert lines[1]["error"] == "unknown place 'Atlantis'"
    assert lines[2]["error"].startswith("Invalid date '1992-13-01'")
    assert lines[3]["controller"] == "armenian_forces"
    assert lines[4]["error"] == "Invalid date '2020-W46-2' (expected YYYY-MM-DD)"
    assert lines[5]["error"] == "place is empty"
    assert lines[6]["error"].startswith("Invalid date '1987-01-01' (expected a date from 1988-01-01")


def test_queries_file_without_the_right_columns_fails_clearly(run, tmp_path):
    queries = tmp_path / "q.csv"
    queries.write_text("where,when\nShusha,1992\n", encoding="utf-8")
    one_line_error(run("state", "--queries", str(queries)), "the header must have the columns place,date")


def test_an_empty_queries_file_says_what_it_needs(run, tmp_path):
    queries = tmp_path / "empty.csv"
    queries.write_bytes(b"")
    line = one_line_error(run("state", "--queries", str(queries)), "queries file empty.csv: the file is empty")
    assert "place,date" in line and ": -:" not in line


def test_a_queries_row_with_too_many_fields_gets_an_error_and_the_others_answers(run, tmp_path):
    queries = tmp_path / "q.csv"
    queries.write_text("place,date\nShusha,1992-05-07,extra\nAghdam,1993-08-01\n", encoding="utf-8")
    code, out, _ = run("state", "--queries", str(queries))
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and lines[0]["error"] == "3 fields; the header has 2" and lines[1]["controller"] == "armenian_forces"


# ------------------------------------------------------------------ defect 5: files that cannot be read

HUGE = "x" * 131_073


def test_a_field_over_the_csv_limit_in_queries_is_one_line_naming_the_row(run, tmp_path):
    path = tmp_path / "big.csv"
    path.write_text(f"place,date\nShusha,1992-05-07\n{HUGE},1992-05-07\n", encoding="utf-8")
    one_line_error(run("state", "--queries", str(path)),
                   "queries file big.csv: row 3: malformed CSV: a field is longer than 131,072 characters")


def test_a_field_over_the_csv_limit_in_events_is_reported_naming_the_row(run, tmp_path):
    path = tmp_path / "big.csv"
    path.write_text(HEADER + f"ev-19950101-big,1995-01-01,day,settlement-aghdam,,,other,{HUGE},,src-unsc-822,,\n",
                    encoding="utf-8")
    code, out, err = run("validate", "--events", str(path))
    assert code == 1 and out == "" and "Traceback" not in err
    assert "big.csv: row 2: -: malformed CSV: a field is longer than 131,072 characters" in err


def test_a_field_over_the_csv_limit_in_the_header(run, tmp_path):
    path = tmp_path / "big.csv"
    path.write_text(f"place,{HUGE}\n", encoding="utf-8")
    one_line_error(run("state", "--queries", str(path)), "a field is longer than 131,072 characters")


@pytest.mark.parametrize("args", [("state", "--queries", "{dir}"), ("validate", "--events", "{dir}"),
                                  ("state", "--date", "2000-01-01", "--events", "{dir}")])
def test_a_directory_instead_of_a_file_is_one_line(run, tmp_path, args):
    args = [a.format(dir=tmp_path) for a in args]
    one_line_error(run(*args), f"{tmp_path} is a directory, not a file")


@pytest.mark.parametrize("option", ["--queries", "--events"])
def test_a_missing_file_is_one_line(run, tmp_path, option):
    command = ("state", "--date", "2000-01-01") if option == "--events" else ("state",)
    one_line_error(run(*command, option, str(tmp_path / "nope.csv")), f"not found: {tmp_path / 'nope.csv'}")


def test_export_into_a_place_that_cannot_be_written_names_the_path(run, tmp_path):
    (tmp_path / "index.html").mkdir()  # a directory where the export writes a file
    returncode, out, err = run("export", "--out", str(tmp_path))
    lines = err.strip().splitlines()
    assert returncode == 1 and len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("karabakh-map: export failed: cannot write ") and str(tmp_path) in lines[0]


# ------------------------------------------------------------------ events

def test_events_lists_sources(run):
    events = json.loads(run("events", "--place", "Shusha", "--from", "1992-01-01", "--to", "1992-12-31", "--format", "json")[1])
    assert [e["event_id"] for e in events if e["event_id"] == "ev-19920508-shusha"]
    assert all(e["sources"] and e["sources"][0]["title"] for e in events)
    text = run("events", "--place", "Shusha", "--from", "1992-05-08", "--to", "1992-05-08")[1]
    assert "1992-05-08" in text and "sources:" in text


def test_uploaded_events_file_extends_the_history(run, tmp_path):
    extra = tmp_path / "mine.csv"
    extra.write_text(HEADER + "ev-20250101-test,2025-01-01,day,settlement-shusha,azerbaijan,contested,other,Test,,src-unsc-822,,\n",
                     encoding="utf-8")
    code, out, err = run("state", "--events", str(extra), "--date", "2025-01-02", "--place", "Shusha")
    assert code == 0, err
    assert json.loads(out)["controller"] == "contested"


# ------------------------------------------------------------------ defect 2: a bundled id reused

def test_an_upload_reusing_a_bundled_event_id_is_rejected_naming_the_row_and_id(run, tmp_path):
    extra = tmp_path / "mine.csv"
    extra.write_text(HEADER + "ev-19920508-shusha,1992-05-08,day,settlement-shusha,azerbaijan,armenian_forces,capture,"
                     "MY UPLOADED CLAIM,,https://example.org/claim,,\n", encoding="utf-8")
    code, out, err = run("validate", "--events", str(extra))
    assert code == 1 and out == ""
    assert "mine.csv: row 2: event_id: 'ev-19920508-shusha' is already the id of a bundled event" in err
    code, out, _ = run("events", "--place", "Shusha", "--from", "1992-05-08", "--to", "1992-05-08", "--format", "json")
    assert "MY UPLOADED CLAIM" not in out


# ------------------------------------------------------------------ defect 7: export, edit, re-upload

def test_events_csv_has_the_columns_of_events_csv_and_reads_back_unchanged(run, tmp_path, catalog):
    exported = run("events", "--format", "csv")[1]
    assert next(csv.reader(io.StringIO(exported))) == list(EVENT_COLUMNS)
    path = tmp_path / "export.csv"
    path.write_text(exported, encoding="utf-8")
    code, out, err = run("validate", "--events", str(path), "--events-only")
    assert code == 0, err
    assert f"{len(catalog.events)} events" in out
    assert run("events", "--events", str(path), "--events-only", "--format", "json")[1] == \
        run("events", "--format", "json")[1].replace('"origin": "bundled"', '"origin": "export.csv"')


def test_a_researcher_exports_edits_and_re_uploads(run, tmp_path):
    rows = list(csv.DictReader(io.StringIO(run("events", "--format", "csv")[1])))
    mine = dict(rows[-1], event_id="ev-20250301-mine", date="2025-03-01", title="=HYPERLINK(\"http://x\") my own event",
                place_ids="settlement-shusha", controller_before="", controller_after="", kind="other",
                source_ids="https://example.org/my-source", alt_dates="", road_status="")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EVENT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows([*rows, mine])
    path = tmp_path / "edited.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    code, out_text, err = run("validate", "--events", str(path))  # on top: the unchanged rows add nothing
    assert code == 0, err
    listed = json.loads(run("events", "--events", str(path), "--format", "json")[1])
    assert [(e["event_id"], e["title"]) for e in listed if e["origin"] != "bundled"] == [("ev-20250301-mine", mine["title"])]
    # instead of the bundled history, an edited bundled row replaces it
    rows[0]["description"] = "My reading of the sources."
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EVENT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows([*rows, mine])
    path.write_text(out.getvalue(), encoding="utf-8")
    listed = json.loads(run("events", "--events", str(path), "--events-only", "--format", "json")[1])
    assert len(listed) == len(rows) + 1
    assert next(e for e in listed if e["event_id"] == rows[0]["event_id"])["description"] == "My reading of the sources."


# ------------------------------------------------------------------ defect 9: CSV injection

def test_csv_output_neutralises_spreadsheet_formulas_and_reads_them_back(run, tmp_path):
    path = tmp_path / "mine.csv"
    titles = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tTAB", "plain -1"]
    path.write_text(HEADER + "".join(
        f"ev-2025010{i}-f,2025-01-0{i},day,settlement-shusha,,,other,\"{t}\",,src-unsc-822,,\n"
        for i, t in enumerate(titles, start=1)), encoding="utf-8")
    exported = run("events", "--events", str(path), "--events-only", "--format", "csv")[1]
    cells = [row["title"] for row in csv.DictReader(io.StringIO(exported))]
    # the tab is leading whitespace, which every reader strips; the others get the quote
    assert sorted(cells) == sorted(["'=1+1", "'+SUM(A1)", "'-2+3", "'@cmd", "TAB", "plain -1"])
    again = tmp_path / "again.csv"
    again.write_text(exported, encoding="utf-8")
    titles_back = [e["title"] for e in json.loads(run("events", "--events", str(again), "--events-only", "--format", "json")[1])]
    assert sorted(titles_back) == sorted(t.strip() for t in titles)


def test_console_script_is_installed_and_answers():
    script = Path(sys.executable).parent / "karabakh-map"
    assert script.exists(), f"console script not installed next to {sys.executable}"
    result = subprocess.run([str(script), "state", "--date", "1992-05-09", "--place", "Shusha"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["controller"] == "armenian_forces"
