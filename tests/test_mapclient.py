"""The map client without a browser: its data, the page's own engine run in Node, and the page."""

from __future__ import annotations

import bisect
import dataclasses
import html
import datetime as dt
import json
import re
import shutil
import subprocess

import pytest

from helpers import d
from karabakh_map import mapclient
from karabakh_map.catalog import CONTROLLERS, Catalog
from karabakh_map.names import fold
from karabakh_map.panel import control_summary
from karabakh_map.timeline import Timeline
from karabakh_map.view import View

# Twelve and more dates across the record: the war, the ceasefires, 2020, the corridor, 2023, after 2024.
PARITY_DATES = ["1988-01-01", "1991-12-01", "1992-05-08", "1993-08-01", "1994-05-12", "2016-04-05", "2020-10-20",
                "2020-11-09", "2020-11-10", "2020-12-01", "2021-06-01", "2022-08-26", "2022-08-30", "2023-09-20",
                "2024-01-01", "2024-06-12", "2025-01-01"]


@pytest.fixture(scope="module")
def data(timeline) -> dict:
    return mapclient.client_data(timeline)


def at(track: dict, date: str) -> dict:
    """The page's binary search, in Python."""
    index = bisect.bisect_right([e["d"] for e in track["t"]], date) - 1
    return track["i"] if index < 0 else track["t"][index]


def _dates_around_every_event(timeline: Timeline) -> list[dt.date]:
    dates = {d("1988-01-01"), d("2030-01-01")}
    for day in timeline.change_dates():
        dates |= {day - dt.timedelta(days=1), day, day + dt.timedelta(days=1)}
    return sorted(dates)


# ------------------------------------------------------------------ the data

def test_every_place_zone_event_and_source_is_there(data, catalog, timeline):
    assert [p["id"] for p in data["places"]] == list(catalog.places)
    assert {z["id"] for z in data["zones"]} == {z.zone_id for z in timeline.map_zones()}
    assert len(data["events"]) == len(catalog.events) == len(data["eventHtml"])
    # every source reaches the reader through the history entries of the events that cite it
    cited = {s for e in catalog.events for s in e.source_ids}
    for source_id in cited:
        title = html.escape(catalog.sources[source_id].title, quote=True)
        assert any(title in entry for entry in data["eventHtml"]), source_id
    assert data["eventDates"] == [x.isoformat() for x in timeline.change_dates()]


def test_tracks_are_sorted_and_change_on_every_entry(data):
    for place in data["places"]:
        days = [e["d"] for e in place["t"]]
        assert days == sorted(set(days)), place["id"]
        states = [place["i"]] + [{k: v for k, v in e.items() if k != "d"} for e in place["t"]]
        assert all(a != b for a, b in zip(states, states[1:])), place["id"]


def test_tracks_give_the_engines_answer_on_every_day_around_every_event(data, catalog, timeline):
    events = data["events"]
    places = {p["id"]: p for p in data["places"]}
    for date in _dates_around_every_event(timeline):
        iso = date.isoformat()
        for pid, state in timeline.snapshot(date).items():
            entry = at(places[pid], iso)
            assert entry["c"] == state.controller, (pid, iso)
            assert entry.get("s") == (state.since.isoformat() if state.since else None), (pid, iso)
            assert (events[entry["e"]]["id"] if "e" in entry else None) == state.event_id, (pid, iso)
            assert bool(entry.get("pk")) == state.in_peacekeeping_zone, (pid, iso)
            assert bool(entry.get("st")) == (state.status == "claimed"), (pid, iso)
            assert f"On {date.day} {date.strftime('%B %Y')}, {entry['m']}" == control_summary(timeline, state), (pid, iso)
            if state.share is not None:
                assert entry["sh"] == pytest.approx(dict(state.share)), (pid, iso)
            if catalog.places[pid].layer == "road":
                assert entry.get("r") == state.road_status, (pid, iso)
                place = places[pid]
                visible = (place["from"] is None or place["from"] <= iso) and (place["to"] is None or iso <= place["to"])
                assert visible == state.visible, (pid, iso)


