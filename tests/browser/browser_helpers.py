"""Helpers shared by the browser tests: the map's frame in the app and the testability contract.

Both the app and the export honour the contract of PROTOCOL.md: the map's container carries
``data-painted-date`` (set in the frame that painted that date) and the date control is one
``role="slider"``.  ``leaflet_map`` finds the Leaflet map object without knowing folium's
generated variable name.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
MAP_FRAME = 'iframe[data-testid="karabakh-map-frame"]'
PAINTED = "[data-painted-date]"
LEAFLET_MAP = "(() => Object.values(window).find(v => v && window.L && v instanceof L.Map))()"


def wait_for_map(page):
    """The app's map frame, once it has painted its first date."""
    page.wait_for_selector(MAP_FRAME, timeout=90_000, state="attached")
    frame = page.frame_locator(MAP_FRAME)
    frame.locator(PAINTED).first.wait_for(timeout=60_000, state="attached")
    return frame


def map_frame(page):
    """The map's Frame (for evaluate), after wait_for_map."""
    return page.locator(MAP_FRAME).element_handle().content_frame()


def painted_date(page) -> str | None:
    return map_frame(page).evaluate(f"() => document.querySelector('{PAINTED}')?.getAttribute('data-painted-date')")


def wait_painted(page, date: str, timeout: float = 10_000) -> None:
    map_frame(page).wait_for_function(
        f"d => document.querySelector('{PAINTED}')?.getAttribute('data-painted-date') === d", arg=date, timeout=timeout)


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path
