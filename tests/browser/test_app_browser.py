"""The Streamlit app in headless Chromium: the map scrubs in the browser and tells the server on release.

Only the testability contract is used to read the map (``data-painted-date``, one
``role="slider"``, the Leaflet map object), so these tests hold for any client that honours it.
"""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from playwright.sync_api import expect

from browser_helpers import LEAFLET_MAP, MAP_FRAME, map_frame, painted_date, screenshot, wait_for_map, wait_painted


def leaflet(page, expression: str, arg=None):
    return map_frame(page).evaluate(f"(arg) => {{ const map = {LEAFLET_MAP}; return {expression}; }}", arg)


def url_param(page, name: str) -> str | None:
    match = re.search(rf"[?&]{name}=([^&]*)", page.url)
    return match.group(1) if match else None


def wait_url(page, name: str, value: str, timeout: float = 10_000) -> None:
    page.wait_for_function("([n, v]) => new URLSearchParams(location.search).get(n) === v", arg=[name, value],
                           timeout=timeout)


def panel_text(page) -> str:
    locator = page.locator('[data-testid="place-controller"]')
    locator.wait_for(timeout=60_000)
    return locator.inner_text()


def wait_heading(page, text: str, timeout: float = 20_000) -> None:
    page.wait_for_function("t => [...document.querySelectorAll('h3')].some(h => h.innerText.includes(t))", arg=text,
                           timeout=timeout)


def slider(page):
    return page.frame_locator(MAP_FRAME).get_by_role("slider").first


def click_place(page, place_id: str, catalog) -> None:
    """A reader's click on the place's own location in the map."""
    point = catalog.places[place_id].geometry.representative_point()
    x, y = leaflet(page, "(() => { const p = map.latLngToContainerPoint(arg);"
                         " const r = map.getContainer().getBoundingClientRect(); return [p.x + r.left, p.y + r.top]; })()",
                   [point.y, point.x])
    box = page.locator(MAP_FRAME).bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)  # x, y are within the frame's viewport


def test_shared_link_restores_date_place_and_zoom(app_url, page):
    page.goto(f"{app_url}/?date=1993-08-01&place=Aghdam&lat=39.95&lon=46.8&zoom=10")
    wait_for_map(page)
    wait_painted(page, "1993-08-01")
    assert leaflet(page, "[map.getZoom(), +map.getCenter().lat.toFixed(2), +map.getCenter().lng.toFixed(2)]") == [10, 39.95, 46.8]
    wait_heading(page, "Ağdam")
    assert "Armenian forces" in panel_text(page)


def test_the_share_box_shows_the_link_to_this_view_and_copies_it(app_url, page):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"{app_url}/?date=1993-08-01&place=Aghdam")
    wait_for_map(page)
    wait_painted(page, "1993-08-01")
    link = page.get_by_test_id("share-link")
    link.wait_for(timeout=30_000)
    assert link.input_value() == f"{app_url}/?date=1993-08-01&place=settlement-aghdam"
    page.get_by_role("button", name="Copy link").click()
    page.get_by_role("status").filter(has_text="Copied").wait_for(timeout=5_000)
    assert page.evaluate("navigator.clipboard.readText()") == link.input_value()
    slider(page).focus()
    slider(page).press("ArrowRight")  # the box follows the view
    expect(link).to_have_value(f"{app_url}/?date=1993-08-02&place=settlement-aghdam", timeout=10_000)


def test_the_map_page_reaches_the_browser_deflated(app_url, page):
    # .streamlit/config.toml: the ~0.55 MB page goes over the websocket with permessage-deflate
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    handshakes = []
    cdp.on("Network.webSocketHandshakeResponseReceived", lambda event: handshakes.append(event["response"]["headers"]))
    page.goto(f"{app_url}/?date=1994-06-01")
    wait_for_map(page)
    wait_painted(page, "1994-06-01")
    extensions = [value for headers in handshakes for name, value in headers.items()
                  if name.lower() == "sec-websocket-extensions"]
    assert extensions and all("permessage-deflate" in value for value in extensions), handshakes


def test_keys_paint_in_the_browser_and_the_server_hears_the_step(app_url, page):
    page.goto(f"{app_url}/?date=1994-06-01&place=Shusha")
    wait_for_map(page)
    wait_painted(page, "1994-06-01")
    control = slider(page)
    control.focus()
    control.press("ArrowRight")
    wait_painted(page, "1994-06-02", timeout=2_000)
    wait_url(page, "date", "1994-06-02")
    page.wait_for_function("() => document.querySelector('[data-testid=\"place-controller\"]').innerText.includes('2 June 1994')",
                           timeout=10_000)
    control.press("PageUp")
    wait_painted(page, "1994-07-02", timeout=2_000)
    control.press("Home")
    wait_painted(page, "1988-01-01", timeout=2_000)
    control.press("End")
    wait_painted(page, dt.date.today().isoformat(), timeout=2_000)
    wait_url(page, "date", dt.date.today().isoformat())
    assert control.get_attribute("aria-valuetext") is not None