def test_zone_colours_and_peacekeeping_outline_follow_the_engine(data, timeline):
    places = {p["id"]: p for p in data["places"]}
    pk = data["peacekeeping"]
    for date in _dates_around_every_event(timeline):
        iso = date.isoformat()
        expected = timeline.zone_controllers(date)
        for zone in data["zones"]:
            if "t" in zone:
                index = bisect.bisect_right([t[0] for t in zone["t"]], iso) - 1
                controller = zone["i"] if index < 0 else zone["t"][index][1]
            else:
                controller = at(places[zone["f"]], iso)["c"]
            assert controller == expected[zone["id"]], (zone["id"], iso)
        index = bisect.bisect_right([t[0] for t in pk["t"]], iso) - 1
        shape = pk["i"] if index < 0 else pk["t"][index][1]
        assert (shape >= 0) == any(timeline.zone_peacekeeping(date).values()), iso


def test_the_peacekeeping_zone_is_gone_after_june_2024(data, timeline):
    for iso in ("2024-06-12", "2024-07-01", "2025-01-01", "2030-01-01"):
        assert not any(s.in_peacekeeping_zone for s in timeline.snapshot(d(iso)).values()), iso
        index = bisect.bisect_right([t[0] for t in data["peacekeeping"]["t"]], iso) - 1
        assert data["peacekeeping"]["t"][index][1] == -1, iso
    assert any(s.in_peacekeeping_zone for s in timeline.snapshot(d("2021-06-01")).values())


def test_each_place_lists_its_own_events_then_the_regional_ones(data, catalog):
    events = data["events"]
    for place in data["places"]:
        own = [events[i]["id"] for i in place["events"]]
        regional = [events[i]["id"] for i in place["regional"]]
        assert sorted(own + regional) == sorted(e.event_id for e in catalog.events_for(place["id"]))
        assert all(place["id"] in catalog.events_by_id[e].place_ids for e in own)
        assert not any(place["id"] in catalog.events_by_id[e].place_ids for e in regional)
    talish = next(p for p in data["places"] if p["id"] == "settlement-talish")
    assert len(talish["events"]) < len(talish["events"]) + len(talish["regional"])


def test_event_entries_are_date_independent_and_carry_their_date(data):
    for event, html in zip(data["events"], data["eventHtml"]):
        assert html.startswith(f'<li class="km-event" data-date="{event["date"]}"'), event["id"]
        assert "nearest" not in html and "km-now" not in html


def test_labels_follow_the_names_switch(data, catalog):
    for place in data["places"]:
        names = catalog.places[place["id"]].names
        assert place["label"] == {mode: names.label(mode) for mode in ("both", "az", "hy")}


def test_name_index_finds_every_variant(data, catalog):
    index = dict((k, v) for k, v in data["nameIndex"])
    for pid, place in catalog.places.items():
        for name in place.names.all():
            if name:
                assert pid in index[fold(name)], (pid, name)
    assert index[fold("Şuşa")][0] == "settlement-shusha"


def test_geometry_is_simplified_and_rounded(data):
    coordinates = re.findall(r"-?\d+\.\d+", json.dumps([z["geometry"] for z in data["zones"]]))
    assert coordinates and all(len(c.split(".")[1]) <= 4 for c in coordinates)
    coordinates = re.findall(r"-?\d+\.\d+", json.dumps([p["geometry"] for p in data["places"] if p["layer"] != "region"]))
    assert all(len(c.split(".")[1]) <= 5 for c in coordinates)


def test_styles_come_from_style_py(data):
    from karabakh_map import style

    assert data["colours"] == style.CONTROLLER_COLOURS
    assert data["opacity"] == style.CONTROLLER_OPACITY
    assert data["roadStyles"] == style.ROAD_STYLES
    assert data["controllers"] == list(CONTROLLERS)


def _shown(record: dict, iso: str) -> bool:
    """The page's look-up of a front line's visibility track, in Python."""
    index = bisect.bisect_right([t[0] for t in record["t"]], iso) - 1
    return bool(record["i"] if index < 0 else record["t"][index][1])


