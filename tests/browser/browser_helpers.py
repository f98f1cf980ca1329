"""Helpers shared by the browser tests."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'


def wait_for_map(page):
    page.wait_for_selector(MAP_FRAME, timeout=90_000)
    frame = page.frame_locator(MAP_FRAME)
    frame.locator("path.leaflet-interactive").first.wait_for(timeout=60_000)
    return frame


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
