"""The exported static site in headless Chromium, opened from a file:// URL as a reader would.

Every check compares the page with the Python engine (timeline, panel, view), so the export and
the app cannot drift apart unnoticed; and every test records the page's requests to prove that
nothing but the site's own files is loaded, and that scrubbing loads nothing at all.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
import shapely
from shapely.geometry import LineString, Point, shape

from browser_helpers import screenshot
from helpers import d
from karabakh_map import export
from karabakh_map.catalog import CONTROLLER_LABELS
from karabakh_map.mapview import CONTROLLER_COLOURS
from karabakh_map.panel import _nearest, control_summary
from karabakh_map.view import parse_view
from test_export import HOSTILE_TITLE, hostile_catalog, load_data

pytestmark = pytest.mark.browser

KNOWN = [  # place, date, controller: answers fixed by tests/test_timeline.py
    ("settlement-shusha", "1993-08-01", "armenian_forces"), ("settlement-aghdam", "1993-08-01", "armenian_forces"),
    ("settlement-lachin", "1993-08-01", "armenian_forces"),
    ("settlement-shusha", "2021-06-01", "azerbaijan"), ("settlement-aghdam", "2021-06-01", "azerbaijan"),
    ("settlement-lachin", "2021-06-01", "russian_peacekeepers"),
]
THREE = ("settlement-shusha", "settlement-aghdam", "settlement-lachin")


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
    """Every request the page makes, and every dialog (alert) it opens."""

    def __init__(self, page):
        self.urls: list[str] = []
        self.dialogs: list[str] = []
        page.on("request", lambda request: self.urls.append(request.url))
        page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        self.errors: list[str] = []
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


def wait_for_date(page, iso: str) -> None:
    page.wait_for_function("iso => new URLSearchParams(location.search).get('date') === iso", arg=iso)


def marker_fill(page, place_id: str) -> str:
    return page.locator(f'path[data-place="{place_id}"]').get_attribute("fill")


def zone_fill(page, zone_id: str) -> str:
    return page.locator(f'path[data-zone="{zone_id}"]').get_attribute("fill")


def assert_colours_match_engine(page, timeline, iso: str, place_ids=THREE) -> None:
    date = d(iso)
    zones = timeline.zone_controllers(date)
    for pid in place_ids:
        expected = CONTROLLER_COLOURS[timeline.state(pid, date).controller]
        assert marker_fill(page, pid) == expected, (pid, iso)
        # the zone that follows the place on this date (a front-line period has its own zones)
        zone_id = next(z.zone_id for z in timeline.map_zones(date)
                       if z.follows == pid and z.region_id == timeline.catalog.places[pid].district_id)
        assert zone_fill(page, zone_id) == CONTROLLER_COLOURS[zones[zone_id]], (zone_id, iso)


def page_point(page, lat: float, lon: float) -> tuple[float, float]:
    """Where a coordinate is drawn, in page pixels."""
    return tuple(page.evaluate(
        "([lat, lon]) => { const p = window.karabakhMap.map.latLngToContainerPoint([lat, lon]);"
        " const r = document.getElementById('map').getBoundingClientRect(); return [p.x + r.left, p.y + r.top]; }",
        [lat, lon]))


def set_slider(page, iso: str) -> None:
    """Move the slider as a drag does: set its value and fire `input`."""
    page.evaluate("""iso => {
        const slider = document.getElementById('date-slider');
        const day = s => Date.UTC(+s.slice(0, 4), +s.slice(5, 7) - 1, +s.slice(8, 10)) / 86400000;
        slider.value = String(day(iso) - day('1988-01-01'));  // the slider counts days from HISTORY_START
        slider.dispatchEvent(new Event('input', {bubbles: true}));
    }""", iso)


# ------------------------------------------------------------------ a date from the URL, and from the slider

@pytest.mark.parametrize("iso", ["1993-08-01", "2021-06-01"])
def test_a_date_in_the_url_colours_three_known_places(site, page, timeline, iso):
    recorder = open_site(page, site, f"date={iso}")
    assert page.locator("#date-heading").inner_text() == f"Control on {d(iso).strftime('%-d %B %Y')}"
    for pid, date, controller in KNOWN:
        if date == iso:
            assert marker_fill(page, pid) == CONTROLLER_COLOURS[controller], pid
    assert_colours_match_engine(page, timeline, iso)
    assert page.locator(".km-legend").count() == 1
    recorder.assert_local_only()
    assert screenshot(page, f"export-{iso}").stat().st_size > 50_000


def test_the_slider_recolours_the_map_and_scrubbing_sends_no_request(site, page, timeline):
    recorder = open_site(page, site, "date=1993-08-01&place=settlement-lachin")
    loaded = len(recorder.urls)

    slider = page.locator("#date-slider")
    slider.focus()
    page.keyboard.press("ArrowRight")  # one day
    wait_for_date(page, "1993-08-02")

    set_slider(page, "2021-06-01")  # a drag across 28 years
    wait_for_date(page, "2021-06-01")
    for pid, date, controller in KNOWN:
        if date == "2021-06-01":
            assert marker_fill(page, pid) == CONTROLLER_COLOURS[controller], pid
    assert_colours_match_engine(page, timeline, "2021-06-01")
    assert "held by Russian peacekeepers" in page.locator("#place-summary").inner_text()
    assert page.locator("#date-input").input_value() == "2021-06-01"

    box = slider.bounding_box()  # a real click on the track, a quarter of the way along
    page.mouse.click(box["x"] + box["width"] * 0.25, box["y"] + box["height"] / 2)
    page.wait_for_function("() => new URLSearchParams(location.search).get('date') < '2000-01-01'")
    assert_colours_match_engine(page, timeline, url_params(page)["date"])

    for iso in ("1988-01-01", "1992-05-08", "1994-05-12", "2020-11-10", "2023-09-20"):  # a fast scrub
        set_slider(page, iso)
        wait_for_date(page, iso)
        assert_colours_match_engine(page, timeline, iso)

    assert len(recorder.urls) == loaded, f"scrubbing sent requests: {recorder.urls[loaded:]}"
    recorder.assert_local_only()
    assert url_params(page)["place"] == "settlement-lachin"


def test_prev_next_play_and_key_dates(site, page, timeline):
    recorder = open_site(page, site, "date=1993-08-01")
    page.click("#next-event")
    expected = timeline.next_event_date(d("1993-08-01")).isoformat()
    wait_for_date(page, expected)
    page.click("#prev-event")
    wait_for_date(page, timeline.previous_event_date(d(expected)).isoformat())
    page.select_option("#key-dates", label="1994 ceasefire (12 May 1994)")
    wait_for_date(page, "1994-05-12")
    page.click("#play")
    assert page.locator("#play").get_attribute("aria-pressed") == "true"
    page.wait_for_function("() => new URLSearchParams(location.search).get('date') > '1994-05-12'", timeout=10_000)
    page.click("#play")
    assert page.locator("#play").get_attribute("aria-pressed") == "false"
    played_to = url_params(page)["date"]
    assert played_to in [x.isoformat() for x in timeline.change_dates()]
    assert_colours_match_engine(page, timeline, played_to)
    recorder.assert_local_only()


def test_the_browser_engine_agrees_with_python_for_every_place_and_zone(site, page, catalog, timeline):
    open_site(page, site)
    ids = list(catalog.places)
    for iso in ("1988-01-01", "1991-12-01", "1992-05-08", "1993-08-01", "1994-05-12", "2016-04-05", "2020-10-20",
                "2020-11-10", "2021-06-01", "2022-08-26", "2023-09-20", "2024-01-01"):
        got = page.evaluate("([ids, iso]) => Object.fromEntries(ids.map(id => [id, window.karabakhMap.stateAt(id, iso).c]))",
                            [ids, iso])
        assert got == {pid: s.controller for pid, s in timeline.snapshot(d(iso)).items()}, iso
        zones = page.evaluate("iso => window.karabakhMap.zoneControllers(iso)", iso)
        assert zones == timeline.zone_controllers(d(iso)), iso


# ------------------------------------------------------------------ the place panel

@pytest.mark.parametrize("place, iso", [
    ("settlement-aghdam", "1993-08-01"), ("district-aghdam", "2000-01-01"), ("settlement-lachin", "2021-06-01"),
    ("road-lachin-1992", "2021-06-01"), ("region-nkao", "2021-06-01"), ("settlement-shusha", "1990-01-01"),
])
def test_the_panel_says_what_the_app_says(site, page, catalog, timeline, place, iso):
    open_site(page, site, urlencode({"date": iso, "place": place}))
    state = timeline.state(place, d(iso))
    assert page.locator("#place-summary").inner_text() == control_summary(timeline, state)
    assert page.locator("#place-title").inner_text() == catalog.places[place].names.label("both")
    events = list(catalog.events_for(place))
    shown = page.locator("#place-panel .km-event").evaluate_all("els => els.map(e => e.dataset.event)")
    assert shown == [e.event_id for e in events]
    nearest = page.locator("#place-panel .km-event.nearest").evaluate_all("els => els.map(e => e.dataset.event)")
    assert set(nearest) == _nearest(events, d(iso))
    if state.share:
        rows = page.locator(".km-share tr").all_inner_texts()
        assert len(rows) == sum(1 for v in state.share.values() if v > 0)
        assert all(any(CONTROLLER_LABELS[c] in row for row in rows) for c, v in state.share.items() if v > 0)
    for href in page.locator("#place-panel a").evaluate_all("els => els.map(a => a.getAttribute('href'))"):
        assert href.startswith(("http://", "https://")), href


def test_aghdam_panel_text(site, page):
    open_site(page, site, "date=1993-08-01&place=Aghdam")
    assert page.locator("#place-title").inner_text() == "Ağdam / Akna"
    summary = page.locator("#place-summary").inner_text()
    assert summary.startswith("On 1 August 1993, held by Armenian forces (Armenia / NKR), since 23 July 1993")
    names = page.locator(".km-names").inner_text()
    assert "Ağdam" in names and "Агдам" in names and "Aghdam" in names
    assert url_params(page)["place"] == "settlement-aghdam"  # the name in the link became the id


def test_clicking_a_settlement_a_zone_and_the_road(site, page, catalog):
    recorder = open_site(page, site, "date=1994-06-01&zoom=9&lat=39.8&lon=46.75")
    assert page.locator("#place-title").inner_text() == "Click a place on the map"

    page.locator('path[data-place="settlement-shusha"]').click()
    assert page.locator("#place-title").inner_text() == "Şuşa / Shushi"
    assert "held by Armenian forces" in page.locator("#place-summary").inner_text()
    page.wait_for_function("() => location.search.includes('place=settlement-shusha')")

    data = load_data(site)
    settlements = shapely.union_all([Point(p["geometry"]).buffer(0.03) for p in data["places"] if p["layer"] == "settlement"])
    lines = shapely.union_all([shape(p["geometry"]).boundary.buffer(0.02) for p in data["places"]
                               if p["layer"] == "region" and p["geometry"]]
                              + [shape(p["geometry"]).buffer(0.02) for p in data["places"] if p["layer"] == "road"])
    zone = next(z for z in data["zones"] if z["id"] == "zone-kalbajar")
    inside = shape(zone["geometry"]).difference(settlements).difference(lines)
    point = inside.representative_point()
    page.evaluate("([lat, lon]) => window.karabakhMap.map.setView([lat, lon], 9, {animate: false})", [point.y, point.x])
    page.mouse.click(*page_point(page, point.y, point.x))
    assert page.locator("#place-title").inner_text() == catalog.places["district-kalbajar"].names.label("both")
    assert "held by Armenian forces" in page.locator("#place-summary").inner_text()
    page.wait_for_function("() => location.search.includes('place=district-kalbajar')")

    road = next(p for p in data["places"] if p["id"] == "road-lachin-1992")
    line = LineString(road["geometry"]["coordinates"])
    points = shapely.MultiPoint([p["geometry"] for p in data["places"] if p["layer"] == "settlement"])
    spot = next(pt for pt in (line.interpolate(i / 40, normalized=True) for i in range(8, 33))
                if pt.distance(points) > 0.015)  # clear of every marker (about 20 px at zoom 11)
    page.evaluate("([lat, lon]) => window.karabakhMap.map.setView([lat, lon], 11, {animate: false})", [spot.y, spot.x])
    page.mouse.click(*page_point(page, spot.y, spot.x))
    assert page.locator("#place-title").inner_text() == catalog.places["road-lachin-1992"].names.label("both")
    assert "road status: open" in page.locator("#place-summary").inner_text()
    page.wait_for_function("() => location.search.includes('place=road-lachin-1992')")
    params = url_params(page)
    assert params["zoom"] == "11" and abs(float(params["lat"]) - spot.y) < 1e-4
    recorder.assert_local_only()


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
    page.locator('path[data-place="settlement-lachin"]').hover()
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


def test_name_folding_matches_python_for_every_name(site, page, catalog):
    from karabakh_map.names import fold, fold_azerbaijani

    open_site(page, site)
    names = sorted({n for p in catalog.places.values() for n in p.names.all() if n}
                   | {"ŞUŞA", "Ağdərə", "Xocalı", "İsmayıllı", "Straße", "ǅemal", "Tigranakert’", "  a -- b  "})
    got = page.evaluate("names => names.map(n => [window.karabakhMap.fold(n), window.karabakhMap.foldAzerbaijani(n)])",
                        names)
    assert dict(zip(names, map(tuple, got))) == {n: (fold(n), fold_azerbaijani(n)) for n in names}
    for name in names:
        if catalog.name_index.lookup(name):
            assert page.evaluate("q => window.karabakhMap.resolvePlace(q)", name) == catalog.resolve(name).id, name


def test_invalid_values_fall_back_with_a_notice_and_the_link_is_rewritten(site, page, catalog):
    query = "date=1993-13-45&zoom=99&place=Atlantis&names=ru"
    recorder = open_site(page, site, query)
    _, notices = parse_view(parse_qs(query), catalog)
    assert page.locator("#notices .km-notice").all_inner_texts() == notices
    assert page.locator("#date-heading").inner_text() == "Control on 10 November 2020"
    assert url_params(page) == {"date": "2020-11-10"}
    recorder.assert_local_only()


def test_a_view_round_trips_through_its_link(site, page):
    open_site(page, site, "date=2022-08-26&place=Lachin&names=az&lat=39.7&lon=46.5&zoom=10")
    first = page.url
    assert url_params(page) == {"date": "2022-08-26", "place": "settlement-lachin", "names": "az",
                                "lat": "39.7", "lon": "46.5", "zoom": "10"}
    page.goto(first)
    page.wait_for_selector("body[data-ready=true]")
    assert page.url == first
    assert page.locator("#place-title").inner_text() == "Laçın"


# ------------------------------------------------------------------ offline tiles, escaping

def test_tiles_are_off_until_the_reader_switches_them_on(site, page):
    tile_requests = []
    page.route("https://tile.openstreetmap.org/**", lambda route: (tile_requests.append(route.request.url), route.abort()))
    recorder = open_site(page, site, "date=1993-08-01")
    recorder.assert_local_only()
    page.check('input[name="tiles"][value="osm"]')
    page.wait_for_function("() => document.querySelectorAll('img.leaflet-tile').length > 0")
    page.wait_for_timeout(300)
    assert tile_requests and all(urlparse(u).hostname == "tile.openstreetmap.org" for u in tile_requests)
    assert marker_fill(page, "settlement-aghdam") == CONTROLLER_COLOURS["armenian_forces"]  # the layers stay drawn
    page.check('input[name="tiles"][value="plain"]')
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
    assert panel.locator("span.km-source").count() >= 1  # the source with a javascript: URL is not a link
    page.fill("#search", "<i>")
    assert page.locator("#search-results i").count() == 0
    page.locator('path[data-place="settlement-shusha"]').hover()
    assert page.locator(".leaflet-tooltip img, .leaflet-tooltip script").count() == 0
    assert recorder.dialogs == []
    recorder.assert_local_only()


def test_screenshot_of_a_panel_view(site, page):
    open_site(page, site, "date=2021-06-01&place=district-aghdam&zoom=9&lat=39.85&lon=46.75")
    page.wait_for_timeout(300)
    assert screenshot(page, "export-panel-2021-06-01").stat().st_size > 50_000