def test_front_lines_are_drawn_exactly_on_the_days_they_stand(data, catalog):
    records = {r["id"]: r for r in data["frontLines"]}
    assert set(records) == {line.id for line in catalog.front_lines} and len(records) >= 5
    for line in catalog.front_lines:
        record = records[line.id]
        days = {line.valid_from - dt.timedelta(days=1), line.valid_from, d("1988-01-01"), d("2030-01-01"),
                *(d(x) for x in PARITY_DATES)}
        if line.valid_to:
            days |= {line.valid_to, line.valid_to + dt.timedelta(days=1)}
        for day in sorted(days):
            assert _shown(record, day.isoformat()) == line.valid_on(day), (line.id, day)
        assert record["title"] == line.title
        assert f"{line.valid_from.day} {line.valid_from.strftime('%B %Y')}" in record["dates"]
        assert ("still standing" in record["dates"]) == (line.valid_to is None)
        assert record["geometry"]["type"] == "LineString" and len(record["geometry"]["coordinates"]) >= 2
    # the line of contact of 1994 stands in 2000, not in 2021; the 2020 edge the other way round
    assert _shown(records["front-1994"], "2000-01-01") and not _shown(records["front-1994"], "2021-06-01")
    assert _shown(records["front-2020-11-10"], "2021-06-01") and not _shown(records["front-2020-11-10"], "2000-01-01")
    assert data["frontLineStyle"]["color"] and "frontLines" in data["layerNames"]


def test_zones_of_other_line_periods_are_never_drawn(data, timeline):
    """Around every day the zone set changes, the zones the page shows are exactly that day's tiling."""
    drawn = {z["id"]: z for z in data["zones"]}
    for change in timeline.zone_change_dates():
        for day in (change - dt.timedelta(days=1), change, change + dt.timedelta(days=1)):
            iso = day.isoformat()
            shown = {zid for zid, z in drawn.items()
                     if (z.get("from") is None or z["from"] <= iso) and (z.get("to") is None or iso <= z["to"])}
            assert shown == {z.zone_id for z in timeline.map_zones(day)} & set(drawn), iso


def test_the_context_layer_is_small_simplified_and_complete(data):
    context = data["context"]
    features = {f["id"]: f for f in context["features"]}
    for fid in ("country-armenia", "country-azerbaijan", "country-iran", "country-georgia", "country-turkey",
                "exclave-nakhchivan", "lake-sevan", "river-araks", "borders-international"):
        assert fid in features, fid
    named = {f["name"] for f in context["features"] if "label" in f}
    assert {"Armenia", "Azerbaijan", "Iran", "Georgia", "Turkey", "Nakhchivan", "Lake Sevan"} <= named
    assert [f["kind"] for f in context["features"]] == sorted((f["kind"] for f in context["features"]),
                                                              key=["country", "exclave", "border", "lake", "river"].index)
    coordinates = re.findall(r"-?\d+\.\d+", json.dumps([f["geometry"] for f in context["features"]]))
    assert coordinates and all(len(c.split(".")[1]) <= 6 for c in coordinates)
    assert len(mapclient.script_json(context)) < 60_000  # simplified: ~31 kB against 60 kB unsimplified
    from karabakh_map.context import CONTEXT_STYLE

    assert context["style"] == CONTEXT_STYLE


# ------------------------------------------------------------------ the page's own engine, in Node

NODE = shutil.which("node")


