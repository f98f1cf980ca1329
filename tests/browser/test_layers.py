"""The running app draws every layer in a real browser, with no request leaving this machine."""

from __future__ import annotations

from urllib.parse import urlparse

from browser_helpers import screenshot, wait_for_map


def test_layers_render_offline(app_url, page, catalog):
    requested_hosts = set()
    page.on("request", lambda request: requested_hosts.add(urlparse(request.url).hostname))
    page.goto(f"{app_url}/?date=1993-08-01")
    frame = wait_for_map(page)
    frame.locator(".km-legend").wait_for()
    # every zone, district, the NKAO outline, the road(s) of the day and every settlement is an SVG path
    paths = frame.locator("path.leaflet-interactive")
    minimum = len(catalog.settlements) + 20
    page.wait_for_function(
        "n => document.querySelector('iframe[title=\"streamlit_folium.st_folium\"]')"
        ".contentDocument.querySelectorAll('path.leaflet-interactive').length >= n", arg=minimum, timeout=60_000)
    assert paths.count() >= len(catalog.settlements) + len(catalog.regions)
    # settlements are drawn in the colours of their controllers
    fills = frame.locator("path.leaflet-interactive").evaluate_all("els => els.map(e => e.getAttribute('fill'))")
    assert "#0072B2" in fills
    assert frame.locator(".km-legend").count() == 1
    assert requested_hosts <= {"127.0.0.1", "localhost"}, f"requests left the machine: {requested_hosts}"
    path = screenshot(page, "layers-1993-08-01")
    assert path.stat().st_size > 50_000
