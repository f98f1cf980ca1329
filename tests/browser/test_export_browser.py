"""The exported static site in headless Chromium, opened from a file:// URL as a reader would.

The map draws on canvas, so no test counts SVG paths: each reads what the page painted through
``window.karabakhMap`` (the same objects the canvas draws) and the ``data-painted-date`` contract,
and compares it with the Python engine (timeline, panel, view).  Every test records the page's
requests to prove that nothing but the site's own files is loaded, and that scrubbing loads
nothing at all.  Screenshots land in test-artifacts/.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from browser_helpers import ARTIFACTS, screenshot
from helpers import d
from karabakh_map import export, mapclient
from karabakh_map.panel import control_summary, own_and_regional_events
from karabakh_map.style import CONTROLLER_COLOURS, CONTROLLER_OPACITY
from karabakh_map.view import parse_view
from test_export import HOSTILE_TITLE, hostile_catalog

pytestmark = pytest.mark.browser

KNOWN = [  # place, date, controller: answers fixed by tests/test_timeline.py
    ("settlement-shusha", "1993-08-01", "armenian_forces"), ("settlement-aghdam", "1993-08-01", "armenian_forces"),
    ("settlement-lachin", "1993-08-01", "armenian_forces"),
    ("settlement-shusha", "2021-06-01", "azerbaijan"), ("settlement-aghdam", "2021-06-01", "azerbaijan"),
    ("settlement-lachin", "2021-06-01", "russian_peacekeepers"),
]
THREE = ("settlement-shusha", "settlement-aghdam", "settlement-lachin")
MAP = ".folium-map"


# ------------------------------------------------------------------ fixtures and helpers

@pytest.fixture(scope="module")
def site(tmp_path_factory, catalog, timeline) -> Path:
    out = tmp_path_factory.mktemp("export-site")
    export.export_site(catalog, out, timeline)
    return out


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory, catalog) -> Path:
    out = tmp_path_factory.mktemp("export-hostile")
    export.export_site(hostile_catalog(catalog), out)
    return out


class Recorder:
    """Every request the page makes, every dialog (alert) it opens and every script error."""

    def __init__(self, page):
        self.urls: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda request: self.urls.append(request.url))
        page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def assert_local_only(self):
        assert self.urls, "no request recorded at all"
        leaving = [u for u in self.urls if not u.startswith("file://")]
        assert not leaving, f"requests left file://: {leaving}"


def open_site(page, directory: Path, query: str = "") -> Recorder:
    recorder = Recorder(page)
    page.goto((directory / "index.html").as_uri() + (f"?{query}" if query else ""))
    page.wait_for_selector("body[data-ready=true]")
    assert not recorder.errors, recorder.errors
    return recorder


def url_params(page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def painted(page) -> str:
    return page.locator(MAP).get_attribute("data-painted-date")


def wait_painted(page, iso: str) -> None:
    page.wait_for_function("iso => document.querySelector('.folium-map').getAttribute('data-painted-date') === iso",
                           arg=iso, timeout=10_000)


def wait_for_url_date(page, iso: str) -> None:
    page.wait_for_function("iso => new URLSearchParams(location.search).get('date') === iso", arg=iso, timeout=5_000)


def assert_colours_match_engine(page, timeline, iso: str, place_ids=THREE) -> None:
    """What the canvas draws for each place and its zone is the engine's controller on that day."""
    date = d(iso)
    zones = timeline.zone_controllers(date)
    for pid in place_ids:
        state = timeline.state(pid, date)
        expected = state.controller + ("*" if state.status == "claimed" else "")
        assert page.evaluate("id => window.karabakhMap.paintedFill(id)", pid) == expected, (pid, iso)
        # the zone that follows the place on this date (a front-line period has its own zones)
        zone_id = next(z.zone_id for z in timeline.map_zones(date)
                       if z.follows == pid and z.region_id == timeline.catalog.places[pid].district_id)
        assert page.evaluate("id => window.karabakhMap.zoneFill(id)", zone_id).rstrip("*") == zones[zone_id], (zone_id, iso)


def container_point(page, lat: float, lon: float) -> tuple[float, float]:
    return tuple(page.evaluate("([lat, lon]) => { const p = window.karabakhMap.map.latLngToContainerPoint([lat, lon]);"
                               " return [p.x, p.y]; }", [lat, lon]))


