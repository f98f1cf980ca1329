"""`karabakh-map` as a user runs it: answers, formats, and one-line errors with exit code 2."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "karabakh_map", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("place, date, controller", [
    ("Shusha", "1992-05-07", "azerbaijan"), ("shushi", "1992-05-09", "armenian_forces"),
    ("Şuşa", "2021-06-01", "azerbaijan"), ("Aghdam", "1993-08-01", "armenian_forces"),
    ("Berdzor", "2021-06-01", "russian_peacekeepers"), ("Stepanakert", "2023-10-01", "azerbaijan"),
])
def test_state_for_one_place(place, date, controller):
    result = run("state", "--date", date, "--place", place)
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["controller"] == controller
    assert {"id", "name", "names", "kind", "date", "controller", "since", "event_id"} <= set(record)
    assert record["date"] == date


def test_state_for_a_region_reports_each_sides_share():
    record = json.loads(run("state", "--date", "2000-01-01", "--place", "district-aghdam").stdout)
    assert set(record["share"]) == {"azerbaijan", "armenian_forces"}
    assert record["partial"] is True


def test_state_snapshot_formats():
    geojson = json.loads(run("state", "--date", "1994-05-12", "--format", "geojson").stdout)
    assert geojson["type"] == "FeatureCollection" and len(geojson["features"]) > 150
    rows = list(csv.DictReader(io.StringIO(run("state", "--date", "1994-05-12", "--format", "csv").stdout)))
    assert {r["id"]: r["controller"] for r in rows}["settlement-shusha"] == "armenian_forces"
    records = json.loads(run("state", "--date", "1994-05-12").stdout)
    assert len(records) == len(rows)


@pytest.mark.parametrize("args, message", [
    (("state", "--date", "1993-02-30", "--place", "Shusha"), "malformed date '1993-02-30': expected YYYY-MM-DD"),
    (("state", "--date", "yesterday", "--place", "Shusha"), "malformed date 'yesterday'"),
    (("state", "--date", "1993-01-01", "--place", "Atlantis"), "unknown place 'Atlantis'"),
    (("events", "--from", "1993", "--place", "Shusha"), "malformed --from date '1993'"),
    (("events", "--place", "Nowhere"), "unknown place 'Nowhere'"),
])
def test_bad_input_exits_2_with_one_line_naming_the_value(args, message):
    result = run(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert result.stdout == ""


def test_queries_mode_answers_every_row_in_order(tmp_path):
    queries = tmp_path / "q.csv"
    queries.write_text("place,date\nShusha,1992-05-07\nAtlantis,1992-05-07\nShushi,1992-13-01\nAghdam,1993-08-01\n",
                       encoding="utf-8")
    result = run("state", "--queries", str(queries))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 4
    assert lines[0]["controller"] == "azerbaijan" and lines[0]["id"] == "settlement-shusha"
    assert lines[1]["error"] == "unknown place 'Atlantis'"
    assert "malformed date '1992-13-01'" in lines[2]["error"]
    assert lines[3]["controller"] == "armenian_forces"


def test_queries_file_without_the_right_columns_fails_clearly(tmp_path):
    queries = tmp_path / "q.csv"
    queries.write_text("where,when\nShusha,1992\n", encoding="utf-8")
    result = run("state", "--queries", str(queries))
    assert result.returncode == 2
    assert "the header must have the columns place,date" in result.stderr


def test_events_lists_sources():
    result = run("events", "--place", "Shusha", "--from", "1992-01-01", "--to", "1992-12-31", "--format", "json")
    events = json.loads(result.stdout)
    assert [e["event_id"] for e in events if e["event_id"] == "ev-19920508-shusha"]
    assert all(e["sources"] and e["sources"][0]["title"] for e in events)
    text = run("events", "--place", "Shusha", "--from", "1992-05-08", "--to", "1992-05-08").stdout
    assert "1992-05-08" in text and "sources:" in text


def test_uploaded_events_file_extends_the_history(tmp_path):
    extra = tmp_path / "mine.csv"
    extra.write_text(
        "event_id,date,date_precision,place_ids,controller_before,controller_after,kind,title,description,source_ids,alt_dates,road_status\n"
        "ev-20300101-test,2030-01-01,day,settlement-shusha,azerbaijan,contested,other,Test,,src-unsc-822,,\n",
        encoding="utf-8")
    result = run("state", "--events", str(extra), "--date", "2030-01-02", "--place", "Shusha")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["controller"] == "contested"


def test_python_dash_m_and_console_script_are_the_same():
    from pathlib import Path

    script = Path(sys.executable).parent / "karabakh-map"
    assert script.exists(), f"console script not installed next to {sys.executable}"
    args = ("state", "--date", "1992-05-09", "--place", "Shusha")
    console = subprocess.run([str(script), *args], capture_output=True, text=True, timeout=120)
    assert console.returncode == 0, console.stderr
    assert console.stdout == run(*args).stdout
