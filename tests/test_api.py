"""The Python API (`import karabakh_map as km`) gives the CLI's answers, as pandas/geopandas tables."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import math
import re

import geopandas as gpd
import pyogrio
import pytest

import karabakh_map as km
from karabakh_map import cli
from karabakh_map.catalog import CONTROLLERS, EQUAL_AREA_CRS
from helpers import ROOT

DATES = ("1991-06-01", "1993-08-01", "2000-01-01", "2021-06-01")
HEADER = "event_id,date,date_precision,place_ids,controller_before,controller_after,kind,title,description,source_ids,alt_dates,road_status\n"


def run_cli(capsys, *args: str):
    code = cli.main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def cli_states():
    """`karabakh-map state --date D` (JSON) for each date, by place id."""
    result = {}
    for date in DATES:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert cli.main(["state", "--date", date]) == 0
        result[date] = {r["id"]: r for r in json.loads(out.getvalue())}
    return result


@pytest.mark.parametrize("date", DATES)
def test_control_at_matches_the_cli(date, cli_states):
    frame = km.control_at(date)
    assert isinstance(frame, gpd.GeoDataFrame) and frame.crs.to_epsg() == 4326
    assert {"id", "kind", "name", "name_az", "name_hy", "name_hy_latn", "name_ru", "controller", "status", "since",
            "event_id", "partial", "share", "geometry"} <= set(frame.columns)
    expected = cli_states[date]
    assert set(frame["id"]) == set(expected)
    for row in frame.itertuples():
        record = expected[row.id]
        assert (row.controller, row.name, row.kind) == (record["controller"], record["name"], record["kind"])
        assert (row.since.isoformat() if row.since else None) == record["since"]
        assert (row.event_id if isinstance(row.event_id, str) else None) == record["event_id"]
        assert row.in_peacekeeping_zone == record["in_peacekeeping_zone"]
        if "share" in record:
            assert row.partial == record["partial"]
            assert row.share == pytest.approx(record["share"][row.controller])
            for controller in CONTROLLERS:
                assert getattr(row, f"share_{controller}") == pytest.approx(record["share"].get(controller, 0.0))
        else:
            assert row.share == 1.0 and math.isnan(row.share_azerbaijan)


def test_control_at_one_place_resolves_names_as_the_cli_does(capsys):
    for name in ("Shushi", "Şuşa", "Шуша", "settlement-shusha"):
        frame = km.control_at("1992-05-09", place=name)
        assert frame["id"].tolist() == ["settlement-shusha"]
        assert frame["controller"].item() == "armenian_forces"
    code, out, _ = run_cli(capsys, "state", "--date", "1992-05-09", "--place", "Shushi")
    assert code == 0 and json.loads(out)["controller"] == "armenian_forces"


@pytest.mark.parametrize("date", DATES)
def test_area_held_gives_the_cli_shares_and_the_engine_totals(date, cli_states):
    held = km.area_held(date)
    assert list(held.columns) == ["region", "controller", "km2"]
    assert held["region"].str.startswith("district-").sum() > 0
    for region, part in held.groupby("region"):
        if not region.startswith("district-"):  # Armenia's provinces: only their settlements' zones are mapped
            continue
        shares = cli_states[date][region]["share"]
        total = part["km2"].sum()
        for row in part.itertuples():
            assert row.km2 / total == pytest.approx(shares[row.controller], abs=1e-4), (region, row.controller)
    totals = held.groupby("controller")["km2"].sum()
    engine = km.load_timeline().area_by_controller(dt.date.fromisoformat(date))
    for controller, km2 in engine.items():
        assert totals.get(controller, 0.0) == pytest.approx(km2, abs=0.1)


def test_control_zones_follow_the_places_the_cli_reports(cli_states):
    zones = km.control_zones("1993-08-01")
    assert zones.crs.to_epsg() == 4326
    assert {"region", "controller", "status", "geometry"} <= set(zones.columns)
    states = cli_states["1993-08-01"]
    followed = zones[zones["follows"].str.startswith("settlement-")]
    assert len(followed) > 100
    for row in followed.itertuples():
        assert row.controller == states[row.follows]["controller"], row.zone_id
    # the zones tile the districts: their areas, measured again after to_crs, add up per region
    measured = zones.to_crs(EQUAL_AREA_CRS).area / 1e6
    assert measured.sum() == pytest.approx(zones["area_km2"].sum(), rel=1e-9)
    aghdam = zones[zones["region"] == "district-aghdam"].dissolve(by="controller")
    assert set(aghdam.index) == {"armenian_forces", "azerbaijan"}  # the district was split on that day


def test_events_match_the_cli(capsys):
    frame = km.events(place="Shusha", start="1992-01-01", end="1992-12-31")
    code, out, _ = run_cli(capsys, "events", "--place", "Shusha", "--from", "1992-01-01", "--to", "1992-12-31",
                           "--format", "json")
    assert code == 0
    expected = json.loads(out)
    assert frame["event_id"].tolist() == [e["event_id"] for e in expected]
    assert "ev-19920508-shusha" in set(frame["event_id"])
    for row, record in zip(frame.itertuples(), expected):
        assert row.date.isoformat() == record["date"]
        assert row.source_ids.split(";") == [s["source_id"] for s in record["sources"]]
        for source in record["sources"]:
            assert source["title"] in row.sources
    assert len(km.events()) == len(km.load_timeline().catalog.events)


def test_history_has_one_row_per_change_each_as_the_cli_states_it(capsys):
    aghdam = km.history("Aghdam")
    assert aghdam["event_id"].tolist() == ["ev-19930723-aghdam", "ev-20201120-aghdam-handover"]
    assert aghdam["controller"].tolist() == ["armenian_forces", "azerbaijan"]
    assert aghdam["controller_before"].tolist() == ["azerbaijan", "armenian_forces"]
    assert all(aghdam["sources"].str.len() > 0)
    for row in aghdam.itertuples():
        code, out, _ = run_cli(capsys, "state", "--date", row.date.isoformat(), "--place", "Aghdam")
        assert code == 0 and json.loads(out)["controller"] == row.controller
        day_before = (row.date - dt.timedelta(days=1)).isoformat()
        code, out, _ = run_cli(capsys, "state", "--date", day_before, "--place", "Aghdam")
        assert json.loads(out)["controller"] == row.controller_before
    district = km.history("district-aghdam")
    assert len(district) > len(aghdam)  # each settlement taken inside the district changes its share
    assert district["share"].iloc[-1] == {"azerbaijan": 1.0}


def test_a_custom_events_file_works_as_with_the_cli(tmp_path, capsys):
    mine = tmp_path / "mine.csv"
    mine.write_text(HEADER + "ev-19900101-mine,1990-01-01,day,settlement-shusha,azerbaijan,contested,other,Test,,"
                    "src-unsc-822,,\n", encoding="utf-8")
    only = km.control_at("2000-01-01", place="Shusha", events=mine, events_only=True)
    code, out, _ = run_cli(capsys, "state", "--date", "2000-01-01", "--place", "Shusha", "--events", str(mine),
                           "--events-only")
    assert only["controller"].item() == json.loads(out)["controller"] == "contested"
    assert km.events(events=mine, events_only=True)["event_id"].tolist() == ["ev-19900101-mine"]
    # merged onto the bundled history the row contradicts nothing before 1990, and later events win
    merged = km.control_at("1992-05-09", place="Shusha", events=mine)
    assert merged["controller"].item() == "armenian_forces"


@pytest.mark.parametrize("call, cli_args", [
    (lambda: km.control_at("1993-02-30"), ("state", "--date", "1993-02-30", "--place", "Shusha")),
    (lambda: km.control_at("yesterday"), ("state", "--date", "yesterday", "--place", "Shusha")),
    (lambda: km.history("Atlantis"), ("state", "--date", "1993-01-01", "--place", "Atlantis")),
    (lambda: km.events(place="Nowhere"), ("events", "--place", "Nowhere")),
    (lambda: km.control_at("1993-01-01", events="no-such.csv"), ("state", "--date", "1993-01-01", "--events", "no-such.csv")),
])
def test_errors_are_the_cli_one_line_messages(call, cli_args, capsys):
    with pytest.raises(km.KarabakhError) as caught:
        call()
    code, _, err = run_cli(capsys, *cli_args)
    assert code == 2
    assert "\n" not in str(caught.value)
    assert err.strip() == f"karabakh-map: error: {caught.value}"


def test_a_broken_events_file_raises_the_cli_list_of_problems(tmp_path, capsys):
    mine = tmp_path / "mine.csv"
    mine.write_text(HEADER + "ev-19900101-mine,1990-13-01,day,settlement-atlantis,,,other,Test,,src-unsc-822,,\n",
                    encoding="utf-8")
    with pytest.raises(km.CatalogError) as caught:
        km.control_at("2000-01-01", events=mine)
    code, _, err = run_cli(capsys, "state", "--date", "2000-01-01", "--events", str(mine))
    assert code == 1 and err.strip() == f"karabakh-map: {caught.value}"
    assert "mine.csv: row 2: date:" in str(caught.value)


def test_dates_may_be_date_objects_or_timestamps():
    import pandas as pd

    as_text = km.control_at("1993-08-01")["controller"].tolist()
    assert km.control_at(dt.date(1993, 8, 1))["controller"].tolist() == as_text
    assert km.control_at(pd.Timestamp("1993-08-01 15:00"))["controller"].tolist() == as_text


def test_state_as_a_geopackage_matches_the_json(tmp_path, capsys, cli_states):
    out = tmp_path / "control.gpkg"
    code, text, _ = run_cli(capsys, "state", "--date", "1993-08-01", "--format", "gpkg", "--out", str(out))
    assert code == 0 and out.exists()
    layers = dict(pyogrio.list_layers(out))
    assert layers == {"regions": "MultiPolygon", "settlements": "Point", "roads": "LineString", "zones": "MultiPolygon"}
    settlements = gpd.read_file(out, layer="settlements")
    assert settlements.crs.to_epsg() == 4326
    expected = cli_states["1993-08-01"]
    assert dict(zip(settlements["id"], settlements["controller"])) == {
        pid: r["controller"] for pid, r in expected.items() if r["layer"] == "settlement"}
    regions = gpd.read_file(out, layer="regions").set_index("id")
    assert regions.loc["district-aghdam", "share_armenian_forces"] == pytest.approx(
        expected["district-aghdam"]["share"]["armenian_forces"])
    zones = gpd.read_file(out, layer="zones")
    assert zones["area_km2"].sum() == pytest.approx(km.control_zones("1993-08-01")["area_km2"].sum())
    one = tmp_path / "aghdam.gpkg"
    assert run_cli(capsys, "state", "--date", "1993-08-01", "--place", "Aghdam", "--format", "gpkg", "--out", str(one))[0] == 0
    assert gpd.read_file(one, layer="settlements")["id"].tolist() == ["settlement-aghdam"]
    code, _, err = run_cli(capsys, "state", "--date", "1993-08-01", "--format", "gpkg")
    assert code == 2 and "--out" in err


@pytest.mark.parametrize("module", ["karabakh_map", "karabakh_map.api", "karabakh_map.frames", "karabakh_map.validation"])
def test_the_docstring_examples_hold(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_the_readme_python_example_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Python API", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert blocks, "README's Python API section has no python code block"
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    assert isinstance(namespace["aug93"], gpd.GeoDataFrame)


@pytest.mark.parametrize("layer, filename", [("region", "regions.geojson"), ("settlement", "settlements.geojson"),
                                             ("road", "roads.geojson")])
def test_each_bundled_layer_reads_the_same_in_gdal(layer, filename, catalog):
    """The catalogue parses GeoJSON itself (to name the feature and field of any fault); GIS
    software reads it through GDAL: both must see the same features."""
    from karabakh_map.catalog import GEODATA_DIR

    frame = gpd.read_file(GEODATA_DIR / filename, engine="pyogrio")
    assert frame.crs.to_epsg() == 4326
    places = {p.id: p for p in catalog.places.values() if p.layer == layer}
    assert sorted(frame["id"]) == sorted(places)
    for row in frame.itertuples():
        assert row.geometry.equals_exact(places[row.id].geometry, tolerance=0), row.id


def test_another_data_folder_is_read_and_reread_when_a_file_changes(geodata_copy):
    assert km.control_at("1993-08-01", place="Aghdam", data=geodata_copy.dir).controller.item() == "armenian_forces"
    text = geodata_copy.text("events.csv")
    rows = [line for line in text.splitlines() if not line.startswith("ev-19930723-aghdam,")]
    assert len(rows) == len(text.splitlines()) - 1
    geodata_copy.write_text("events.csv", "\n".join(rows) + "\n")
    # without the capture of Aghdam the later handover's "before" no longer holds: the CLI's problem list
    with pytest.raises(km.CatalogError, match="ev-20201120-aghdam-handover"):
        km.control_at("1993-08-01", place="Aghdam", data=geodata_copy.dir)
    with pytest.raises(km.CatalogError, match="regions.geojson: -: file: file not found"):
        km.control_at("1993-08-01", data=geodata_copy.dir / "missing")
