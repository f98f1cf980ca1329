"""The running app draws its map in a real browser with no request leaving this machine."""

from __future__ import annotations

from urllib.parse import urlparse

from browser_helpers import screenshot, wait_for_map, wait_painted


def test_the_app_map_renders_offline(app_url, page):
    requested_hosts = set()
    page.on("request", lambda request: requested_hosts.add(urlparse(request.url).hostname))
    page.goto(f"{app_url}/?date=1993-08-01")
    wait_for_map(page)
    wait_painted(page, "1993-08-01")
    page.wait_for_timeout(1000)
    # Leaflet and every asset of the map come from the app itself (tiles are off by default)
    assert requested_hosts <= {"127.0.0.1", "localhost", None}, f"requests left the machine: {requested_hosts}"
    assert screenshot(page, "layers-1993-08-01").stat().st_size > 20_000