def page_point(page, lat: float, lon: float) -> tuple[float, float]:
    x, y = container_point(page, lat, lon)
    box = page.locator(MAP).bounding_box()
    return x + box["x"], y + box["y"]


def set_slider(page, iso: str) -> None:
    """Move the slider as a drag does: set its value and fire `input` (the slider counts days from 1988-01-01)."""
    page.evaluate("""iso => {
        const slider = document.getElementById('date-slider');
        const day = s => Date.UTC(+s.slice(0, 4), +s.slice(5, 7) - 1, +s.slice(8, 10)) / 86400000;
        slider.value = String(day(iso) - day('1988-01-01'));
        slider.dispatchEvent(new Event('input', {bubbles: true}));
    }""", iso)


def settlement_lat_lon(catalog, place_id: str) -> tuple[float, float]:
    geometry = catalog.places[place_id].geometry
    return geometry.y, geometry.x


# ------------------------------------------------------------------ a date from the URL, and the contract

@pytest.mark.parametrize("iso", ["1993-08-01", "2021-06-01"])
def test_a_date_in_the_url_colours_three_known_places(site, page, timeline, iso):
    recorder = open_site(page, site, f"date={iso}")
    assert painted(page) == iso
    assert page.locator(".km-date-stamp").inner_text() == f"{d(iso).day} {d(iso).strftime('%B %Y')}"  # in the map
    assert page.locator(f"{MAP} .km-date-stamp").count() == 1
    for pid, date, controller in KNOWN:
        if date == iso:
            assert page.evaluate("id => window.karabakhMap.paintedFill(id)", pid).rstrip("*") == controller, pid
    assert_colours_match_engine(page, timeline, iso)
    recorder.assert_local_only()


def test_data_painted_date_is_set_in_the_frame_that_paints(site, page):
    open_site(page, site, "date=1993-08-01")
    # The page asks for its animation frame while handling the input, before this probe asks for
    # its own: frame callbacks run in order, so the probe sees the state of the frame just painted.
    seen = page.evaluate("""() => new Promise(resolve => {
        const slider = document.getElementById('date-slider');
        slider.value = String(Number(slider.value) + 3000);
        slider.dispatchEvent(new Event('input', {bubbles: true}));
        const before = document.querySelector('.folium-map').getAttribute('data-painted-date');
        requestAnimationFrame(() => resolve([before, document.querySelector('.folium-map').getAttribute('data-painted-date'),
                                             window.karabakhMap.state().date]));
    })""")
    before, in_frame, wanted = seen
    assert before == "1993-08-01" and in_frame == wanted != before


def test_keys_on_the_slider_move_a_day_a_month_and_to_the_ends(site, page, timeline):
    recorder = open_site(page, site, "date=1993-08-01&place=settlement-lachin")
    loaded = len(recorder.urls)
    slider = page.get_by_role("slider", name="Date")
    assert slider.count() == 1
    slider.focus()
    for key, expected in (("ArrowRight", "1993-08-02"), ("ArrowLeft", "1993-08-01"), ("PageUp", "1993-09-01"),
                          ("PageDown", "1993-08-01"), ("ArrowUp", "1993-08-02"), ("Home", "1988-01-01")):
        page.keyboard.press(key)
        wait_painted(page, expected)
        assert slider.get_attribute("aria-valuetext") == expected
        assert_colours_match_engine(page, timeline, expected)
    page.keyboard.press("End")
    end = page.evaluate("() => window.karabakhMap.engine.END")
    wait_painted(page, end)
    assert int(slider.get_attribute("aria-valuenow")) == int(slider.get_attribute("aria-valuemax"))
    assert slider.get_attribute("aria-valuemin") == "0"
    assert len(recorder.urls) == loaded, f"scrubbing sent requests: {recorder.urls[loaded:]}"


