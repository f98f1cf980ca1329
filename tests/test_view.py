"""The share link's rules, stated as properties of ``parse_view`` and ``view_to_params`` (no Streamlit).

* a view survives a round trip through its link;
* an invalid parameter gives a notice naming that parameter, and its default;
* no query string raises.
The page's wiring of these (notices shown, widgets set) is sampled through AppTest in test_app.py.
"""

from __future__ import annotations

import datetime as dt
import string

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from karabakh_map.catalog import HISTORY_START, history_end
from karabakh_map.names import NAME_MODES
from karabakh_map.view import (
    DEFAULT_DATE, DEFAULT_LAT, DEFAULT_LON, DEFAULT_ZOOM, LAT_RANGE, LON_RANGE, ZOOM_RANGE, View, parse_view,
    view_to_params,
)

PARAMETERS = ("date", "place", "names", "lat", "lon", "zoom")
PAYLOADS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)", "' OR 1=1 --",
            "\u202e", "0" * 500, "1e309", "nan", "-inf", "２０２０-01-01", "2020-1-1", "../../etc/passwd",
            "2020-W46-2", "20201110", "4_0", "٤٦.5", "1_0", "1987-12-31", "2999-01-01", "", " "]
values = st.one_of(st.sampled_from(PAYLOADS), st.text(max_size=60), st.text(alphabet=string.digits + "-._e+", max_size=12),
                   st.dates().map(dt.date.isoformat), st.lists(st.text(max_size=10), max_size=2))
query_strings = st.dictionaries(st.sampled_from([*PARAMETERS, "other"]), values, max_size=7)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def place_ids(catalog):
    return st.one_of(st.none(), st.sampled_from(sorted(catalog.places)))


views = st.builds(
    View,
    date=st.dates(min_value=HISTORY_START, max_value=history_end()),
    names=st.sampled_from(NAME_MODES),
    lat=st.floats(*LAT_RANGE).map(lambda x: round(x, 5)),
    lon=st.floats(*LON_RANGE).map(lambda x: round(x, 5)),
    zoom=st.integers(*ZOOM_RANGE),
)


@FAST
@given(view=views, place=st.data())
def test_a_view_survives_a_round_trip_through_its_link(catalog, view, place):
    view = View(view.date, place.draw(place_ids(catalog)), view.names, view.lat, view.lon, view.zoom)
    params = view_to_params(view)
    assert all(isinstance(v, str) for v in params.values())
    parsed, notices = parse_view(params, catalog)
    assert notices == []
    assert parsed == view


NOTICE_PREFIXES = {"date": "Invalid date ", "lat": "Invalid lat ", "lon": "Invalid lon ", "zoom": "Invalid zoom ",
                   "place": "Unknown place ", "names": "Unknown names option "}


@FAST
@given(params=query_strings)
def test_every_invalid_parameter_gets_one_notice_naming_it_and_its_default(catalog, params):
    view, notices = parse_view(params, catalog)  # never raises
    named = {}
    for notice in notices:
        keys = [k for k, prefix in NOTICE_PREFIXES.items() if notice.startswith(prefix)]
        assert len(keys) == 1 and keys[0] in params, notice  # names one parameter that was given
        assert keys[0] not in named, notices  # once
        named[keys[0]] = notice
        assert "\n" not in notice and len(notice) < 250
    for key in PARAMETERS:
        if key not in params or key in named:
            assert getattr(view, key) == getattr(View(), key), key  # absent or invalid: the default
    # whatever was accepted is what the view's own link says again
    assert parse_view(view_to_params(view), catalog) == (view, [])


@pytest.mark.parametrize("key, value", [("date", "2020-W46-2"), ("date", "20201110"), ("date", "1987-12-31"),
                                        ("lat", "4_0"), ("lat", "nan"), ("lon", "٤٦.5"), ("lon", "1e309"),
                                        ("zoom", "1_0"), ("zoom", "10.0")])
def test_what_python_would_accept_but_the_link_does_not(catalog, key, value):
    view, notices = parse_view({key: value}, catalog)
    assert view == View()
    assert len(notices) == 1 and notices[0].startswith(f"Invalid {key} {value!r} (expected ")


def test_notices_end_with_the_default_used(catalog):
    _, notices = parse_view({"date": "x", "lat": "x", "lon": "x", "zoom": "x"}, catalog)
    assert notices == [
        f"Invalid date 'x' (expected YYYY-MM-DD); showing {DEFAULT_DATE}.",
        f"Invalid lat 'x' (expected {LAT_RANGE[0]} to {LAT_RANGE[1]}); using {DEFAULT_LAT}.",
        f"Invalid lon 'x' (expected {LON_RANGE[0]} to {LON_RANGE[1]}); using {DEFAULT_LON}.",
        f"Invalid zoom 'x' (expected {ZOOM_RANGE[0]} to {ZOOM_RANGE[1]}); using {DEFAULT_ZOOM}.",
    ]
