"""`karabakh-map export`: the static site's files, size, determinism, security policy and escaping (no browser)."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from karabakh_map import export, mapclient
from karabakh_map.catalog import Catalog
from karabakh_map.view import KEY_DATES

EXPECTED_FILES = {
    "index.html", "mapclient.js", "mapclient.css",
    "static/leaflet/leaflet.js", "static/leaflet/leaflet.css", "static/leaflet/LICENSE",
    "static/leaflet/images/layers.png", "static/leaflet/images/layers-2x.png",
    "static/leaflet/images/marker-icon.png", "static/leaflet/images/marker-icon-2x.png",
    "static/leaflet/images/marker-shadow.png",
} | {f"figures/karabakh-control-{date.isoformat()}.png" for date in KEY_DATES.values()}


def files_of(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def site(tmp_path_factory, catalog, timeline):
    out = tmp_path_factory.mktemp("site")
    report = export.export_site(catalog, out, timeline)
    return out, report


def test_writes_exactly_the_site_files(site):
    out, report = site
    assert set(files_of(out)) == EXPECTED_FILES
    total = sum(len(b) for b in files_of(out).values())
    assert f"{total:,} bytes" in report
    assert str(out / "index.html") in report and "\n" not in report


def test_first_load_is_within_one_and_a_half_megabytes_and_the_site_within_three(site):
    files = files_of(site[0])
    first_load = sum(len(b) for name, b in files.items()
                     if "images/" not in name and name != "static/leaflet/LICENSE" and not name.startswith("figures/"))
    assert first_load <= export.FIRST_LOAD_BUDGET_BYTES == 1_500_000, f"{first_load:,} bytes"
    total = sum(len(b) for b in files.values())
    assert total <= export.SIZE_BUDGET_BYTES == 3_000_000, f"{total:,} bytes"


def test_over_budget_is_an_error_not_a_silent_success(tmp_path, catalog, timeline, monkeypatch):
    monkeypatch.setattr(export, "SIZE_BUDGET_BYTES", 100_000)
    with pytest.raises(export.ExportError, match="budget"):
        export.export_site(catalog, tmp_path, timeline, figures=False)


def test_every_key_date_has_its_figure_and_the_page_links_each_one(site, timeline):
    out, report = site
    html = (out / "index.html").read_text(encoding="utf-8")
    links = export.figure_links()
    assert [link["date"] for link in links] == sorted(date.isoformat() for date in KEY_DATES.values())
    for link in links:
        data = (out / link["href"]).read_bytes()  # the link resolves to a file beside index.html
        assert data[:8] == b"\x89PNG\r\n\x1a\n", link
        assert 30_000 < len(data) <= 250_000, (link, len(data))
        assert f'"href":"{link["href"]}"' in html and link["label"] in html
    from PIL import Image

    with Image.open(out / links[3]["href"]) as image:
        assert image.width == 1500 and image.mode == "P"  # print width, 256 colours
        assert image.text["Title"] == f"Territorial control on {KEY_DATES[links[3]['label']].day} " \
            f"{KEY_DATES[links[3]['label']].strftime('%B %Y')}"
    assert f"{len(links)} key-date figures" in report


def test_without_figures_the_page_links_none(tmp_path, catalog, timeline):
    export.export_site(catalog, tmp_path, timeline, figures=False)
    assert not (tmp_path / "figures").exists()
    assert '"figures":[]' in (tmp_path / "index.html").read_text(encoding="utf-8")


def test_leaflet_and_the_client_are_the_projects_own_copies(site):
    out, _ = site
    for name in ("leaflet.js", "leaflet.css"):
        assert (out / "static/leaflet" / name).read_bytes() == (export.LEAFLET_DIR / name).read_bytes()
    for name in export.CLIENT_FILES:
        assert (out / name).read_bytes() == (mapclient.ASSETS_DIR / name).read_bytes()


def test_index_html_is_the_map_clients_page(site, timeline):
    html = (site[0] / "index.html").read_text(encoding="utf-8")
    assert html == export.site_html(timeline, export.figure_links())
    assert "KarabakhMapClient.start(" in html and '"standalone":true' in html
    assert re.findall(r'<script src="([^"]+)"', html) == ["static/leaflet/leaflet.js", "mapclient.js"]
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()


def test_the_security_policy_forbids_every_connection(site):
    html = (site[0] / "index.html").read_text(encoding="utf-8")
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    assert "connect-src 'none'" in policy and "default-src 'none'" in policy and "object-src 'none'" in policy
    assert html.index("Content-Security-Policy") < html.index("<script")


def test_same_input_gives_the_same_bytes_across_processes(tmp_path, site):
    """Two CLI runs with different string hashing (side by side), and the in-process export:
    identical files, and the CLI prints its report."""
    runs = {}
    for seed in ("1", "2"):
        out = tmp_path / f"run-{seed}"
        runs[out] = subprocess.Popen([sys.executable, "-m", "karabakh_map", "export", "--out", str(out)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env={**os.environ, "PYTHONHASHSEED": seed})
    outputs = []
    for out, proc in runs.items():
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr
        assert stdout.startswith("Exported the static map to") and "bytes" in stdout
        outputs.append(files_of(out))
    assert outputs[0] == outputs[1]
    assert outputs[0] == files_of(site[0])


# ------------------------------------------------------------------ escaping

HOSTILE_TITLE = '</script><img src=x onerror="alert(1)"> & <b>bold</b> \u2028'
HOSTILE_URL = "javascript:alert(document.cookie)"


def hostile_catalog(catalog: Catalog) -> Catalog:
    """The bundled catalogue with markup in an event title, a place name and a source, and a javascript: URL."""
    event = next(e for e in catalog.events if e.event_id == "ev-19920508-shusha")
    sid = event.source_ids[0]
    sources = dict(catalog.sources)
    sources[sid] = dataclasses.replace(sources[sid], title="<script>alert('source')</script>", url=HOSTILE_URL)
    events = tuple(dataclasses.replace(e, title=HOSTILE_TITLE) if e is event else e for e in catalog.events)
    places = dict(catalog.places)
    shusha = places["settlement-shusha"]
    places[shusha.id] = dataclasses.replace(shusha, names=dataclasses.replace(shusha.names, alt=(*shusha.names.alt, "<i>Shushi</i>")))
    return Catalog(places=places, events=events, sources=sources)


def test_markup_in_the_data_cannot_escape_its_string(tmp_path, catalog):
    export.export_site(hostile_catalog(catalog), tmp_path, figures=False)
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    start = html.index('<script type="application/json"')
    call = html[html.index(">", start) + 1:html.index("</script>", start)]  # the page's data block
    for raw in ("<", ">", "&", "\u2028"):
        assert raw not in call, raw
    assert "javascript:" not in html.lower()
    assert "<img src=x" not in html
    assert "\\u0026lt;script\\u0026gt;alert(" in call  # the source's title, HTML-escaped in its history entry
    assert "\\u0026lt;img src=x" in call  # the event's title, HTML-escaped in its history entry


def test_page_code_parses_html_only_from_python(site):
    code = (site[0] / "mapclient.js").read_text(encoding="utf-8")
    assert code.count("innerHTML") == 1 and "template.innerHTML = html" in code  # trustedFragment only
    assert code.count("trustedFragment(") == 3  # its definition and the two history lists (eventHtml)
    for sink in ("outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "fetch(",
                 "XMLHttpRequest", "import("):
        assert sink not in code, sink