def test_dragging_recolours_live_and_scrubbing_sends_no_request(site, page, timeline):
    recorder = open_site(page, site, "date=1993-08-01&place=settlement-lachin")
    loaded = len(recorder.urls)
    for iso in ("2021-06-01", "1988-01-01", "1992-05-08", "1994-05-12", "2020-11-10", "2023-09-20"):
        set_slider(page, iso)
        wait_painted(page, iso)
        assert_colours_match_engine(page, timeline, iso)
    assert "held by Azerbaijan" in page.locator("#place-summary").inner_text()  # Lachin on 20 Sep 2023

    slider = page.locator("#date-slider")  # a real drag with the mouse: the map follows while it moves
    box = slider.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 8, y)
    page.mouse.down()
    dates = []
    for fraction in (0.1, 0.2, 0.3):
        page.mouse.move(box["x"] + 8 + (box["width"] - 16) * fraction, y, steps=3)
        page.wait_for_function("() => document.querySelector('.folium-map').getAttribute('data-painted-date')"
                               " === window.karabakhMap.state().date")
        dates.append(painted(page))
    page.mouse.up()
    assert dates == sorted(dates) and len(set(dates)) == 3, dates  # painted while dragging, not on release
    assert_colours_match_engine(page, timeline, painted(page))
    wait_for_url_date(page, painted(page))
    assert len(recorder.urls) == loaded, f"scrubbing sent requests: {recorder.urls[loaded:]}"
    recorder.assert_local_only()
    assert url_params(page)["place"] == "settlement-lachin"


def test_a_typed_date_paints_and_a_bad_one_says_why_and_changes_nothing(site, page, timeline):
    open_site(page, site, "date=1993-08-01")
    box = page.locator("#date-input")
    box.fill("2020-10-20")
    box.press("Enter")
    wait_painted(page, "2020-10-20")
    assert_colours_match_engine(page, timeline, "2020-10-20")
    for bad in ("2021-02-30", "yesterday", "1900-01-01"):
        box.fill(bad)
        box.press("Enter")
        assert page.locator("#date-message").inner_text(), bad
        assert box.get_attribute("aria-invalid") == "true"
        assert painted(page) == "2020-10-20"
    box.fill("2021-06-01")
    box.press("Enter")
    wait_painted(page, "2021-06-01")
    assert page.locator("#date-message").inner_text() == ""


def test_2020_is_usable_zoomed_to_its_year_and_a_tick_jumps_to_its_event(site, page, catalog, timeline):
    open_site(page, site, "date=2020-10-01")
    everything = page.locator(".km-tick").count()
    assert everything == len(catalog.events)
    page.click("#range-toggle")
    ticks = page.locator(".km-tick")
    in_2020 = [e for e in catalog.events if e.date.year == 2020]
    assert ticks.count() == len(in_2020) >= 90
    slider_box = page.locator("#date-slider").bounding_box()
    assert slider_box["width"] >= 900  # at 1440 px the slider spans the map
    # a day in 2020 is now about 2.5 px wide instead of 0.07 px
    tick = page.locator('.km-tick[data-date="2020-11-08"]').last  # the capture of Shusha; the last drawn is on top
    tick.click()
    wait_painted(page, "2020-11-08")
    assert_colours_match_engine(page, timeline, "2020-11-08")
    page.click("#range-toggle")
    assert page.locator(".km-tick").count() == everything


def test_prev_next_key_dates_and_play_with_a_speed(site, page, timeline):
    recorder = open_site(page, site, "date=1993-08-01")
    page.click("#next-event")
    expected = timeline.next_event_date(d("1993-08-01")).isoformat()
    wait_painted(page, expected)
    page.click("#prev-event")
    wait_painted(page, timeline.previous_event_date(d(expected)).isoformat())
    page.click('#key-dates button[data-date="1994-05-12"]')
    wait_painted(page, "1994-05-12")

    page.select_option("#play-speed", "event")
    page.click("#play")
    assert page.locator("#play").get_attribute("aria-pressed") == "true"
    page.wait_for_function("() => window.karabakhMap.state().date > '1994-05-12'", timeout=10_000)
    page.click("#play")
    assert page.locator("#play").get_attribute("aria-pressed") == "false"
    played_to = painted(page)
    assert played_to in [x.isoformat() for x in timeline.change_dates()]  # by event: only event days
    assert_colours_match_engine(page, timeline, played_to)

    page.select_option("#play-speed", "month")
    start = painted(page)
    page.click("#play")
    page.wait_for_function("s => window.karabakhMap.state().date >= s", arg=f"{int(start[:4]) + 1}{start[4:]}",
                           timeout=15_000)  # a year of months in a few seconds
    page.click("#play")
    reached = painted(page)
    assert reached[8:] == start[8:] or reached[8:] >= "28"  # whole months (clipped at a month's end)
    recorder.assert_local_only()