def test_a_drag_recolours_live_and_tells_the_server_only_on_release(app_url, page):
    page.goto(f"{app_url}/?date=1991-06-01")
    wait_for_map(page)
    wait_painted(page, "1991-06-01")
    box = slider(page).bounding_box()  # in the page's coordinates, frame offset included
    y = box["y"] + box["height"] / 2
    x0 = box["x"] + box["width"] * 0.2
    page.mouse.move(x0, y)
    page.mouse.down()
    seen = set()
    for step in range(1, 9):
        page.mouse.move(x0 + box["width"] * 0.07 * step, y)
        page.wait_for_timeout(120)
        seen.add(painted_date(page))
    assert len(seen) >= 4, seen  # new colours while the button is still down
    assert url_param(page, "date") == "1991-06-01"  # and no server round trip per move
    page.mouse.up()
    shown = painted_date(page)
    wait_url(page, "date", shown)


def test_click_a_place_clear_it_and_click_it_again(app_url, page, catalog):
    page.goto(f"{app_url}/?date=1994-06-01&lat=39.76&lon=46.75&zoom=10")
    wait_for_map(page)
    wait_painted(page, "1994-06-01")
    click_place(page, "settlement-shusha", catalog)
    wait_heading(page, "Şuşa")
    wait_url(page, "place", "settlement-shusha")
    page.get_by_role("button", name="Clear selection").click()
    wait_heading(page, "Click a place")
    page.wait_for_function("() => !location.search.includes('place=')", timeout=10_000)
    click_place(page, "settlement-shusha", catalog)
    wait_heading(page, "Şuşa")
    assert "Armenian forces" in panel_text(page)


def test_the_zoom_survives_date_changes_and_the_address_bar_follows_the_view(app_url, page):
    page.goto(f"{app_url}/?date=1994-06-01")
    wait_for_map(page)
    wait_painted(page, "1994-06-01")
    leaflet(page, "(window.kmMarker = 'same map', map.setView([39.7, 46.9], 9, {animate: false}), null)")
    started = time.perf_counter()
    wait_url(page, "zoom", "9", timeout=5_000)
    follow_ms = (time.perf_counter() - started) * 1000
    assert follow_ms <= 1000, f"address bar followed the view after {follow_ms:.0f} ms"
    control = slider(page)
    control.focus()
    for _ in range(3):
        control.press("PageUp")
    wait_url(page, "date", "1994-09-01")
    page.wait_for_timeout(500)  # the reruns that follow must not rebuild the map
    assert leaflet(page, "[window.kmMarker, map.getZoom()]") == ["same map", 9]


@pytest.mark.parametrize("width, height, name", [(1440, 900, "desktop"), (390, 844, "phone")])
def test_layout_map_first_and_tall(app_url, browser, width, height, name):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        page.goto(f"{app_url}/?date=2021-06-01&place=settlement-shusha")  # a name could add a notice above
        wait_for_map(page)
        wait_painted(page, "2021-06-01")
        wait_heading(page, "Şuşa")
        page.wait_for_timeout(800)
        frame_box = page.locator(MAP_FRAME).bounding_box()
        assert frame_box["y"] < 120 and frame_box["height"] >= 0.6 * height, frame_box
        sidebar = page.locator('[data-testid="stSidebar"]')
        assert sidebar.count() == 0 or sidebar.bounding_box() is None or sidebar.bounding_box()["width"] < 50 \
            or sidebar.get_attribute("aria-expanded") == "false"
        # the two top columns: the map's and the panel's (which holds a component of its own, the share box)
        columns = page.evaluate("""() => [...document.querySelectorAll('[data-testid=stHorizontalBlock]')][0]
            .querySelectorAll(':scope > [data-testid=stColumn]').length""")
        styles = page.evaluate("""() => [...[...document.querySelectorAll('[data-testid=stHorizontalBlock]')][0]
            .querySelectorAll(':scope > [data-testid=stColumn]')].map(c => [getComputedStyle(c).position,
            getComputedStyle(c).borderTopLeftRadius])""")
        assert columns == 2
        if name == "phone":
            panel_box = page.locator('[data-testid="place-controller"]').bounding_box()
            assert panel_box["y"] > frame_box["y"] + frame_box["height"] - 1  # the panel sits below the map
            assert styles[1][1] == "14px"  # as a sheet
        else:  # beside it, and only the map stays in view while the panel scrolls
            assert page.locator('[data-testid="place-controller"]').bounding_box()["x"] > frame_box["x"] + frame_box["width"]
            assert [position for position, _ in styles] == ["sticky", "static"]
        assert screenshot(page, f"app-{name}-2021-06-01").stat().st_size > 20_000
    finally:
        context.close()


