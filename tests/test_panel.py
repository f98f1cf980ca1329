"""The place panel's words and history HTML (shared by the app and the export's map client)."""

from __future__ import annotations

import re

from helpers import d
from karabakh_map.panel import control_summary, history_html, own_and_regional_events, place_panel, state_sentence


def test_the_summary_is_the_date_then_the_states_sentence(timeline):
    state = timeline.state("settlement-aghdam", d("1993-08-01"))
    assert control_summary(timeline, state) == "On 1 August 1993, " + state_sentence(timeline, state)
    assert control_summary(timeline, state).startswith(
        "On 1 August 1993, held by Armenian forces (Armenia / NKR) since 23 July 1993")


def test_contested_is_never_held_by_contested(timeline, catalog):
    found = 0
    for date in timeline.change_dates():
        for pid, state in timeline.snapshot(date).items():
            text = state_sentence(timeline, state)
            assert "held by Contested" not in text, (pid, date)
            if state.controller == "contested" and not state.partial:
                assert text.startswith("contested"), (pid, date, text)
                found += 1
    assert found, "the data holds contested places (Farrukh in 2022)"


def test_a_claim_names_the_claimant_and_a_confirmation_keeps_both_dates(timeline):
    state = timeline.state("settlement-shusha", d("2021-06-01"))
    claimed = state._replace(status="claimed")
    assert state_sentence(timeline, claimed).startswith(f"claimed by Azerbaijan on {state.since.day} November 2020")
    confirmed = state._replace(confirmed_on=d("2020-11-12"))
    assert f"; claimed on {state.since.day} November 2020, confirmed on 12 November 2020" in state_sentence(timeline, confirmed)


def test_a_district_held_in_part_gives_its_shares(timeline):
    state = timeline.state("district-aghdam", d("2000-01-01"))
    assert state.partial
    assert re.match(r"held in part: Armenian forces \(Armenia / NKR\) \d+%, Azerbaijan \d+% of its area",
                    state_sentence(timeline, state))


def test_history_lists_own_events_first_and_folds_the_regional_ones(timeline):
    own, regional = own_and_regional_events(timeline, "settlement-talish")
    assert own and regional
    html = history_html(timeline, "settlement-talish", d("2021-06-01"))
    own_part, regional_part = html.split('<details class="km-regional">')
    assert re.findall(r'data-event="([^"]+)"', own_part) == [e.event_id for e in own]
    assert f"<summary>{len(regional)} regional events" in regional_part
    assert "<details open" not in html
    # the "now" marker sits after the last event on or before the date, once in each list
    assert html.count('class="km-now"') == 2
    dates_and_marker = re.findall(r'data-date="([\d-]+)"|(km-now)', own_part)
    sequence = [a or "now" for a, b in dates_and_marker]
    index = sequence.index("now")
    assert all(x <= "2021-06-01" for x in sequence[:index]) and all(x > "2021-06-01" for x in sequence[index + 1:])


def test_without_a_date_the_history_is_date_independent(timeline):
    html = history_html(timeline, "settlement-shusha")
    assert "km-now" not in html and "km-future" not in html
    assert place_panel(timeline, "settlement-shusha", d("1993-08-01")).history_html.count("km-now") >= 1