def test_the_browser_engine_agrees_with_python_for_every_place_and_zone(site, page, catalog, timeline):
    open_site(page, site)
    ids = list(catalog.places)
    for iso in ("1988-01-01", "1991-12-01", "1992-05-08", "1993-08-01", "1994-05-12", "2016-04-05", "2020-10-20",
                "2020-11-10", "2021-06-01", "2022-08-26", "2023-09-20", "2024-01-01", "2025-01-01"):
        got = page.evaluate("([ids, iso]) => Object.fromEntries(ids.map(id => [id, window.karabakhMap.stateAt(id, iso).c]))",
                            [ids, iso])
        assert got == {pid: s.controller for pid, s in timeline.snapshot(d(iso)).items()}, iso
        assert page.evaluate("iso => window.karabakhMap.zoneControllers(iso)", iso) == timeline.zone_controllers(d(iso)), iso


def test_the_peacekeeping_zone_is_drawn_in_2021_and_gone_after_june_2024(site, page):
    open_site(page, site, "date=2021-06-01")
    assert page.evaluate("() => window.karabakhMap.peacekeepingShown()") >= 0
    for iso in ("2024-06-12", "2025-01-01"):
        set_slider(page, iso)
        wait_painted(page, iso)
        assert page.evaluate("() => window.karabakhMap.peacekeepingShown()") == -1, iso
    page.evaluate("() => window.karabakhMap.select('settlement-lachin')")
    assert "peacekeeping" not in page.locator("#place-summary").inner_text()


# ------------------------------------------------------------------ the place panel

@pytest.mark.parametrize("place, iso", [
    ("settlement-aghdam", "1993-08-01"), ("district-aghdam", "2000-01-01"), ("settlement-lachin", "2021-06-01"),
    ("road-lachin-1992", "2021-06-01"), ("region-nkao", "2021-06-01"), ("settlement-talish", "2021-06-01"),
])
def test_the_panel_says_what_python_says(site, page, catalog, timeline, place, iso):
    open_site(page, site, urlencode({"date": iso, "place": place}))
    state = timeline.state(place, d(iso))
    assert page.locator("#place-summary").inner_text() == control_summary(timeline, state)
    assert "held by Contested" not in page.locator("#place-panel").inner_text()
    assert page.locator("#place-title").inner_text() == catalog.places[place].names.label("both")
    own, regional = own_and_regional_events(timeline, place)
    shown = page.locator("#place-panel .km-history-box > ol .km-event").evaluate_all("els => els.map(e => e.dataset.event)")
    assert shown == [e.event_id for e in own]  # its own events first
    if regional:
        summary = page.locator(".km-regional summary")
        assert summary.inner_text().startswith(f"{len(regional)} regional event")
        assert page.locator(".km-regional").get_attribute("open") is None  # folded away
    # the "now" marker sits between the last event on or before the date and the first after it
    order = page.locator("#place-panel .km-history-box > ol > li").evaluate_all(
        "els => els.map(e => e.classList.contains('km-now') ? 'now' : e.dataset.date)")
    if not own:
        return
    now = order.index("now")
    assert all(x <= iso for x in order[:now]) and all(x > iso for x in order[now + 1:])
    for href in page.locator("#place-panel a").evaluate_all("els => els.map(a => a.getAttribute('href'))"):
        assert href.startswith(("http://", "https://")), href


def test_contested_is_worded_as_contested(site, page, timeline, catalog):
    contested = next(((pid, date) for date in timeline.change_dates() for pid, s in timeline.snapshot(date).items()
                      if s.controller == "contested" and catalog.places[pid].layer == "settlement"), None)
    assert contested, "the bundled data has a contested settlement (Farrukh, 2022)"
    pid, date = contested
    open_site(page, site, urlencode({"date": date.isoformat(), "place": pid}))
    assert page.locator("#place-summary").inner_text().startswith(f"On {date.day} {date.strftime('%B %Y')}, contested since")


