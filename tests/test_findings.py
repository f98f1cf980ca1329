"""The fact-check of Dec 2026 (issue 11, findings 1-13 and missing events), one test per finding.

Each test failed on the data before the fix; see ../shared/audits/fact-check-2026-12.md for the
evidence behind each row.
"""

from __future__ import annotations

import csv
import datetime as dt
import re

import pytest
import shapely
from shapely.geometry import Point

from helpers import ROOT
from karabakh_map.timeline import area_km2

d = dt.date.fromisoformat


def event(catalog, event_id):
    return next(e for e in catalog.events if e.event_id == event_id)


def alt_dates(ev) -> set[dt.date]:
    return {alt.date for alt in ev.alt_dates}


# 1. Karintak / Dashalti: Azerbaijani from the 2020 war, outside the peacekeepers' zone
def test_dashalti_passes_to_azerbaijan_in_the_2020_war(timeline):
    assert timeline.state("settlement-dashalti", d("2020-11-08")).controller == "armenian_forces"
    after = timeline.state("settlement-dashalti", d("2021-06-01"))
    assert after.controller == "azerbaijan" and after.since == d("2020-11-09")
    assert not after.in_peacekeeping_zone


def test_shusha_district_is_no_longer_mostly_armenian_held_after_the_war(timeline):
    # was 0.82 with Karintak wrongly Armenian; the rest is the Lisagor zone's Voronoi size
    assert timeline.share("district-shusha", d("2021-06-01"))["armenian_forces"] < 0.6


# 2. Khojavend is not flipped whole on 2 Oct 1992
def test_no_event_gives_the_whole_of_khojavend_district_to_one_side_in_1992(catalog):
    flips = [e for e in catalog.events if "district-khojavend" in e.place_ids and e.controller_after
             and e.date.year == 1992]
    assert flips == []


# 3. Shikharkh is Maragha (Leninavan): attacked on 10 Apr 1992, Azerbaijani-held since
def test_maragha_was_armenian_held_then_azerbaijani_from_april_1992(timeline):
    assert timeline.state("settlement-shikharkh", d("1992-01-15")).controller == "armenian_forces"
    state = timeline.state("settlement-shikharkh", d("2000-01-01"))
    assert state.controller == "azerbaijan" and state.event_id == "ev-19920410-maragha"


def test_maragha_is_named_and_lies_in_the_former_nkao(catalog):
    assert catalog.resolve("Maragha").id == catalog.resolve("Leninavan").id == "settlement-shikharkh"
    assert catalog.places["settlement-shikharkh"].properties["in_nkao"] is True


# 4. Jabrayil 1993: 18 Aug at the time, 23 Aug commemorated
def test_jabrayil_1993_has_the_contemporary_and_the_commemorative_date(catalog):
    ev = event(catalog, "ev-19930823-jabrayil")
    assert ev.date == d("1993-08-18") and d("1993-08-23") in alt_dates(ev)
    assert "src-guardian-19930820-jebrail" in ev.source_ids


# 5. Horadiz 1993: not month precision from 1 Oct; the denied 4 Sep claim is about the town
def test_horadiz_town_1993_is_dated_by_hrw_and_the_claim_concerns_the_town(catalog, timeline):
    town = event(catalog, "ev-19931001-horadiz-1993")
    assert (town.date, town.date_precision) == (d("1993-09-27"), "day")
    assert "late October" in town.description
    claim = event(catalog, "ev-19930904-horadiz-claim")
    assert claim.place_ids == ("settlement-horadiz",) and claim.controller_after is None
    assert timeline.state("settlement-horadiz", d("1993-09-10")).controller == "azerbaijan"


# 6. Armenian-populated Hadrut/Martuni villages follow Hadrut town; Gunashli falls in 1993
@pytest.mark.parametrize("village", ["taghaser", "akaku", "bulutan", "malikjanli", "chinarli", "dashbashi",
                                     "susanliq", "shekher"])
def test_hadrut_and_martuni_villages_are_armenian_held_with_hadrut_town(timeline, village):
    on = d("1992-06-01")
    assert timeline.state(f"settlement-{village}", on).controller == \
        timeline.state("settlement-hadrut", on).controller == "armenian_forces"


