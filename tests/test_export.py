"""`karabakh-map export`: the static site's files, size, determinism, data and escaping (no browser)."""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import d
from karabakh_map import export
from karabakh_map.catalog import CONTROLLERS, Catalog
from karabakh_map.cli import main
from karabakh_map.names import fold
from karabakh_map.timeline import Timeline

EXPECTED_FILES = {
    "index.html", "app.js", "style.css", "data.js",
    "static/leaflet/leaflet.js", "static/leaflet/leaflet.css", "static/leaflet/LICENSE",
    "static/leaflet/images/layers.png", "static/leaflet/images/layers-2x.png",
    "static/leaflet/images/marker-icon.png", "static/leaflet/images/marker-icon-2x.png",
    "static/leaflet/images/marker-shadow.png",
}
PREFIX = "window.KARABAKH_DATA = "


def files_of(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def load_data(directory: Path) -> dict:
    text = (directory / "data.js").read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if line.startswith(PREFIX))
    assert line.endswith(";")
    return json.loads(line[len(PREFIX):-1])


@pytest.fixture(scope="module")
def site(tmp_path_factory, catalog, timeline):
    out = tmp_path_factory.mktemp("site")
    report = export.export_site(catalog, out, timeline)
    return out, report


@pytest.fixture(scope="module")
def data(site) -> dict:
    return load_data(site[0])


# ------------------------------------------------------------------ files, size, determinism

def test_writes_exactly_the_site_files(site):
    out, report = site
    assert set(files_of(out)) == EXPECTED_FILES
    total = sum(len(b) for b in files_of(out).values())
    assert f"{total:,} bytes" in report
    assert str(out / "index.html") in report and "\n" not in report


def test_total_size_is_within_three_megabytes(site):
    total = sum(len(b) for b in files_of(site[0]).values())
    assert total <= 3_000_000, f"{total:,} bytes"


def test_over_budget_is_an_error_not_a_silent_success(tmp_path, catalog, timeline, monkeypatch):
    monkeypatch.setattr(export, "SIZE_BUDGET_BYTES", 100_000)
    with pytest.raises(export.ExportError, match="budget"):
        export.export_site(catalog, tmp_path, timeline)


def test_leaflet_is_the_projects_own_copy(site):
    out, _ = site
    for name in ("leaflet.js", "leaflet.css"):
        assert (out / "static/leaflet" / name).read_bytes() == (export.LEAFLET_DIR / name).read_bytes()


def test_same_input_gives_the_same_bytes_across_processes(tmp_path, site):
    """Two CLI runs with different string hashing, and the in-process export: identical files."""
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"run-{seed}"
        result = subprocess.run([sys.executable, "-m", "karabakh_map", "export", "--out", str(out)],
                                capture_output=True, text=True, timeout=300,
                                env={**os.environ, "PYTHONHASHSEED": seed})
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("Exported the static map to")
        outputs.append(files_of(out))
    assert outputs[0] == outputs[1]
    assert outputs[0] == files_of(site[0])