def test_click_a_place_clear_it_and_click_it_again(site, page, catalog):
    recorder = open_site(page, site, "date=1994-06-01&zoom=10&lat=39.76&lon=46.75")
    assert page.locator("#place-title").inner_text() == "Click a place on the map"
    lat, lon = settlement_lat_lon(catalog, "settlement-shusha")
    for attempt in range(2):
        page.mouse.click(*page_point(page, lat, lon))
        assert page.locator("#place-title").inner_text() == "Şuşa / Shushi", attempt
        assert page.evaluate("() => window.karabakhMap.state().place") == "settlement-shusha"
        page.wait_for_function("() => location.search.includes('place=settlement-shusha')")
        page.click("#clear-selection")  # the map's own clear button, in the time control
        assert page.locator("#place-title").inner_text() == "Click a place on the map"
        assert page.evaluate("() => window.karabakhMap.state().place") is None
    recorder.assert_local_only()


def test_a_selected_place_is_ringed_and_panned_clear_of_the_legend_and_time_control(site, page, catalog):
    # Talish sits in the north-east, under the legend at the default view
    open_site(page, site, "date=2021-06-01&place=Talish")
    assert page.evaluate("() => window.karabakhMap.state().place") == "settlement-talish"
    x, y = container_point(page, *settlement_lat_lon(catalog, "settlement-talish"))
    box = page.locator(MAP).bounding_box()
    legend = page.locator(".km-legend").bounding_box()
    time_control = page.locator(".km-time").bounding_box()
    px, py = x + box["x"], y + box["y"]
    assert 0 < x < box["width"] and 0 < y < box["height"]
    assert not (legend["x"] - 10 <= px <= legend["x"] + legend["width"] + 10 and py <= legend["y"] + legend["height"] + 10)
    assert py < time_control["y"] - 10
    assert page.evaluate("() => window.karabakhMap.selectionRings()") == 2  # a white halo and the ring
    screenshot(page, "export-selected-talish")


def test_the_names_switch_changes_title_labels_and_url(site, page):
    open_site(page, site, "date=2021-06-01&place=Shusha")
    assert page.locator("#place-title").inner_text() == "Şuşa / Shushi"
    page.check('input[name="names"][value="hy"]')
    assert page.locator("#place-title").inner_text() == "Shushi"
    page.wait_for_function("() => location.search.includes('names=hy')")
    labels = page.locator(".km-label").all_inner_texts()
    assert "Shushi" in labels and "Stepanakert" in labels
    page.check('input[name="names"][value="az"]')
    assert page.locator("#place-title").inner_text() == "Şuşa"
    assert "Xankəndi" in page.locator(".km-label").all_inner_texts()
    lachin = page.evaluate("() => window.karabakhMap.engine.PLACES.get('settlement-lachin').geometry")
    page.evaluate("([lon, lat]) => { window.karabakhMap.map.setView([lat, lon], 12, {animate: false}); }", lachin)
    page.mouse.move(*page_point(page, lachin[1], lachin[0]))  # a canvas marker still has its tooltip
    page.locator(".leaflet-tooltip").wait_for()
    assert page.locator(".leaflet-tooltip").inner_text().startswith("Laçın")


def test_search_finds_any_spelling(site, page):
    open_site(page, site)
    page.fill("#search", "Şuşa")
    page.locator('#search-results button[data-place="settlement-shusha"]').click()
    assert page.locator("#place-title").inner_text() == "Şuşa / Shushi"


# ------------------------------------------------------------------ links: the app's query parameters

QUERIES = [
    "date=1993-08-01&place=Aghdam", "date=2021-06-01&place=Shushi&names=hy", "place=%C5%9Eu%C5%9Fa",
    "place=SHUSHA", "place=Xank%C9%99ndi", "place=Stepanakert", "place=Berdzor", "place=district-aghdam",
    "place=Karvachar", "place=%D0%A8%D1%83%D1%88%D0%B0", "place=Agdara", "place=khojali",
    "date=1993-13-45", "date=1987-12-31", "date=2999-01-01", "date=93-08-01", "date=", "place=Atlantis",
    "place=" + "x" * 250, "names=ru", "lat=91&lon=abc", "lat=39.9&lon=46.7&zoom=10", "zoom=99", "zoom=9.5",
    "lat=nan", "lon=1e400", "date=2020-11-10&place=&names=both", "place=%3Cscript%3Ealert(1)%3C/script%3E",
    "lat=39.123456789&lon=46.987654321&zoom=7",
]


