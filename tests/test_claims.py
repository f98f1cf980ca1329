"""The claims rule: a change resting only on the gaining side's word is a claim until confirmed."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from karabakh_map.claims import CONFIRMATION_BASES, claim_statuses, gaining_side, is_claim
from karabakh_map.timeline import Timeline
from karabakh_map.validation import load_catalog, validate_directory

D = dt.date.fromisoformat


# ---------------------------------------------------------------- the engine on real dates

def test_a_2020_village_announced_only_by_azerbaijan_is_claimed_until_the_statement(timeline, catalog):
    # Dejal (Jabrayil): its only sources are AzerNews and AZERTAC relaying Aliyev's announcement.
    event = catalog.events_by_id["ev-20201004-dejal"]
    assert {catalog.sources[s].perspective for s in event.source_ids} == {"state_media_azerbaijani"}
    before = timeline.state("settlement-dejal", D("2020-10-05"))
    assert (before.controller, before.status, before.since, before.confirmed_on) == \
        ("azerbaijan", "claimed", D("2020-10-04"), None)
    assert timeline.state("settlement-dejal", D("2020-11-09")).status == "claimed"
    after = timeline.state("settlement-dejal", D("2020-11-10"))
    # from the trilateral statement on it is plain control, and both dates are kept
    assert (after.status, after.since, after.confirmed_on) == ("confirmed", D("2020-10-04"), D("2020-11-10"))


def test_a_change_with_an_independent_source_is_confirmed_from_its_own_date(timeline, catalog):
    event = catalog.events_by_id["ev-20201108-shusha"]
    assert "src-reuters-20201109-shusha" in {a.source_id for a in event.alt_dates} | set(event.source_ids)
    state = timeline.state("settlement-shusha", D("2020-11-08"))
    assert (state.controller, state.status, state.confirmed_on) == ("azerbaijan", "confirmed", None)


def test_an_armenian_gain_resting_on_armenian_sources_and_wikipedia_is_a_claim_until_the_1994_ceasefire(
        timeline, catalog):
    event = catalog.events_by_id["ev-19920904-abdal-gulabli"]
    assert {catalog.sources[s].perspective for s in event.source_ids} == {"encyclopedia", "state_media_armenian"}
    state = timeline.state("settlement-abdal-gulabli", D("1993-01-01"))
    assert (state.controller, state.status) == ("armenian_forces", "claimed")
    state = timeline.state("settlement-abdal-gulabli", D("1994-05-12"))
    assert (state.status, state.confirmed_on) == ("confirmed", D("1994-05-12"))


def test_a_change_to_contested_is_never_a_claim(timeline, catalog):
    event = catalog.events_by_id["ev-20160402-talish-2016-contested"]
    assert gaining_side(event) is None and not is_claim(event, catalog.sources)
    assert timeline.state("settlement-talish", D("2016-04-03")).status == "confirmed"


def test_a_district_is_claimed_while_any_part_of_it_is_held_on_a_claim(timeline):
    during = timeline.state("district-jabrayil", D("2020-10-05"))
    assert during.partial and during.status == "claimed"
    after = timeline.state("district-jabrayil", D("2020-11-11"))
    assert (after.status, after.confirmed_on) == ("confirmed", D("2020-11-10"))
    assert timeline.state("district-jabrayil", D("2019-01-01")).status == "confirmed"


def test_map_zones_report_the_claim_and_the_dates_it_changes(timeline):
    claimed = timeline.zone_claimed(D("2020-10-05"))
    assert claimed["zone-dejal"] is True
    assert timeline.zone_claimed(D("2020-11-10"))["zone-dejal"] is False
    assert timeline.claim_change_dates("settlement-dejal") == (D("2020-10-04"), D("2020-11-10"))


@pytest.mark.parametrize("date", ["1992-06-01", "2016-04-03", "2020-10-20", "2020-11-10", "2023-09-21"])
def test_snapshot_carries_the_same_status_as_single_queries(timeline, catalog, date):
    snapshot = timeline.snapshot(D(date))
    assert snapshot == {pid: timeline.state(pid, D(date)) for pid in catalog.places}


def test_bundled_data_counts(catalog):
    statuses = claim_statuses(catalog)
    claims = [s for s in statuses.values() if s.claimed]
    assert len(claims) >= 65  # the audit counted ~70 changes resting only on Azerbaijani/Turkish state sources
    assert all(s.confirmed_on is not None for s in claims), [s.event_id for s in claims if s.confirmed_on is None]


# ---------------------------------------------------------------- confirmations.csv, validated

HEADER = "event_id,date,basis,source_ids,note\n"


def _set_confirmations(copy, *rows: str) -> None:
    copy.write_text("confirmations.csv", HEADER + "".join(rows))


def _problems(copy) -> list[str]:
    _, problems = validate_directory(copy.dir)
    return [str(p) for p in problems]


def test_without_its_confirmation_a_claim_stays_claimed(geodata_copy):
    _set_confirmations(geodata_copy)
    timeline = Timeline(load_catalog(geodata_copy.dir))
    assert timeline.state("settlement-dejal", D("2024-01-01")).status == "claimed"


@pytest.mark.parametrize("row, expected", [
    ("ev-20201004-dejal,2020-10-09,independent,src-trend-20201017-fuzuli,\n",
     "geodata/confirmations.csv: row 2: source_ids: ev-20201004-dejal: basis 'independent' needs a source of no side"),
    ("ev-20201004-dejal,2020-10-09,independent,src-wiki-timeline-2020,\n",
     "geodata/confirmations.csv: row 2: source_ids: ev-20201004-dejal: basis 'independent' needs a source of no side"),
    ("ev-20201004-dejal,2020-10-09,concession,src-azernews-20201004-jabrayil,\n",
     "geodata/confirmations.csv: row 2: source_ids: ev-20201004-dejal: basis 'concession' needs a source of the losing side (armenian)"),
    ("ev-20201004-dejal,2020-10-09,agreement,src-bbc-20230920,\n",
     "geodata/confirmations.csv: row 2: date: ev-20201004-dejal: 2020-10-09 is before the agreement it cites (2023-09-20)"),
    ("ev-20201004-dejal,2020-11-10,agreement,src-reuters-20201109-shusha,\n",
     "geodata/confirmations.csv: row 2: source_ids: ev-20201004-dejal: basis 'agreement' needs a source of an agreement or ceasefire event"),
    ("ev-20201004-dejal,2020-11-10,agreement,src-factsforkids-nk,\n",
     "geodata/confirmations.csv: row 2: source_ids: ev-20201004-dejal: basis 'agreement' needs a source of an agreement or ceasefire event"),
    ("ev-20201004-dejal,2020-10-01,independent,src-bbc-20230920,\n",
     "geodata/confirmations.csv: row 2: date: ev-20201004-dejal: 2020-10-01 is before the event itself (2020-10-04)"),
    ("ev-20201004-dejal,2020-10-09,rumour,src-bbc-20230920,\n",
     "geodata/confirmations.csv: row 2: basis: ev-20201004-dejal: 'rumour' is not one of " + ", ".join(CONFIRMATION_BASES)),
    ("ev-20201004-nowhere,2020-10-09,independent,src-bbc-20230920,\n",
     "geodata/confirmations.csv: row 2: event_id: ev-20201004-nowhere: unknown event 'ev-20201004-nowhere'"),
    ("ev-20160402-talish-2016-contested,2016-04-03,independent,src-bbc-20230920,\n",
     "geodata/confirmations.csv: row 2: event_id: ev-20160402-talish-2016-contested: "
     "ev-20160402-talish-2016-contested is not a change of control gained by a side"),
    ("ev-20201004-dejal,2020-10-09,independent,src-nowhere,\n",
     "geodata/confirmations.csv: row 2: source_ids: ev-20201004-dejal: unknown source 'src-nowhere'"),
    ("ev-20201004-dejal,9 Oct 2020,independent,src-bbc-20230920,\n",
     "geodata/confirmations.csv: row 2: date: Invalid date '9 Oct 2020' (expected YYYY-MM-DD)"),
])
def test_a_confirmation_must_be_backed_by_its_basis(geodata_copy, row, expected):
    _set_confirmations(geodata_copy, row)
    problems = _problems(geodata_copy)
    assert any(p.startswith(expected) for p in problems), problems


def test_each_basis_accepts_what_backs_it(geodata_copy):
    _set_confirmations(
        geodata_copy,
        "ev-20201004-dejal,2020-10-09,independent,src-bbc-20230920,\n",  # any source of no side (test only)
        "ev-20201004-charakan,2020-10-09,concession,src-armenpress-20201009,\n",  # the losing side's outlet (test only)
        "ev-20201004-horovlu,2020-11-10,agreement,src-kremlin-20201110,\n",
    )
    assert not [p for p in _problems(geodata_copy) if "confirmations.csv" in p]
    timeline = Timeline(load_catalog(geodata_copy.dir))
    assert timeline.state("settlement-dejal", D("2020-10-09")).confirmed_on == D("2020-10-09")
    assert timeline.state("settlement-charakan", D("2020-10-10")).status == "confirmed"
    assert timeline.state("settlement-horovlu", D("2020-10-10")).status == "claimed"


def _dejal_on_encyclopedias_alone(geodata_copy) -> str:
    """Give Dejal's capture only Wikipedia and Kiddle as sources; the message validate must give."""
    rows = list(csv.reader(io.StringIO(geodata_copy.text("events.csv"))))
    line = next(i for i, r in enumerate(rows) if r[0] == "ev-20201004-dejal")
    rows[line][rows[0].index("source_ids")] = "src-wiki-timeline-2020;src-factsforkids-nk"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    geodata_copy.write_text("events.csv", out.getvalue())
    return (f"geodata/events.csv: row {line + 1}: source_ids: ev-20201004-dejal changes control on encyclopedias "
            "alone (src-wiki-timeline-2020; src-factsforkids-nk)")


