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