def run_node(script: str, payload: dict) -> object:
    if NODE is None:
        pytest.fail("Node.js is needed to run the map client's engine outside a browser (apt-get install nodejs)",
                    pytrace=False)
    code = (f"const client = require({json.dumps(str(mapclient.CLIENT_JS))});\n"
            "const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n" + script)
    result = subprocess.run([NODE, "-e", code], input=json.dumps(payload), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_pages_engine_agrees_with_timeline_on_every_place_on_seventeen_dates(data, catalog, timeline):
    got = run_node("""
        const engine = client.makeEngine(input.data, '2100-01-01');
        const out = {};
        for (const iso of input.dates) {
          out[iso] = {
            places: Object.fromEntries(input.data.places.map(p => [p.id, engine.stateAt(p.id, iso)])),
            zones: Object.fromEntries(input.data.zones.map(z => [z.id, engine.zoneController(z, iso)])),
            claimed: Object.fromEntries(input.data.zones.map(z => [z.id, engine.zoneClaimed(z, iso)])),
            shown: input.data.zones.filter(z => engine.zoneShown(z, iso)).map(z => z.id),
            pk: engine.peacekeepingShape(iso),
            lines: input.data.frontLines.filter(l => engine.frontLineShown(l, iso)).map(l => l.id),
            prev: engine.previousEventDate(iso), next: engine.nextEventDate(iso),
          };
        }
        process.stdout.write(JSON.stringify(out));
    """, {"data": data, "dates": PARITY_DATES})
    events = data["events"]
    for iso in PARITY_DATES:
        date = d(iso)
        for pid, state in timeline.snapshot(date).items():
            entry = got[iso]["places"][pid]
            assert entry["c"] == state.controller, (pid, iso)
            assert (events[entry["e"]]["id"] if "e" in entry else None) == state.event_id, (pid, iso)
            assert bool(entry.get("pk")) == state.in_peacekeeping_zone, (pid, iso)
            assert f"On {date.day} {date.strftime('%B %Y')}, {entry['m']}" == control_summary(timeline, state)
        assert got[iso]["zones"] == timeline.zone_controllers(date), iso
        assert got[iso]["claimed"] == timeline.zone_claimed(date), iso  # hatched where the engine says claimed
        drawn = {z["id"] for z in data["zones"]}
        assert set(got[iso]["shown"]) == {z.zone_id for z in timeline.map_zones(date)} & drawn, iso
        assert (got[iso]["pk"] >= 0) == any(timeline.zone_peacekeeping(date).values()), iso
        assert got[iso]["lines"] == [line.id for line in sorted(catalog.front_lines, key=lambda x: (x.valid_from, x.id))
                                     if line.valid_on(date)], iso
        previous, following = timeline.previous_event_date(date), timeline.next_event_date(date)
        assert got[iso]["prev"] == (previous.isoformat() if previous else None), iso
        assert got[iso]["next"] == (following.isoformat() if following else None), iso


def test_the_pages_name_folding_and_long_dates_match_python(catalog, data):
    from karabakh_map.names import FOLD_BLOCKS, fold_azerbaijani
    from karabakh_map.panel import long_date

    names = sorted({n for p in catalog.places.values() for n in p.names.all() if n}
                   | {"ŞUŞA", "Ağdərə", "Xocalı", "İsmayıllı", "Straße", "Tigranakert’", "  a -- b  ", "Ǆ\u00a0ﬁzuli\u3000x",
                      "Sh\u0075\u0301sha", "a\u00a8b", "\u2010Ağdam\u2011"})
    every_char = [chr(c) for lo, hi in FOLD_BLOCKS for c in range(lo, hi + 1)]
    # and some text of the blocks' characters in every order (a fixed, spread sample)
    mixed = ["".join(every_char[(i * 7919 + j * 104729) % len(every_char)] for j in range(9)) for i in range(600)]
    texts = names + every_char + mixed
    dates = [d(x) for x in PARITY_DATES]
    got = run_node("""
        const folding = client.makeFolding(input.tables);
        process.stdout.write(JSON.stringify({
          folds: input.texts.map(n => [folding.fold(n), folding.foldAzerbaijani(n)]),
          dates: input.dates.map(client.longDate)}));
    """, {"texts": texts, "tables": data["folding"], "dates": [x.isoformat() for x in dates]})
    expected = {t: (fold(t), fold_azerbaijani(t)) for t in texts}
    assert {t: tuple(f) for t, f in zip(texts, got["folds"])} == expected
    assert got["dates"] == [long_date(x) for x in dates]


def test_the_pages_folding_tables_are_generated_by_names_fold(data):
    from karabakh_map.names import fold, folding_tables

    tables = folding_tables()
    pieces = dict(tables["fold"])
    assert pieces["Ş"] == "s" and pieces["ə"] == "a" and pieces["-"] == " " and pieces["’"] == "" and pieces["\u3000"] == " "
    assert "a" not in pieces  # only where the piece differs from the lower case
    assert dict(tables["azToEnglish"])["x"] == "kh"
    assert len(json.dumps(data["folding"], ensure_ascii=False)) < 20_000  # a small part of the page
    # nothing of the rule is hand-written in the page: no fold table or replacement of its own
    code = mapclient.CLIENT_JS.read_text(encoding="utf-8")
    for rule in ('"ş": "sh"', "normalize(", "\\p{Mn}", "ß", '"district", "rayonu"', "settlement: 0"):
        assert rule not in code, rule
    assert fold("Ağdərə rayonu") == "agdara rayonu"


# ------------------------------------------------------------------ the folium page

def test_build_map_is_a_canvas_folium_map_with_local_assets_only(timeline):
    m = mapclient.build_map(timeline, view=View(date=d("1994-05-12")), asset_base="/app/static")
    html = mapclient.page_html(m)
    assert '"preferCanvas": true' in html or "preferCanvas: true" in html
    assert "/app/static/leaflet/leaflet.js" in html and "KarabakhMapClient.start(" in html
    for cdn in ("cdn.jsdelivr.net", "code.jquery.com", "cdnjs.cloudflare.com", "netdna.bootstrapcdn.com", "unpkg"):
        assert cdn not in html
    assert '"date":"1994-05-12"' in html and '"serverPaint":false' in html and '"standalone":false' in html
    assert html.count("window.KarabakhMapClient = ") == 1  # the client inlined once (an iframe's srcdoc links nothing)


def test_the_app_page_leaves_out_the_export_panel_history_and_reads_its_data_as_json(timeline):
    app_page = mapclient.page_html(mapclient.build_map(timeline))
    export_page = mapclient.page_html(mapclient.build_map(timeline, standalone=True))
    def data_of(page):
        start = page.index('<script type="application/json"')
        block = page[page.index(">", start) + 1:page.index("</script>", start)]
        return json.loads(block)
    app_data, export_data = data_of(app_page), data_of(export_page)
    assert len(export_data["eventHtml"]) == len(timeline.catalog.events)
    assert set(export_data) - set(app_data) == set(mapclient.STANDALONE_ONLY)
    # the same places and tracks, without the sentences the export's panel writes
    assert all("m" in entry for place in export_data["places"] for entry in [place["i"], *place["t"]])
    assert not any("m" in entry for place in app_data["places"] for entry in [place["i"], *place["t"]])
    stripped = [{**p, "i": {k: v for k, v in p["i"].items() if k != "m"},
                 "t": [{k: v for k, v in e.items() if k != "m"} for e in p["t"]]} for p in export_data["places"]]
    assert stripped == app_data["places"]
    assert {k: v for k, v in export_data.items() if k not in (*mapclient.STANDALONE_ONLY, "places")} == \
        {k: v for k, v in app_data.items() if k != "places"}
    assert len(app_page) < 0.65 * len(export_page)


def test_the_page_is_the_same_bytes_every_time(timeline):
    first = mapclient.page_html(mapclient.build_map(timeline, server_paint=True))
    second = mapclient.page_html(mapclient.build_map(timeline, server_paint=True))
    assert first == second and '"serverPaint":true' in first


def test_markup_in_the_data_cannot_break_out_of_the_script(catalog):
    payload = "</script><script>alert(1)</script>"
    shusha = catalog.places["settlement-shusha"]
    hostile = dataclasses.replace(shusha, names=dataclasses.replace(shusha.names, az=payload))
    timeline = Timeline(Catalog(places={**catalog.places, shusha.id: hostile}, events=catalog.events,
                                sources=catalog.sources))
    html = mapclient.page_html(mapclient.build_map(timeline))
    assert payload not in html and "\\u003c/script\\u003e" in html
