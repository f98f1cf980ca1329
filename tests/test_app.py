"""The Streamlit page's logic through AppTest: URL state, widgets, panels, hostile query strings."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from helpers import ROOT, d
from karabakh_map.view import DEFAULT_DATE, markdown_literal, parse_view

APP = str(ROOT / "app.py")


def run_app(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def panel(at: AppTest) -> str:
    return next((m.value for m in at.markdown if 'data-testid="place-controller"' in m.value), "")


def heading(at: AppTest) -> str:
    return next((m.value for m in at.markdown if m.value.startswith("### ")), "")


def test_shared_link_reproduces_date_and_place():
    at = run_app(date="1993-08-01", place="Aghdam")
    assert at.slider(key="date").value == d("1993-08-01")
    assert "held by Armenian forces" in panel(at)
    assert at.query_params["place"] == ["settlement-aghdam"] or at.query_params["place"] == "settlement-aghdam"


def test_place_accepts_any_name_variant():
    at = run_app(date="2021-06-01", place="Shushi")
    assert "Şuşa" in heading(at)
    assert "held by Azerbaijan" in panel(at)


def test_no_parameters_gives_the_default_view():
    at = run_app()
    assert at.slider(key="date").value == DEFAULT_DATE
    assert not at.warning


def test_invalid_values_give_a_notice_and_the_default():
    at = run_app(date="1993-02-30", place="Atlantis", names="klingon", lat="91", lon="x", zoom="99")
    notices = " ".join(re.sub(r"\\(.)", r"\1", w.value) for w in at.warning)
    for fragment in ("Invalid date '1993-02-30'", "Unknown place 'Atlantis'", "Unknown names option 'klingon'",
                     "Invalid lat '91'", "Invalid lon 'x'", "Invalid zoom '99'"):
        assert fragment in notices
    assert at.slider(key="date").value == DEFAULT_DATE
    assert at.radio(key="names").value == "both"


def test_moving_the_date_updates_the_url():
    at = run_app(date="1993-08-01")
    at.slider(key="date").set_value(d("2021-06-01")).run()
    assert at.query_params["date"] in ("2021-06-01", ["2021-06-01"])


def test_previous_and_next_event_buttons(catalog):
    at = run_app(date="1992-05-07")
    next_button = next(b for b in at.button if b.label.startswith("Next"))
    next_button.click().run()
    assert at.slider(key="date").value == d("1992-05-08")
    prev_button = next(b for b in at.button if b.label.startswith("◀"))
    prev_button.click().run()
    assert at.slider(key="date").value < d("1992-05-08")


def test_jump_to_key_date():
    at = run_app(date="1990-01-01")
    at.selectbox(key="key_date").set_value("1994 ceasefire (12 May 1994)").run()
    assert at.slider(key="date").value == d("1994-05-12")


def test_names_switch_changes_panel_title_and_url():
    at = run_app(date="2000-01-01", place="Stepanakert")
    assert "Xankəndi / Stepanakert" in heading(at)
    at.radio(key="names").set_value("hy").run()
    assert heading(at) == "### Stepanakert"
    assert at.query_params["names"] in ("hy", ["hy"])
    at.radio(key="names").set_value("az").run()
    assert heading(at) == "### Xankəndi"


def test_search_box_finds_a_place_by_any_name():
    at = run_app(date="2000-01-01")
    at.text_input(key="search").set_value("Karvachar").run()
    found = [b for b in at.button if b.key == "find-settlement-kalbajar"]
    assert found
    found[0].click().run()
    assert "Kəlbəcər" in heading(at)


def test_panel_lists_history_with_sources_and_highlights_the_nearest():
    at = run_app(date="1992-05-09", place="Shusha")
    events = [m.value for m in at.markdown if 'class="km-event"' in m.value]
    assert any("1992-05-08" in e and "href=\"http" in e for e in events)
    assert any("▶" in e and "1992-05-08" in e for e in events)


def test_what_changed_lists_events_and_jumps_to_them():
    at = run_app(date="1994-05-12")
    buttons = [b for b in at.button if (b.key or "").startswith("ev-")]
    assert buttons
    target = buttons[0]
    target_date = d(target.label[:10])
    assert target_date <= d("1994-05-12")
    target.click().run()
    assert at.slider(key="date").value == target_date
    assert heading(at).startswith("### ") and "Click a place" not in heading(at)


def test_downloads_are_offered():
    at = run_app(date="1994-05-12")
    labels = [element.proto.label for element in at.get("download_button")]
    assert "Snapshot (GeoJSON)" in labels and "Snapshot (CSV)" in labels


def test_share_box_shows_the_link():
    at = run_app(date="1993-08-01", place="Aghdam")
    share = next(t for t in at.text_input if t.label == "Share this view")
    assert share.value.endswith("/?date=1993-08-01&place=settlement-aghdam")


# ------------------------------------------------------------------ hostile query strings
# The rules are properties of parse_view (tests/test_view.py); here a few hostile links check the
# page's wiring: no exception, each notice shown literally, the widgets set to the parsed view.

HOSTILE_LINKS = [
    {"date": "<script>alert(1)</script>", "place": "<img src=x onerror=alert(1)>", "names": "javascript:alert(1)"},
    {"date": "2020-W46-2", "lat": "4_0", "lon": "٤٦.5", "zoom": "1_0"},
    {"date": "1987-12-31", "place": "0" * 500, "lat": "1e309", "lon": "nan", "zoom": "-inf"},
    {"date": "1993-08-01", "place": "Şuşa", "names": "hy", "lat": "39.9", "lon": "46.7", "zoom": "10", "other": "x"},
    {"date": "*bold* [link](http://x) $x$ :smile:", "names": "\u202e"},
]


@pytest.mark.parametrize("params", HOSTILE_LINKS)
def test_hostile_query_strings_never_break_the_page(catalog, params):
    at = run_app(**params)
    view, expected_notices = parse_view(params, catalog)
    assert [w.value for w in at.warning] == [markdown_literal(n) for n in expected_notices]
    assert at.slider(key="date").value == view.date
    assert at.radio(key="names").value == view.names
