from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from karabakh_map.names import fold, fold_azerbaijani


@pytest.mark.parametrize("query, expected", [
    ("Şuşa", "settlement-shusha"), ("shushi", "settlement-shusha"), ("Shusha", "settlement-shusha"),
    ("SUSA", "settlement-shusha"), ("Шуша", "settlement-shusha"), ("Շուշի", "settlement-shusha"),
    ("Stepanakert", "settlement-khankendi"), ("Xankəndi", "settlement-khankendi"), ("khankendi", "settlement-khankendi"),
    ("Ağdərə", "settlement-aghdara"), ("Martakert", "settlement-aghdara"),
    ("Berdzor", "settlement-lachin"), ("Laçın", "settlement-lachin"),
    ("Karvachar", "settlement-kalbajar"), ("Kəlbəcər", "settlement-kalbajar"),
    ("Ağdam", "settlement-aghdam"), ("Akna", "settlement-aghdam"),
])
def test_any_name_variant_finds_the_place(catalog, query, expected):
    assert catalog.resolve(query).id == expected


def test_ids_resolve_to_themselves(catalog):
    for place_id in catalog.places:
        assert catalog.resolve(place_id).id == place_id


def test_search_finds_partial_names(catalog):
    assert "settlement-shusha" in [p.id for p in catalog.search("shus")]


@given(st.text(max_size=30))
def test_fold_is_idempotent_and_never_fails(text):
    assert fold(fold(text)) == fold(text)
    fold_azerbaijani(text)


# ---------------------------------------------------------------- districts, shared names, the road (issue 11)

import datetime as dt  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

from helpers import ROOT  # noqa: E402
from karabakh_map.view import parse_view  # noqa: E402

DISTRICTS = ("aghdam", "fuzuli", "jabrayil", "zangilan", "gubadli", "lachin", "kalbajar", "tartar", "khojavend",
             "shusha", "khojaly", "goranboy")


@pytest.mark.parametrize("query, expected", [
    ("Aghdam District", "district-aghdam"), ("Fuzuli rayonu", "district-fuzuli"), ("Aghdam raion", "district-aghdam"),
    ("Aghdam region", "district-aghdam"), ("AĞDAM RAYONU", "district-aghdam"), ("Füzuli rayonu", "district-fuzuli"),
    ("Xocavənd rayonu", "district-khojavend"), ("Martuni district", "district-khojavend"),
    ("Агдам район", "district-aghdam"), ("kelbajar district", "district-kalbajar"),
])
def test_a_name_with_an_administrative_word_gives_the_district(catalog, query, expected):
    assert catalog.resolve(query).id == expected


@pytest.mark.parametrize("district", DISTRICTS)
def test_every_district_resolves_as_district_and_rayonu(catalog, district):
    place = catalog.places[f"district-{district}"]
    for name in (place.names.en, place.names.az):
        for word in ("district", "District", "rayonu", "raion"):
            assert catalog.resolve(f"{name} {word}").id == place.id, f"{name} {word}"


def test_an_administrative_word_never_gives_a_settlement(catalog):
    with pytest.raises(LookupError):
        catalog.resolve("Talish district")


def test_a_bare_shared_name_gives_the_town_and_lists_the_district(catalog):
    assert catalog.resolve("Aghdam").id == "settlement-aghdam"
    assert [p.id for p in catalog.also_matches("Aghdam")] == ["district-aghdam"]
    assert [p.id for p in catalog.also_matches("Shusha")] == ["district-shusha"]
    assert catalog.also_matches("Aghdam District") == ()
    assert [p.id for p in catalog.search("Aghdam")][:2] == ["settlement-aghdam", "district-aghdam"]
    assert [p.id for p in catalog.search("Aghdam rayonu")][:1] == ["district-aghdam"]


@pytest.mark.parametrize("date, expected", [
    ("1993-01-01", "road-lachin-1992"), ("2021-06-01", "road-lachin-1992"), ("2022-08-29", "road-lachin-1992"),
    ("2022-09-01", "road-lachin-2022"), ("2023-07-01", "road-lachin-2022"), ("1990-01-01", "road-lachin-1992"),
])
def test_lachin_corridor_gives_the_route_in_use_on_the_date(catalog, date, expected):
    day = dt.date.fromisoformat(date)
    assert catalog.resolve("Lachin corridor", day).id == expected
    assert [p.id for p in catalog.also_matches("Lachin corridor", day)] == \
        sorted({"road-lachin-1992", "road-lachin-2022"} - {expected})


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "karabakh_map", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})


def test_cli_state_lists_also_matches_and_follows_the_road_by_date():
    result = _cli("state", "--date", "2000-01-01", "--place", "Aghdam")
    record = json.loads(result.stdout)
    assert record["id"] == "settlement-aghdam" and record["also_matches"] == ["district-aghdam"]
    record = json.loads(_cli("state", "--date", "2000-01-01", "--place", "Aghdam District").stdout)
    assert record["id"] == "district-aghdam" and "also_matches" not in record
    record = json.loads(_cli("state", "--date", "2023-01-01", "--place", "Lachin corridor").stdout)
    assert record["id"] == "road-lachin-2022" and record["also_matches"] == ["road-lachin-1992"]
    assert json.loads(_cli("state", "--date", "2010-01-01", "--place", "Lachin corridor").stdout)["id"] == "road-lachin-1992"


def test_url_notice_lists_also_matches_and_road_follows_the_date(catalog):
    view, notices = parse_view({"place": "Aghdam", "date": "2000-01-01"}, catalog)
    assert view.place == "settlement-aghdam"
    assert any("district-aghdam" in n for n in notices), notices
    view, notices = parse_view({"place": "Aghdam District"}, catalog)
    assert view.place == "district-aghdam" and notices == []
    view, _ = parse_view({"place": "Lachin corridor", "date": "2023-01-01"}, catalog)
    assert view.place == "road-lachin-2022"
    view, _ = parse_view({"place": "Lachin corridor", "date": "2010-01-01"}, catalog)
    assert view.place == "road-lachin-1992"