def test_cli_export_prints_the_report(tmp_path, capsys):
    assert main(["export", "--out", str(tmp_path / "site")]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("Exported the static map to") and "bytes" in printed
    assert (tmp_path / "site" / "index.html").exists()


# ------------------------------------------------------------------ data.js content

def at(track: dict, date: str) -> dict:
    """The browser's binary search, in Python."""
    index = bisect.bisect_right([e["d"] for e in track["t"]], date) - 1
    return track["i"] if index < 0 else track["t"][index]


def test_data_js_is_a_plain_script_assignment(site):
    text = (site[0] / "data.js").read_text(encoding="utf-8")
    assert text.startswith("/*") and PREFIX in text and text.endswith(";\n")
    assert "fetch(" not in text and "XMLHttpRequest" not in text


def test_every_place_zone_event_and_source_is_there(data, catalog, timeline):
    assert [p["id"] for p in data["places"]] == list(catalog.places)
    assert {z["id"] for z in data["zones"]} == {z.zone_id for z in timeline.map_zones()}
    assert len(data["events"]) == len(catalog.events)
    assert {s["id"] for s in data["sources"]} == set(catalog.sources)
    assert data["eventDates"] == [x.isoformat() for x in timeline.change_dates()]
    assert [k[1] for k in data["keyDates"]][0] == "1988-01-01"


def test_tracks_are_sorted_and_change_on_every_entry(data):
    for place in data["places"]:
        days = [e["d"] for e in place["t"]]
        assert days == sorted(set(days)), place["id"]
        states = [place["i"]] + [{k: v for k, v in e.items() if k != "d"} for e in place["t"]]
        assert all(a != b for a, b in zip(states, states[1:])), place["id"]


def _dates_to_check(timeline: Timeline) -> list[dt.date]:
    dates = {d("1988-01-01"), d("2030-01-01")}
    for day in timeline.change_dates():
        dates |= {day - dt.timedelta(days=1), day, day + dt.timedelta(days=1)}
    return sorted(dates)


def test_tracks_give_the_engines_answer_on_every_day_around_every_event(data, catalog, timeline):
    events = data["events"]
    places = {p["id"]: p for p in data["places"]}
    for date in _dates_to_check(timeline):
        iso = date.isoformat()
        for pid, state in timeline.snapshot(date).items():
            entry = at(places[pid], iso)
            assert entry["c"] == state.controller, (pid, iso)
            assert entry.get("s") == (state.since.isoformat() if state.since else None), (pid, iso)
            assert (events[entry["e"]]["id"] if "e" in entry else None) == state.event_id, (pid, iso)
            assert bool(entry.get("pk")) == state.in_peacekeeping_zone, (pid, iso)
            if state.share is not None:
                assert entry["sh"] == pytest.approx(dict(state.share)), (pid, iso)
            if catalog.places[pid].layer == "road":
                assert entry.get("r") == state.road_status, (pid, iso)
                place = places[pid]
                visible = (place["from"] is None or place["from"] <= iso) and (place["to"] is None or iso <= place["to"])
                assert visible == state.visible, (pid, iso)


def test_zone_colours_and_peacekeeping_outline_follow_the_engine(data, timeline):
    places = {p["id"]: p for p in data["places"]}
    pk = data["peacekeeping"]
    for date in _dates_to_check(timeline):
        iso = date.isoformat()
        expected = timeline.zone_controllers(date)
        for zone in data["zones"]:
            if "t" in zone:
                index = bisect.bisect_right([t[0] for t in zone["t"]], iso) - 1
                controller = zone["i"] if index < 0 else zone["t"][index][1]
            else:
                controller = at(places[zone["f"]], iso)["c"]
            assert controller == expected[zone["id"]], (zone["id"], iso)
        index = bisect.bisect_right([t[0] for t in pk["t"]], iso) - 1
        shape = pk["i"] if index < 0 else pk["t"][index][1]
        assert (shape >= 0) == any(timeline.zone_peacekeeping(date).values()), iso


@pytest.mark.parametrize("place, date, controller", [
    ("settlement-shusha", "1993-08-01", "armenian_forces"), ("settlement-shusha", "2021-06-01", "azerbaijan"),
    ("settlement-aghdam", "1993-08-01", "armenian_forces"), ("settlement-aghdam", "2021-06-01", "azerbaijan"),
    ("settlement-lachin", "1993-08-01", "armenian_forces"), ("settlement-lachin", "2021-06-01", "russian_peacekeepers"),
    ("settlement-aghdam", "1993-07-22", "azerbaijan"), ("settlement-khankendi", "2023-09-20", "azerbaijan"),
])
def test_known_answers(data, place, date, controller):
    places = {p["id"]: p for p in data["places"]}
    assert at(places[place], date)["c"] == controller


def test_each_place_lists_its_events_in_order(data, catalog):
    events = data["events"]
    for place in data["places"]:
        ids = [events[i]["id"] for i in place["events"]]
        assert ids == [e.event_id for e in catalog.events_for(place["id"])]


def test_labels_follow_the_names_switch(data, catalog):
    for place in data["places"]:
        names = catalog.places[place["id"]].names
        assert place["label"] == {mode: names.label(mode) for mode in ("both", "az", "hy")}
    shusha = next(p for p in data["places"] if p["id"] == "settlement-shusha")
    assert shusha["label"] == {"both": "Şuşa / Shushi", "az": "Şuşa", "hy": "Shushi"}


def test_name_index_finds_every_variant(data, catalog):
    index = dict((k, v) for k, v in data["nameIndex"])
    for pid, place in catalog.places.items():
        for name in place.names.all():
            if name:
                assert pid in index[fold(name)], (pid, name)
    assert index[fold("Şuşa")][0] == "settlement-shusha"  # the town before the district of the same name


def test_geometry_is_simplified_and_rounded(data):
    coordinates = re.findall(r"-?\d+\.\d+", json.dumps([z["geometry"] for z in data["zones"]]))
    assert coordinates and all(len(c.split(".")[1]) <= 4 for c in coordinates)
    coordinates = re.findall(r"-?\d+\.\d+", json.dumps([p["geometry"] for p in data["places"] if p["layer"] != "region"]))
    assert all(len(c.split(".")[1]) <= 5 for c in coordinates)
    assert {z["geometry"]["type"] for z in data["zones"]} <= {"Polygon", "MultiPolygon"}


def test_styles_are_the_apps(data):
    from karabakh_map import mapview

    assert data["colours"] == mapview.CONTROLLER_COLOURS
    assert data["opacity"] == mapview.CONTROLLER_OPACITY
    assert data["roadStyles"] == mapview.ROAD_STYLES
    assert data["controllers"] == list(CONTROLLERS)


def test_sources_link_only_http(data):
    for source in data["sources"]:
        if "url" in source:
            assert source["url"].startswith(("http://", "https://")), source


# ------------------------------------------------------------------ escaping

HOSTILE_TITLE = '</script><img src=x onerror="alert(1)"> & <b>bold</b> \u2028'
HOSTILE_URL = "javascript:alert(document.cookie)"


def hostile_catalog(catalog: Catalog) -> Catalog:
    """The bundled catalogue with markup in an event title, a place name and a source, and a javascript: URL."""
    event = next(e for e in catalog.events if e.event_id == "ev-19920508-shusha")
    sid = event.source_ids[0]
    sources = dict(catalog.sources)
    sources[sid] = dataclasses.replace(sources[sid], title="<script>alert('source')</script>", url=HOSTILE_URL)
    events = tuple(dataclasses.replace(e, title=HOSTILE_TITLE) if e is event else e for e in catalog.events)
    places = dict(catalog.places)
    shusha = places["settlement-shusha"]
    places[shusha.id] = dataclasses.replace(shusha, names=dataclasses.replace(shusha.names, alt=(*shusha.names.alt, "<i>Shushi</i>")))
    return Catalog(places=places, events=events, sources=sources)


def test_markup_in_the_data_cannot_escape_its_string(tmp_path, catalog):
    export.export_site(hostile_catalog(catalog), tmp_path)
    text = (tmp_path / "data.js").read_text(encoding="utf-8")
    body = text[text.index(PREFIX):]
    for raw in ("<", ">", "&", "\u2028"):
        assert raw not in body, raw
    assert "javascript:" not in text.lower()
    data = load_data(tmp_path)
    assert HOSTILE_TITLE in [e["title"] for e in data["events"]]  # shown verbatim, as text
    source = next(s for s in data["sources"] if s["title"].startswith("<script>"))
    assert "url" not in source


def test_page_code_never_parses_data_as_html():
    code = (export.ASSETS_DIR / "app.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                 "fetch(", "XMLHttpRequest", "import("):
        assert sink not in code, sink
    html = (export.ASSETS_DIR / "index.html").read_text(encoding="utf-8")
    assert "<script>" not in html  # no inline script: the CSP forbids it
    assert re.findall(r'src="([^"]+)"', html) == ["static/leaflet/leaflet.js", "data.js", "app.js"]
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()