def test_every_query_parameter_means_what_it_means_in_the_app(site, page, catalog):
    open_site(page, site)
    for query in QUERIES:
        view, notices = parse_view(parse_qs(query, keep_blank_values=True), catalog)
        got = page.evaluate("q => window.karabakhMap.parseView(q)", "?" + query)
        assert got["notices"] == notices, query
        assert got["view"] == {"date": view.date.isoformat(), "place": view.place, "names": view.names,
                               "lat": view.lat, "lon": view.lon, "zoom": view.zoom}, query


def test_names_resolve_as_in_python(site, page, catalog):
    open_site(page, site)
    names = sorted({n for p in catalog.places.values() for n in p.names.all() if n})
    got = page.evaluate("names => names.map(n => window.karabakhMap.resolvePlace(n))", names)
    for name, place in zip(names, got):
        if catalog.name_index.lookup(name):
            assert place == catalog.resolve(name).id, name


def test_invalid_values_fall_back_with_a_notice_and_the_link_is_rewritten(site, page, catalog):
    query = "date=1993-13-45&zoom=99&place=Atlantis&names=ru"
    recorder = open_site(page, site, query)
    _, notices = parse_view(parse_qs(query), catalog)
    assert page.locator("#notices .km-notice").all_inner_texts() == notices
    assert painted(page) == "2020-11-10"
    page.wait_for_function("() => location.search === '?date=2020-11-10'")
    recorder.assert_local_only()


def test_a_shared_link_restores_the_same_view(site, page):
    open_site(page, site, "date=2022-08-26&place=Lachin&names=az&lat=39.7&lon=46.5&zoom=10")
    page.wait_for_function("() => location.search.includes('place=settlement-lachin')")
    first = page.url
    assert url_params(page) == {"date": "2022-08-26", "place": "settlement-lachin", "names": "az",
                                "lat": "39.7", "lon": "46.5", "zoom": "10"}
    set_slider(page, "2023-09-20")
    started = time.monotonic()
    wait_for_url_date(page, "2023-09-20")
    assert time.monotonic() - started < 1.0  # the address bar follows within a second
    shared = page.url
    page.goto(shared)
    page.wait_for_selector("body[data-ready=true]")
    assert painted(page) == "2023-09-20"
    assert page.evaluate("() => window.karabakhMap.state()") | {"painted": None} == {
        "date": "2023-09-20", "place": "settlement-lachin", "names": "az", "lat": 39.7, "lon": 46.5, "zoom": 10,
        "painted": None}
    assert page.locator("#place-title").inner_text() == "Laçın"
    assert first != shared


# ------------------------------------------------------------------ offline tiles, escaping, keyboard

def test_tiles_are_off_until_the_reader_switches_them_on(site, page, timeline):
    tile_requests = []
    page.route("https://tile.openstreetmap.org/**", lambda route: (tile_requests.append(route.request.url), route.abort()))
    recorder = open_site(page, site, "date=1993-08-01")
    recorder.assert_local_only()
    page.hover(".leaflet-control-layers")
    page.get_by_label("OpenStreetMap (online)").check()
    page.wait_for_function("() => document.querySelectorAll('img.leaflet-tile').length > 0")
    page.wait_for_timeout(300)
    assert tile_requests and all(urlparse(u).hostname == "tile.openstreetmap.org" for u in tile_requests)
    assert_colours_match_engine(page, timeline, "1993-08-01")  # the layers stay drawn
    page.get_by_label("Plain (works offline)").check()
    assert page.locator("img.leaflet-tile").count() == 0


def test_markup_in_the_data_is_shown_as_text(hostile_site, page):
    recorder = open_site(page, hostile_site, "date=1992-05-08&place=settlement-shusha")
    panel = page.locator("#place-panel")
    text = panel.inner_text()
    assert HOSTILE_TITLE.split("\u2028")[0].strip() in text
    assert "<script>alert('source')</script>" in text
    assert "<i>Shushi</i>" in text
    assert panel.locator("img, script, b, i").count() == 0
    assert page.locator('a[href^="javascript"]').count() == 0
    page.fill("#search", "<i>")
    assert page.locator("#search-results i").count() == 0
    assert recorder.dialogs == []
    recorder.assert_local_only()


