from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import functools

import pytest
import streamlit.components.v2.manifest_scanner as _manifest_scanner

from karabakh_map.catalog import GEODATA_DIR
from karabakh_map.validation import load_catalog
from karabakh_map.timeline import Timeline

# AppTest rescans every installed distribution's metadata for Streamlit components on each run
# (about 0.5 s here). Nothing is installed during a test session, so one scan serves them all.
_manifest_scanner.scan_component_manifests = functools.cache(_manifest_scanner.scan_component_manifests)

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def catalog():
    return load_catalog()


@pytest.fixture(scope="session")
def timeline(catalog):
    return Timeline(catalog)


class GeodataCopy:
    """A writable copy of the bundled geodata for breaking one thing at a time."""

    def __init__(self, directory: Path):
        self.dir = directory
        for name in ("regions.geojson", "settlements.geojson", "roads.geojson", "events.csv", "sources.csv"):
            shutil.copy(GEODATA_DIR / name, directory / name)
        shutil.copy(GEODATA_DIR / "confirmations.csv", directory / "confirmations.csv")

    def load(self, name: str) -> dict:
        return json.loads((self.dir / name).read_text(encoding="utf-8"))

    def save(self, name: str, data: dict) -> None:
        (self.dir / name).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    def feature(self, name: str, feature_id: str) -> tuple[dict, dict]:
        data = self.load(name)
        return data, next(f for f in data["features"] if f["id"] == feature_id)

    def text(self, name: str) -> str:
        return (self.dir / name).read_text(encoding="utf-8")

    def write_text(self, name: str, text: str) -> None:
        (self.dir / name).write_text(text, encoding="utf-8")

    def snapshot(self) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted(self.dir.iterdir())}


@pytest.fixture
def geodata_copy(tmp_path) -> GeodataCopy:
    return GeodataCopy(tmp_path)