def test_gunashli_changes_hands_in_1993_as_its_own_sources_say(timeline):
    assert timeline.state("settlement-gunashli", d("1993-01-01")).controller == "azerbaijan"
    assert timeline.state("settlement-gunashli", d("1993-07-23")).controller == "armenian_forces"


# 8. Disputed 2020 dates: the announced date stays, the third parties' dates are recorded with who gives them
@pytest.mark.parametrize("event_id, announced, third_party", [
    ("ev-20201009-hadrut", "2020-10-09", {"2020-10-14", "2020-10-15"}),
    ("ev-20201004-jabrayil", "2020-10-04", {"2020-10-09"}),
])
def test_disputed_2020_dates_keep_both(catalog, event_id, announced, third_party):
    ev = event(catalog, event_id)
    assert ev.date == d(announced)
    assert {d(x) for x in third_party} <= alt_dates(ev)
    assert all(alt.source_id for alt in ev.alt_dates)



@pytest.mark.parametrize("place_id, claimed_on, still_claimed, confirmed_on", [
    # announced by Azerbaijan on 9 Oct, denied by the Armenian side; fixed by the statement of 10 Nov
    ("settlement-hadrut", "2020-10-09", "2020-11-09", "2020-11-10"),
    # announced on 4 Oct; footage from the town reported by an independent outlet on 9 Oct
    ("settlement-jabrayil", "2020-10-04", "2020-10-08", "2020-10-09"),
])
def test_an_announcement_the_other_side_denied_shows_as_a_claim_until_confirmed(timeline, place_id, claimed_on,
                                                                               still_claimed, confirmed_on):
    during = timeline.state(place_id, d(still_claimed))
    assert (during.controller, during.status, during.since) == ("azerbaijan", "claimed", d(claimed_on))
    after = timeline.state(place_id, d(confirmed_on))
    assert (after.status, after.since, after.confirmed_on) == ("confirmed", d(claimed_on), d(confirmed_on))


def test_the_denials_are_recorded_as_their_own_event_not_as_support_for_the_change(catalog):
    for event_id in ("ev-20201009-hadrut", "ev-20201004-jabrayil"):
        assert not {"src-armenpress-20201009", "src-hetq-20201012"} & set(event(catalog, event_id).source_ids)
    denial = event(catalog, "ev-20201012-denials-hadrut-jabrayil")
    assert denial.controller_after in (None, "") and "src-hetq-20201012" in denial.source_ids

# 9. Parukh: Russian peacekeepers from 28 Mar 2022, not "contested" until 2023
def test_parukh_is_held_by_russian_peacekeepers_from_march_2022(timeline):
    state = timeline.state("settlement-farrukh", d("2022-06-01"))
    assert state.controller == "russian_peacekeepers" and state.since == d("2022-03-28")
    assert state.in_peacekeeping_zone


# 10./11. The peacekeeping zone ends, corridor towns included
def test_nothing_is_in_the_peacekeeping_zone_after_the_withdrawal(timeline):
    snapshot = timeline.snapshot(d("2024-06-13"))
    assert [pid for pid, state in snapshot.items() if state.in_peacekeeping_zone] == []


def test_corridor_towns_leave_the_zone_when_handed_over(timeline):
    assert timeline.state("settlement-lachin", d("2021-06-01")).in_peacekeeping_zone
    assert not timeline.state("settlement-lachin", d("2022-09-01")).in_peacekeeping_zone


# 12. Smaller dates
@pytest.mark.parametrize("event_id, date", [
    ("ev-20201201-gubadli-strip", "2020-12-18"),
    ("ev-20201218-zangilan-kapan-posts", "2020-12-18"),
    ("ev-19920808-artsvashen", "1992-08-07"),
    ("ev-19940101-vardenis-martakert-road-cut", "1994-01-15"),
    ("ev-19940101-seysulan-1994", "1994-04-01"),  # audit row 19: the Tartar operation, not 1 Jan 1994
])
def test_smaller_dates(catalog, event_id, date):
    assert event(catalog, event_id).date == d(date)


def test_seysulan_falls_in_april_1994_and_the_change_has_a_source_that_is_not_armenian(catalog, timeline):
    ev = event(catalog, "ev-19940101-seysulan-1994")
    assert ev.date_precision == "month"
    assert timeline.state("settlement-seysulan", d("1994-03-31")).controller == "azerbaijan"
    state = timeline.state("settlement-seysulan", d("1994-04-15"))
    assert (state.controller, state.status) == ("armenian_forces", "confirmed")
    assert any(catalog.sources[s].perspective == "state_media_azerbaijani" for s in ev.source_ids)