def test_the_map_is_one_tab_stop_and_tab_leaves_it_in_one_step(site, page):
    open_site(page, site, "date=2021-06-01")
    inside_panes = page.locator(f"{MAP} .leaflet-map-pane").evaluate(
        "pane => pane.querySelectorAll('a, button, input, select, [tabindex]:not([tabindex=\"-1\"])').length")
    assert inside_panes == 0  # no place, marker or label is a tab stop
    page.locator(MAP).focus()
    page.keyboard.press("Tab")
    left_to = page.evaluate("() => document.activeElement.closest('.leaflet-map-pane') === null"
                            " && document.activeElement !== document.querySelector('.folium-map')")
    assert left_to


# ------------------------------------------------------------------ phone and desktop

def test_desktop_1440_shows_the_whole_time_control(site, browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    open_site(page, site, "date=2020-11-10&place=Shusha")
    play = page.locator("#play")
    assert play.inner_text() == "▶ Play"
    assert play.evaluate("b => b.scrollWidth <= b.clientWidth")
    assert page.locator("#date-slider").bounding_box()["width"] >= 900
    assert page.locator(".km-legend").get_attribute("open") is not None
    # each legend swatch is its fill: the same colour (or hatch) at the same opacity, on the map's white
    swatches = page.locator('.km-legend .km-swatch[data-controller]').evaluate_all(
        "els => els.slice(0, 4).map(e => [e.dataset.controller, getComputedStyle(e.firstChild).opacity,"
        " getComputedStyle(e.firstChild).backgroundColor, getComputedStyle(e).backgroundColor,"
        " getComputedStyle(document.querySelector('.folium-map')).backgroundColor])")
    for controller, opacity, colour, base, map_background in swatches:
        assert float(opacity) == pytest.approx(CONTROLLER_OPACITY[controller]), controller
        if controller != "contested":  # contested is a hatch (an image of its colour)
            r, g, b = (int(CONTROLLER_COLOURS[controller][i:i + 2], 16) for i in (1, 3, 5))
            assert colour == f"rgb({r}, {g}, {b})", controller
        assert base == map_background == "rgb(255, 255, 255)"
    assert "Former NKAO border" in page.locator(".km-legend").inner_text()
    assert screenshot(page, "export-desktop-1440x900").stat().st_size > 50_000
    context.close()


def test_phone_390_puts_the_map_first_with_the_time_control_on_it(site, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    open_site(page, site, "date=2020-11-10&place=Shusha")
    map_box = page.locator(MAP).bounding_box()
    assert map_box["y"] == 0 and map_box["height"] >= 0.6 * 844
    time_box = page.locator(".km-time").bounding_box()
    assert map_box["y"] <= time_box["y"] and time_box["y"] + time_box["height"] <= map_box["y"] + map_box["height"]
    assert page.locator(".km-legend").get_attribute("open") is None  # folded on a phone
    side = page.locator("#km-side").bounding_box()
    assert side["y"] >= map_box["y"] + map_box["height"] - 1  # the panel is a sheet below the map
    assert screenshot(page, "export-phone-390x844").stat().st_size > 30_000
    context.close()


# ------------------------------------------------------------------ in an iframe: the host protocol

HOST_PAGE = """<!doctype html><html><body style="margin:0">
<iframe id="map" style="width:1200px;height:800px;border:0"></iframe>
<script>
window.messages = [];
window.addEventListener('message', e => { if (e.data && e.data.source === 'karabakh-map') window.messages.push(e.data); });
fetch(new URLSearchParams(location.search).get('page')).then(r => r.text())
  .then(t => { document.getElementById('map').srcdoc = t; });
window.send = m => document.getElementById('map').contentWindow.postMessage(Object.assign({source: 'karabakh-host'}, m), '*');
</script></body></html>"""


@pytest.fixture(scope="module")
def host(tmp_path_factory, timeline):
    """A minimal host, as the app's component is: the map page in an iframe's srcdoc, over http."""
    root = tmp_path_factory.mktemp("host")
    (root / "static").mkdir()
    import shutil
    shutil.copytree(export.LEAFLET_DIR, root / "static" / "leaflet")
    for flag in (False, True):
        html = mapclient.page_html(mapclient.build_map(timeline, asset_base="/static", server_paint=flag))
        (root / f"map-{int(flag)}.html").write_text(html, encoding="utf-8")
    (root / "host.html").write_text(HOST_PAGE, encoding="utf-8")
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], cwd=root,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.8)
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=10)