def test_no_deprecation_warning_in_the_log(app_server, page):
    url, log = app_server
    page.goto(f"{url}/?date=1994-06-01")
    wait_for_map(page)
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "deprecat" not in text.lower() and "components.v1" not in text, text[-2000:]


def test_a_jump_from_the_panel_paints_the_map_and_a_notice_never_remounts_it(app_url, page):
    page.goto(f"{app_url}/?date=1994-05-12&place=Atlantis")
    wait_for_map(page)
    wait_painted(page, "1994-05-12")
    page.locator('[data-testid="stAlertContentWarning"]').first.wait_for()
    leaflet(page, "(window.kmMarker = 'same map', null)")
    event = page.get_by_role("button", name=re.compile(r"^\d{4}-\d{2}-\d{2} · ")).first
    target = event.inner_text()[:10]
    event.click()
    wait_painted(page, target)  # the server told the map (host -> map "set")
    wait_url(page, "date", target)

    page.wait_for_function("() => !document.querySelector('[data-testid=\"stAlertContentWarning\"]')", timeout=10_000)
    page.wait_for_timeout(500)
    assert leaflet(page, "window.kmMarker") == "same map"


def test_the_date_the_reader_returns_to_after_a_jump_reaches_the_server(app_url, page):
    today = dt.date.today().isoformat()
    page.goto(f"{app_url}/?date=1994-05-12")
    wait_for_map(page)
    wait_painted(page, "1994-05-12")
    control = slider(page)
    control.focus()
    control.press("End")
    wait_url(page, "date", today)
    # the server moves the map (a jump to a recent event), then the reader presses End again
    page.get_by_role("button", name=re.compile(r"^20\d\d-\d{2}-\d{2} · ")).first.click()
    page.wait_for_function("t => new URLSearchParams(location.search).get('date') !== t", arg=today, timeout=10_000)
    control.focus()
    control.press("End")
    wait_painted(page, today)
    wait_url(page, "date", today)


def test_a_typed_date_and_a_tick_click_paint_and_reach_the_server(app_url, page):
    page.goto(f"{app_url}/?date=2000-01-01&place=Shusha")
    frame = wait_for_map(page)
    wait_painted(page, "2000-01-01")
    box = frame.locator("#date-input")
    box.fill("1993-08-01")
    box.press("Enter")
    wait_painted(page, "1993-08-01", timeout=2_000)
    wait_url(page, "date", "1993-08-01")
    page.wait_for_function("() => document.querySelector('[data-testid=\"place-controller\"]').innerText"
                           ".startsWith('On 1 August 1993')", timeout=10_000)
    # a tick with no neighbour within 6 px (97 events fall in 2020: most ticks touch)
    index = map_frame(page).evaluate("""() => {
      const xs = [...document.querySelectorAll('.km-tick')].map(t => t.getBoundingClientRect().left);
      return xs.findIndex((x, i) => xs.every((y, j) => j === i || Math.abs(x - y) >= 6));
    }""")
    assert index >= 0
    tick = frame.locator(".km-tick").nth(index)
    target = tick.get_attribute("data-date")
    tick.click(force=True)
    wait_painted(page, target, timeout=2_000)
    wait_url(page, "date", target)


def test_play_paints_in_the_browser_and_the_server_hears_the_pause(app_url, page):
    page.goto(f"{app_url}/?date=1992-01-01")
    frame = wait_for_map(page)
    wait_painted(page, "1992-01-01")
    frame.locator("#play").click()
    seen, addressed = set(), set()
    for _ in range(15):
        page.wait_for_timeout(200)
        seen.add(painted_date(page))
        addressed.add(url_param(page, "date"))
    frame.locator("#play").click()  # pause
    shown = painted_date(page)
    assert len(seen) >= 3 and max(seen) > "1992-01-01", seen
    assert addressed == {"1992-01-01"}  # no server round trip while playing
    wait_url(page, "date", shown)  # the server hears the date on pause