def test_gubadli_strip_records_the_demarcation_days(catalog):
    assert d("2020-12-24") in alt_dates(event(catalog, "ev-20201201-gubadli-strip"))


# 13. Texts: the true "since", and no empty district names
def test_no_2020_text_claims_1993_for_a_place_held_since_1991_or_1992(catalog, timeline):
    wrong = []
    for ev in catalog.events:
        if "since 1993-1994" in ev.description and ev.controller_before == "armenian_forces":
            since = timeline.state(ev.place_ids[0], ev.date - dt.timedelta(days=1)).since
            if since is not None and since.year < 1993:
                wrong.append(ev.event_id)
    assert wrong == []


def test_no_description_has_an_empty_or_repeated_district_name(catalog):
    assert [e.event_id for e in catalog.events if "( district)" in e.description] == []
    repeated = re.compile(r"\(([A-Z][a-z]+)\) \(\1 district\)")
    assert [e.event_id for e in catalog.events if repeated.search(e.description)] == []


# Sourcing: the border wars no longer rest on Kiddle alone
@pytest.mark.parametrize("event_id", ["ev-20211116-armenia-border-clashes", "ev-20220913-armenia-border-war"])
def test_border_war_events_cite_news_sources(catalog, event_id):
    sources = event(catalog, event_id).source_ids
    assert any("kiddle" not in catalog.sources[s].url for s in sources)


# Missing events
def test_lachin_road_closed_to_all_traffic_from_15_june_2023(timeline):
    assert timeline.state("road-lachin-2022", d("2023-06-14")).road_status == "checkpoint"
    assert timeline.state("road-lachin-2022", d("2023-06-15")).road_status == "closed"


@pytest.mark.parametrize("village", ["khtsaberd", "hin-tagher"])
def test_khtsaberd_hin_tagher_pocket_holds_out_until_december_2020(timeline, village):
    assert timeline.state("settlement-hadrut", d("2020-11-15")).controller == "azerbaijan"
    assert timeline.state(f"settlement-{village}", d("2020-11-15")).controller == "armenian_forces"
    assert timeline.state(f"settlement-{village}", d("2020-12-20")).controller == "azerbaijan"


@pytest.mark.parametrize("village", ["mets-shen", "hin-shen", "yeghtsahogh"])
def test_shusha_raion_villages_are_armenian_held_in_the_zone_until_2023(timeline, village):
    state = timeline.state(f"settlement-{village}", d("2022-06-01"))
    assert state.controller == "armenian_forces" and state.in_peacekeeping_zone
    assert timeline.state(f"settlement-{village}", d("2023-10-01")).controller == "azerbaijan"


# The Lachin road's controller follows who held it
@pytest.mark.parametrize("road, date, controller", [
    ("road-lachin-1992", "1992-06-01", "armenian_forces"),
    ("road-lachin-1992", "2021-06-01", "russian_peacekeepers"),
    ("road-lachin-2022", "2023-01-01", "russian_peacekeepers"),
    ("road-lachin-2022", "2024-07-01", "azerbaijan"),
])
def test_lachin_road_controller(timeline, road, date, controller):
    assert timeline.state(road, d(date)).controller == controller


# Sourcing: no control change rests on an encyclopedia alone (its own sources; `validate` makes it an
# error). The last five (Abdal-Gulabli, Seysulan, Abilja, Ikinji Aghali, Shafibayli) were re-sourced
# in Dec 2026.
ENCYCLOPEDIA_ONLY_NOT_YET_RESOLVED: set[str] = set()


def test_control_changes_resting_on_encyclopedias_alone_are_only_the_known_open_ones(catalog):
    def encyclopedic(source):
        return any(word in (source.url + source.source_id).lower() for word in ("wiki", "kiddle"))

    alone = {e.event_id for e in catalog.events if e.controller_after
             and all(encyclopedic(catalog.sources[s]) for s in e.source_ids)}
    assert alone == ENCYCLOPEDIA_ONLY_NOT_YET_RESOLVED