def test_a_control_change_on_encyclopedias_alone_is_an_error_naming_the_row_and_sources(geodata_copy):
    expected = _dejal_on_encyclopedias_alone(geodata_copy)
    _set_confirmations(geodata_copy)
    assert expected in " | ".join(_problems(geodata_copy))


def test_a_confirmation_does_not_source_a_change_resting_on_encyclopedias_alone(geodata_copy):
    # Dejal keeps its confirmation by the 10 Nov 2020 statement (the Kremlin's text, not an
    # encyclopedia), but its own sources are Wikipedia and Kiddle only: still an error.
    expected = _dejal_on_encyclopedias_alone(geodata_copy)
    assert "ev-20201004-dejal,2020-11-10,agreement,src-kremlin-20201110" in geodata_copy.text("confirmations.csv")
    assert expected in " | ".join(_problems(geodata_copy))


def test_the_validate_command_fails_on_a_sourcing_problem_but_the_map_still_loads(geodata_copy):
    import subprocess
    import sys

    _set_confirmations(geodata_copy, "ev-20201004-dejal,2020-10-09,independent,src-trend-20201017-fuzuli,\n")
    result = subprocess.run([sys.executable, "-m", "karabakh_map", "--data", str(geodata_copy.dir), "validate"],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "geodata/confirmations.csv: row 2: source_ids: ev-20201004-dejal: basis 'independent'" in result.stderr
    assert "Traceback" not in result.stderr
    assert load_catalog(geodata_copy.dir).confirmations  # loading is not blocked by a sourcing problem


# ---------------------------------------------------------------- what readers see

def test_the_panel_says_claimed_by_whom_and_keeps_both_dates(timeline):
    from karabakh_map.panel import control_summary

    during = control_summary(timeline, timeline.state("settlement-dejal", D("2020-10-05")))
    assert "claimed by Azerbaijan on 4 October 2020, not yet confirmed" in during
    after = control_summary(timeline, timeline.state("settlement-dejal", D("2021-01-01")))
    assert "claimed on 4 October 2020, confirmed on 10 November 2020" in after
    plain = control_summary(timeline, timeline.state("settlement-shusha", D("2021-01-01")))
    assert "claim" not in plain


def test_the_state_command_reports_the_status(capsys):
    import json

    from karabakh_map.cli import main

    assert main(["state", "--date", "2020-10-05", "--place", "Dejal"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert (record["status"], record["confirmed_on"]) == ("claimed", None)
