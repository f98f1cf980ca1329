"""Hostile files never raise: uploads and ``--queries`` rows from random bytes, huge fields, odd encodings.

An upload gets a catalogue and/or a list of problems, each naming the file, row and field; the
CLI exits 0 (every row answered, as a result or an error) or 2 with one line, never a traceback.
"""

from __future__ import annotations

import json
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from karabakh_map.catalog import Problem
from karabakh_map.cli import main
from karabakh_map.timeline import Timeline
from karabakh_map.uploads import merge_events
from karabakh_map.validation import EVENT_COLUMNS

FIELD_LIMIT = 131_072
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1251")
PLACES = ["Shusha", "Şuşa", "Шуша", "Շուշի", "settlement-aghdam", "district-aghdam", "road-lachin-1992", "", " "]
DATES = ["1992-05-08", "2020-W46-2", "20201110", "1987-12-31", "2999-01-01", "1993-02-30", "١٩٩٢-٠٥-٠٨", ""]
SOURCES = ["src-unsc-822", "https://example.org/x", "javascript:alert(1)", "src-unsc-822;src-unsc-822", ""]

texts = st.one_of(st.text(max_size=40), st.sampled_from(["=1+1", "-2", "@x", "\t", "\r", "\x00", '"', "a,b", "\n"]))
huge = st.integers(min_value=FIELD_LIMIT - 2, max_value=FIELD_LIMIT + 10).map(lambda n: "x" * n)


def field(choices: list[str]):
    return st.one_of(st.sampled_from(choices), texts, huge)


event_rows = st.fixed_dictionaries({
    "event_id": st.one_of(st.sampled_from(["ev-19950101-mine", "ev-19920508-shusha", "bad id"]), texts),
    "date": field(DATES),
    "date_precision": st.sampled_from(["day", "month", "year", "week"]),
    "place_ids": field(PLACES + ["settlement-shusha;settlement-shusha", "settlement-aghdam"]),
    "controller_before": st.sampled_from(["", "azerbaijan", "armenian_forces", "nkr"]),
    "controller_after": st.sampled_from(["", "contested", "armenian_forces", "azerbaijan"]),
    "kind": st.sampled_from(["other", "capture", "liberation"]),
    "title": field(["A title"]),
    "description": texts,
    "source_ids": field(SOURCES),
    "alt_dates": st.sampled_from(["", "1992-05-09@src-unsc-822", "x@y", "1992-W19-5@src-unsc-822"]),
    "road_status": st.sampled_from(["", "open", "blockaded", "flying"]),
})


def csv_line(values) -> str:
    return ",".join('"' + str(v).replace('"', '""') + '"' if any(c in str(v) for c in ',"\r\n') else str(v)
                    for v in values) + "\n"


@st.composite
def events_files(draw) -> bytes:
    kind = draw(st.sampled_from(["rows", "rows", "rows", "bytes", "header"]))
    if kind == "bytes":
        return draw(st.binary(max_size=400))
    columns = list(EVENT_COLUMNS)
    if kind == "header":
        columns = draw(st.lists(st.one_of(st.sampled_from(columns), texts, huge), max_size=14))
    rows = draw(st.lists(event_rows, max_size=4))
    text = csv_line(columns) + "".join(csv_line(row.get(c, "") for c in columns) for row in rows)
    if draw(st.booleans()):
        text = text[:draw(st.integers(min_value=0, max_value=len(text)))]  # cut anywhere
    encoding = draw(st.sampled_from(ENCODINGS))
    return text.encode(encoding, errors="replace")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                  HealthCheck.function_scoped_fixture])
@given(data=events_files(), replace=st.booleans())
def test_an_upload_of_anything_gives_problems_never_an_exception(catalog, data, replace):
    merged, problems = merge_events(catalog, "upload.csv", data, replace=replace)
    assert merged is not None or problems
    for problem in problems:
        assert isinstance(problem, Problem) and problem.file == "upload.csv"
        assert problem.item == "-" or problem.item == "header" or problem.item.startswith("row ")
        assert "\n" not in str(problem) and len(problem.message) <= 300
    if merged is not None:
        Timeline(merged).snapshot(merged.events[-1].date if merged.events else catalog.events[0].date)


@st.composite
def queries_files(draw) -> bytes:
    kind = draw(st.sampled_from(["rows", "rows", "rows", "bytes", "header"]))
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    header = ["place", "date"] if kind == "rows" else draw(st.lists(st.one_of(st.sampled_from(["place", "date"]), texts, huge),
                                                                     max_size=3))
    rows = draw(st.lists(st.lists(st.one_of(field(PLACES), field(DATES)), min_size=0, max_size=3), max_size=5))
    text = csv_line(header) + "".join(csv_line(row) for row in rows)
    return text.encode(draw(st.sampled_from(ENCODINGS)), errors="replace")


@pytest.fixture(scope="module")
def queries_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("queries")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                  HealthCheck.function_scoped_fixture])
@given(data=queries_files())
def test_queries_of_anything_answer_each_row_or_fail_in_one_line(catalog, queries_dir, capsys, data):
    path = queries_dir / "q.csv"
    path.write_bytes(data)
    with mock.patch("karabakh_map.cli.load_catalog", return_value=catalog):
        code = main(["state", "--queries", str(path)])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    if code == 0:
        assert err == ""
        for line in out.splitlines():
            answer = json.loads(line)
            assert "controller" in answer or answer["error"]
    else:
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize("args, code, message", [
    (["state", "--queries", "{tmp}"], 2, "is a directory, not a file"),
    (["validate", "--events", "{tmp}"], 2, "is a directory, not a file"),
    (["state", "--queries", "/dev/null"], 2, "queries file null: the file is empty"),
    (["validate", "--events", "/dev/null"], 1, "null: -: file: file is empty"),
    (["validate", "--events", "/dev/zero"], 1, "zero: -: file: file is 20,000,001 bytes; the limit is 20,000,000"),
    (["state", "--queries", "/dev/zero"], 2, "queries file zero: file is 20,000,001 bytes"),
    (["validate", "--events", ""], 2, "the events file name is empty"),
])
def test_a_directory_or_an_empty_device(tmp_path, capsys, catalog, args, code, message):
    with mock.patch("karabakh_map.cli.load_catalog", return_value=catalog):
        returncode = main([a.format(tmp=tmp_path) for a in args])
    out, err = capsys.readouterr()
    assert returncode == code and message in err and "Traceback" not in err, err