# 7. Operation Goranboy 1992: Aghabekalinj and Haterk taken with Martakert on 4 Jul 1992
@pytest.mark.parametrize("village", ["aghabekalinj", "haterk"])
def test_martakert_raion_villages_fall_with_martakert_on_4_july_1992(timeline, village):
    assert timeline.state(f"settlement-{village}", d("1992-07-03")).controller == "armenian_forces"
    state = timeline.state(f"settlement-{village}", d("1992-07-10"))
    assert state.controller == "azerbaijan" and state.event_id == "ev-19920704-aghdara-1992"
    assert timeline.state(f"settlement-{village}", d("1994-06-01")).controller == "armenian_forces"
    zone = timeline.state(f"settlement-{village}", d("2021-06-01"))
    assert zone.controller == "armenian_forces" and zone.in_peacekeeping_zone


def test_aghabekalinj_is_retaken_with_martakert_in_june_1993(timeline):
    assert timeline.state("settlement-aghabekalinj", d("1993-07-10")).event_id == "ev-19930627-aghdara-1993"


# 7. The Askeran diversion of 12 Jun 1992: taken that day; the day they were retaken is unknown
@pytest.mark.parametrize("village", ["nakhchivanli", "aghbulag-khojaly", "vardadzor", "dahraz"])
def test_askeran_villages_are_lost_on_12_june_1992_and_back_by_the_ceasefire(timeline, village):
    assert timeline.state(f"settlement-{village}", d("1992-06-11")).controller == "armenian_forces"
    state = timeline.state(f"settlement-{village}", d("1992-06-20"))
    assert state.controller == "contested" and state.event_id == "ev-19920612-askeran-diversion"
    assert timeline.state(f"settlement-{village}", d("1994-06-01")).controller == "armenian_forces"
    assert timeline.state(f"settlement-{village}", d("2021-06-01")).in_peacekeeping_zone


# 7. Operation Goranboy at its height.  What the sources give for the peak:
#  - "over 48 %" of the former NKAO: Wikipedia, "Operation Goranboy" (infobox; no primary source found);
#  - the NKR foreign ministry (4 Jul 2020, src-pastinfo-20200704-martakert): after taking Martakert on
#    4 Jul 1992 the Azerbaijani forces advanced over about 80 % of the Martakert region, and "almost half
#    of the republic's territory" came under their control -- the NKR's claimed territory, i.e. the NKAO
#    plus Shahumyan, not the NKAO alone;
#  - 25 % "of the disputed enclave" on 7 Sep 1992: Wikipedia, "Mardakert and Martuni Offensives" (no
#    primary source found).
# The map follows places and dates the sources name: 0.212 at its peak before Drmbon was added, 0.235
# after, and 0.251 from 4 Jul 1992 (the fall of Martakert) with the dated Martakert front of summer 1992
# (front-1992-martakert, 4 Jul 1992 - 31 Jan 1993), traced between the places each side held: most villages
# of the raion that fell are named in no source found here, so before the line Armenian-held neighbours'
# Voronoi zones covered that ground.  On 7 Sep 1992 the figure is within 2.5 points of Wikipedia's 25 %,
# and the former Martakert raion (the hand-drawn outline's part of the NKAO) is 65 % Azerbaijani-held,
# below the NKR's "about 80 %".  It stays far below "almost half".  The figure must never exceed the peak.
def martakert_raion(catalog):
    with (ROOT / "geodata" / "curated" / "hand_outlines.csv").open(encoding="utf-8") as fh:
        corners = [(float(r["lon"]), float(r["lat"])) for r in csv.DictReader(fh) if r["outline"] == "martakert"]
    return catalog.places["region-nkao"].geometry.intersection(shapely.Polygon(corners))


def held_share(timeline, area, date, controller="azerbaijan"):
    parts = [(timeline.state(z.follows, date).controller, area_km2(z.geometry.intersection(area)))
             for z in timeline.map_zones(date) if z.geometry.intersects(area)]
    return sum(km2 for c, km2 in parts if c == controller) / sum(km2 for _, km2 in parts)