def messages(page, kind: str | None = None) -> list[dict]:
    found = page.evaluate("() => window.messages")
    return [m for m in found if kind is None or m["type"] == kind]


def test_the_iframe_protocol(host, page, catalog):
    page.goto(f"{host}/host.html?page=map-0.html")
    page.wait_for_function("() => window.messages.some(m => m.type === 'ready')")
    assert messages(page, "ready") == [{"source": "karabakh-map", "type": "ready", "date": "2020-11-10"}]
    frame = page.frame_locator("#map")
    frame.locator("#date-slider").focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => window.messages.some(m => m.type === 'date')")
    page.wait_for_timeout(400)
    dates = messages(page, "date")
    assert dates[-1] == {"source": "karabakh-map", "type": "date", "date": "2020-11-15", "reason": "step"}
    assert len(dates) <= 5
    # ten quick steps (no pause between them) reach the host as one message, with the last date
    map_frame = page.frame(url="about:srcdoc")
    map_frame.evaluate("() => { const s = document.getElementById('date-slider');"
                       " for (let i = 0; i < 10; i++) s.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowRight', bubbles: true})); }")
    page.wait_for_timeout(500)
    assert [m["date"] for m in messages(page, "date")][len(dates):] == ["2020-11-25"]
    # the host sets date and place: painted, ringed, and no "date" echo
    page.evaluate("() => send({type: 'set', date: '1993-08-01', place_id: 'settlement-aghdam'})")
    page.wait_for_function("() => document.querySelector('#map').contentDocument.querySelector('.folium-map')"
                           ".getAttribute('data-painted-date') === '1993-08-01'")
    page.wait_for_timeout(300)
    assert messages(page, "date")[-1]["date"] == "2020-11-25"
    # click, clear, click the same place again: a "select" each time
    lat, lon = settlement_lat_lon(catalog, "settlement-aghdam")
    point = map_frame.evaluate("([lat, lon]) => { const p = window.karabakhMap.map.latLngToContainerPoint([lat, lon]);"
                               " return [p.x, p.y]; }", [lat, lon])
    frame_box = page.locator("#map").bounding_box()
    page.mouse.click(frame_box["x"] + point[0], frame_box["y"] + point[1])
    frame.locator("#clear-selection").click()
    page.mouse.click(frame_box["x"] + point[0], frame_box["y"] + point[1])
    page.wait_for_timeout(200)
    selects = [m["place_id"] for m in messages(page, "select")]
    assert selects[-3:] == ["settlement-aghdam", None, "settlement-aghdam"]
    # the view, debounced, after a pan
    page.evaluate("() => send({type: 'set', names: 'hy'})")
    map_frame.evaluate("() => { window.karabakhMap.map.setView([39.9, 46.7], 9, {animate: false}); }")
    page.wait_for_function("() => window.messages.some(m => m.type === 'view')")
    assert messages(page, "view")[-1] == {"source": "karabakh-map", "type": "view", "lat": 39.9, "lon": 46.7, "zoom": 9}
    assert "Shushi" in frame.locator(".km-label").all_inner_texts()


def test_server_paint_waits_for_the_host(host, page):
    page.goto(f"{host}/host.html?page=map-1.html")
    page.wait_for_function("() => window.messages.some(m => m.type === 'ready')")
    frame = page.frame_locator("#map")
    frame.locator("#date-slider").focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => window.messages.some(m => m.type === 'date')")
    assert messages(page, "date")[0]["date"] == "2020-11-11"
    assert frame.locator(".folium-map").get_attribute("data-painted-date") == "2020-11-10"  # not painted yet
    page.evaluate("() => send({type: 'set', date: '2020-11-11'})")
    page.wait_for_function("() => document.querySelector('#map').contentDocument.querySelector('.folium-map')"
                           ".getAttribute('data-painted-date') === '2020-11-11'")
