"""Who held each place on key dates, partial control, and the engine's invariants (hypothesis)."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from helpers import d
from karabakh_map.catalog import HISTORY_START, Catalog, history_end
from karabakh_map.timeline import Timeline, naive_controller, naive_snapshot

KEY_DATES = [
    # place, date, controller: the dates the issue names, and the edges of each change
    ("Shusha", "1992-05-07", "azerbaijan"), ("Shusha", "1992-05-08", "armenian_forces"),
    ("Shushi", "2020-11-07", "armenian_forces"), ("Şuşa", "2020-11-08", "azerbaijan"),
    ("Khojaly", "1992-02-25", "azerbaijan"), ("Khojaly", "1992-02-26", "armenian_forces"),
    ("Lachin", "1992-05-17", "azerbaijan"), ("Berdzor", "1992-05-18", "armenian_forces"),
    ("Lachin", "2021-06-01", "russian_peacekeepers"), ("Lachin", "2022-08-26", "azerbaijan"),
    ("Martakert", "1992-07-10", "azerbaijan"), ("Martakert", "1993-06-27", "armenian_forces"),
    ("Kalbajar", "1993-04-01", "azerbaijan"), ("Karvachar", "1993-04-02", "armenian_forces"),
    ("Kalbajar", "2020-11-25", "azerbaijan"),
    ("Aghdam", "1993-07-22", "azerbaijan"), ("Aghdam", "1993-08-01", "armenian_forces"),
    ("Aghdam", "2020-11-20", "azerbaijan"),
    ("Fuzuli", "1993-08-23", "armenian_forces"), ("Fuzuli", "2020-10-17", "azerbaijan"),
    ("Jabrayil", "1993-08-23", "armenian_forces"), ("Jabrayil", "2020-10-04", "azerbaijan"),
    ("Gubadli", "1993-08-31", "armenian_forces"), ("Zangilan", "1993-10-29", "armenian_forces"),
    ("Zangilan", "2020-10-20", "azerbaijan"),
    ("Horadiz", "1993-11-15", "armenian_forces"), ("Horadiz", "1994-01-06", "azerbaijan"),
    ("Hadrut", "2020-10-08", "armenian_forces"), ("Hadrut", "2020-10-09", "azerbaijan"),
    ("Madaghis", "2020-10-02", "armenian_forces"), ("Sugovushan", "2020-10-03", "azerbaijan"),
    ("Stepanakert", "2023-09-19", "armenian_forces"), ("Khankendi", "2023-09-20", "azerbaijan"),
    ("Karki", "1992-06-01", "armenian_forces"), ("Artsvashen", "1992-09-01", "azerbaijan"),
    ("Yukhari Askipara", "1995-01-01", "armenian_forces"), ("Barkhudarly", "1995-01-01", "armenian_forces"),
    ("Sofulu", "1995-01-01", "armenian_forces"),
]


@pytest.mark.parametrize("place, date, controller", KEY_DATES)
def test_controller_on_key_dates(catalog, timeline, place, date, controller):
    assert timeline.state(catalog.resolve(place).id, d(date)).controller == controller


def test_state_names_the_event_and_since(timeline):
    state = timeline.state("settlement-shusha", d("2000-01-01"))
    assert state.since == d("1992-05-08")
    assert state.event_id == "ev-19920508-shusha"


def test_unchanged_place_has_no_since(timeline):
    state = timeline.state("settlement-shusha", d("1990-01-01"))
    assert (state.controller, state.since, state.event_id) == ("azerbaijan", None, None)


@pytest.mark.parametrize("region, date", [("district-aghdam", "2000-01-01"), ("district-fuzuli", "2000-01-01"),
                                          ("district-tartar", "2000-01-01"), ("district-khojavend", "2021-06-01")])
def test_partly_held_districts_are_never_wholly_one_side(timeline, region, date):
    state = timeline.state(region, d(date))
    assert state.partial
    assert state.share["azerbaijan"] > 0.1 and state.share["armenian_forces"] > 0.1
    assert sum(state.share.values()) == pytest.approx(1.0, abs=1e-5)


def test_aghdam_district_in_2000_is_mostly_armenian_held(timeline):
    share = timeline.state("district-aghdam", d("2000-01-01")).share
    assert 0.55 < share["armenian_forces"] < 0.9  # Azerbaijani sources: 842 of 1,094 km² (77%)


def test_wholly_taken_district_is_not_partial(timeline):
    state = timeline.state("district-kalbajar", d("2000-01-01"))
    assert not state.partial and state.controller == "armenian_forces"


def test_region_event_applies_to_its_settlements_unless_a_later_event_says_otherwise(catalog, timeline):
    # the Lachin district handover of 1 Dec 2020 covered the district, but not the corridor towns
    assert timeline.state("settlement-lachin", d("2020-12-02")).controller == "russian_peacekeepers"
    others = [s for s in catalog.members["district-lachin"] if s not in
              ("settlement-lachin", "settlement-zabukh", "settlement-sus")]
    assert others and all(timeline.state(s, d("2020-12-02")).controller == "azerbaijan" for s in others)


def test_peacekeeping_zone_2020_to_2024(timeline):
    assert timeline.state("settlement-khankendi", d("2021-01-01")).in_peacekeeping_zone
    assert not timeline.state("settlement-khankendi", d("2020-11-01")).in_peacekeeping_zone
    assert not timeline.state("settlement-khankendi", d("2025-01-01")).in_peacekeeping_zone


def test_road_routes_and_status(timeline):
    assert timeline.state("road-lachin-1992", d("2021-01-01")).visible
    assert not timeline.state("road-lachin-2022", d("2021-01-01")).visible
    assert timeline.state("road-lachin-2022", d("2023-01-01")).road_status == "blockaded"
    assert timeline.state("road-lachin-2022", d("2023-05-01")).road_status == "checkpoint"
    assert timeline.state("road-lachin-1992", d("2021-01-01")).road_status == "peacekeepers"


def test_events_between_and_diff(timeline):
    events = timeline.events_between(d("1992-05-07"), d("1992-05-08"))
    assert "ev-19920508-shusha" in [e.event_id for e in events]
    changes = {c.place_id: (c.before, c.after) for c in timeline.diff(d("1992-05-07"), d("1992-05-09"))}
    assert changes["settlement-shusha"] == ("azerbaijan", "armenian_forces")


def test_area_by_controller_tracks_the_wars(timeline):
    before, after_1994, after_2020, after_2023 = (timeline.area_by_controller(d(x)) for x in
                                                  ("1988-06-01", "1995-01-01", "2021-01-01", "2024-01-01"))
    assert before["armenian_forces"] < 100
    assert after_1994["armenian_forces"] > 8000  # NKAO and most of the seven districts
    assert after_1994["armenian_forces"] > after_2020["armenian_forces"] > after_2023["armenian_forces"]
    total = sum(before.values())
    for day, areas in (("1995-01-01", after_1994), ("2021-01-01", after_2020), ("2024-01-01", after_2023)):
        # the pockets inside Armenia (Lake Sev 2021, Jermuk 2022) add their own ground to the map
        pockets = sum(z.area_km2 for z in timeline.map_zones(d(day)) if z.region_id.startswith("province-") and z.front_lines)
        assert sum(areas.values()) == pytest.approx(total + pockets, abs=1.0), day


# ------------------------------------------------------------------ properties

dates = st.dates(min_value=HISTORY_START, max_value=history_end())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(date=dates)
def test_snapshot_equals_replaying_every_event(catalog, timeline, date):
    indexed = {pid: s.controller for pid, s in timeline.snapshot(date).items()
               if catalog.places[pid].layer != "region"}
    assert indexed == naive_snapshot(catalog, date)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=10_000))
def test_output_is_independent_of_row_order(catalog, timeline, seed):
    shuffled = list(catalog.events)
    random.Random(seed).shuffle(shuffled)
    other = Timeline(Catalog(places=catalog.places, events=tuple(shuffled), sources=catalog.sources,
                             front_lines=catalog.front_lines))
    for date in (d("1992-06-01"), d("1994-05-12"), d("2016-04-03"), d("2020-11-10"), d("2022-09-01")):
        assert {p: s.controller for p, s in other.snapshot(date).items()} == \
               {p: s.controller for p, s in timeline.snapshot(date).items()}


def test_naive_and_indexed_agree_for_one_place(catalog, timeline):
    for date in (d("1993-08-01"), d("2021-06-01")):
        assert naive_controller(catalog, "settlement-aghdam", date) == timeline.state("settlement-aghdam", date).controller


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(date=dates)
def test_snapshot_agrees_with_single_place_queries(catalog, timeline, date):
    snapshot = timeline.snapshot(date)
    assert snapshot == {pid: timeline.state(pid, date) for pid in catalog.places}


def test_the_peacekeeping_zone_ends_for_handed_over_places_and_unused_roads(timeline):
    """Issue 10: Lachin, Sus, Zabukh, the 1992 road, Lachin district and the NKAO stayed in the zone in 2025."""
    for pid in ("settlement-lachin", "settlement-sus", "settlement-zabukh"):
        assert timeline.state(pid, d("2022-08-25")).in_peacekeeping_zone, pid
        assert not timeline.state(pid, d("2022-08-26")).in_peacekeeping_zone, pid  # handed over by the peacekeepers
    assert timeline.state("road-lachin-1992", d("2021-06-01")).in_peacekeeping_zone
    assert not timeline.state("road-lachin-1992", d("2023-01-01")).in_peacekeeping_zone  # the route no longer in use
    for date in ("2024-06-12", "2025-01-01"):
        assert not any(s.in_peacekeeping_zone for s in timeline.snapshot(d(date)).values()), date
        assert not any(timeline.zone_peacekeeping(d(date)).values()), date