def test_nkao_share_rises_with_operation_goranboy_and_falls_back_in_1993(catalog, timeline):
    days = [d("1992-06-01") + dt.timedelta(days=i) for i in range(396)]  # Jun 1992 - Jun 1993
    shares = {day: timeline.share("region-nkao", day).get("azerbaijan", 0.0) for day in days}
    peak_day = max(shares, key=shares.get)
    assert peak_day == d("1992-07-04")
    assert 0.23 < shares[peak_day] <= 0.48
    assert shares[d("1992-06-11")] < 0.16  # before the offensive reached the former NKAO
    # 7 Sep 1992: the zones of the former Martakert raion follow the dated front, and the share is
    # within 2.5 points of Wikipedia's 25 %; the raion is held at most to the NKR's "about 80 %".
    sep_7 = d("1992-09-07")
    assert {line for z in timeline.zones_by_region["region-nkao"] if z.valid_on(sep_7)
            for line in z.front_lines} == {"front-1992-martakert"}
    assert abs(shares[sep_7] - 0.25) <= 0.025
    assert 0.6 < held_share(timeline, martakert_raion(catalog), sep_7) <= 0.8
    assert shares[d("1993-02-15")] < shares[d("1993-01-15")] < shares[peak_day]  # Drmbon retaken, line ends
    assert timeline.share("region-nkao", d("1993-07-10"))["azerbaijan"] < 0.11  # Martakert retaken


# 7. The villages an Armenian newspaper (Erkir, 22 Aug 1992, relaying the NKR State Defence Committee)
# reports Armenian detachments defending on 20 Aug 1992: not places of the dataset, so their positions
# (English Wikipedia) are probed.  Without the dated front, Harutyunagomer fell in Haterk's Azerbaijani-held
# Voronoi zone.
ERKIR_20_AUG_1992 = {"Mehmana": (46.66917, 40.15278), "Harutyunagomer": (46.51611, 40.12556)}


@pytest.mark.parametrize("village", sorted(ERKIR_20_AUG_1992))
def test_villages_defended_on_20_august_1992_lie_in_armenian_held_zones_behind_the_martakert_front(timeline,
                                                                                                  village):
    day = d("1992-08-20")
    where = Point(*ERKIR_20_AUG_1992[village])
    zone = next(z for z in timeline.map_zones(day) if z.geometry.contains(where))
    assert zone.front_lines == ("front-1992-martakert",)
    assert timeline.state(zone.follows, day).controller == "armenian_forces"


# 7. Drmbon (Heyvali), on the Sarsang reservoir: lost in the summer of 1992 (no day: shown from the fall of
# Martakert, the earliest date the accounts allow), retaken in February 1993 by an Armenian-side account
# (a claim until the independent reports of 28-29 Jun 1993), in the Armenian-held zone 2020-2023.
def test_drmbon_is_lost_in_summer_1992_and_retaken_in_february_1993(timeline):
    assert timeline.state("settlement-drmbon", d("1992-07-03")).controller == "armenian_forces"
    lost = timeline.state("settlement-drmbon", d("1992-09-07"))
    assert (lost.controller, lost.event_id, lost.status) == ("azerbaijan", "ev-19920704-drmbon-1992", "confirmed")
    assert timeline.state("settlement-drmbon", d("1993-01-31")).controller == "azerbaijan"
    back = timeline.state("settlement-drmbon", d("1993-03-01"))
    assert (back.controller, back.event_id, back.status) == ("armenian_forces", "ev-19930201-drmbon-1993", "claimed")
    confirmed = timeline.state("settlement-drmbon", d("1993-07-01"))
    assert (confirmed.status, confirmed.since, confirmed.confirmed_on) == ("confirmed", d("1993-02-01"), d("1993-06-28"))
    zone = timeline.state("settlement-drmbon", d("2021-06-01"))
    assert zone.controller == "armenian_forces" and zone.in_peacekeeping_zone
    assert timeline.state("settlement-drmbon", d("2023-10-01")).controller == "azerbaijan"


def test_drmbon_is_named_dated_honestly_and_lies_in_the_former_nkao(catalog):
    assert catalog.resolve("Heyvali").id == catalog.resolve("Drmbon").id == "settlement-drmbon"
    assert catalog.places["settlement-drmbon"].properties["in_nkao"] is True
    retaken = event(catalog, "ev-19930201-drmbon-1993")
    assert retaken.date_precision == "month" and d("1992-11-01") in alt_dates(retaken)
    assert "not an established date" in event(catalog, "ev-19920704-drmbon-1992").description
