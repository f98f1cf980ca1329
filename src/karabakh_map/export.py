"""The static site: ``karabakh-map export --out DIR`` writes the app's map as a page that needs no server.

    >>> from pathlib import Path
    >>> from karabakh_map.validation import load_catalog
    >>> print(export_site(load_catalog(), Path("site")))  # doctest: +SKIP
    Exported the static map to site: ...

The export is not a second map: ``DIR/index.html`` is ``mapclient.build_map(...)`` rendered by
folium, the very page the app shows in its iframe, built with ``standalone=True`` so that it also
carries the place panel, search, names switch, key dates and "what changed", and reads and writes
its view in the query string (``?date=&place=&names=&lat=&lon=&zoom=``, as in the app).

What is written::

    DIR/index.html                   the folium page; the data is a <script> inside it
    DIR/mapclient.js, mapclient.css  the map client (karabakh_map/mapclient_assets/), linked
    DIR/static/leaflet/...           Leaflet, copied from the project's static/leaflet

Why this shape:

* It opens from a ``file://`` URL, from any static host or from a USB stick.  Browsers refuse
  ``fetch``/XHR on ``file://`` pages, so the data is a script in the page, not JSON fetched at
  run time; the page's Content-Security-Policy forbids every connection (``connect-src 'none'``),
  so scrubbing provably sends no request.  Inline scripts are allowed because folium writes the
  map's set-up as inline script; the data in it is escaped so that no string can end the script
  (``mapclient.script_json``).
* Every date is answered in the browser from the state tracks that ``mapclient.client_data``
  computes with ``Timeline.state`` (its docstring has the format); no rule is re-implemented.
* The bytes are reproducible: folium's random element ids are replaced by a counter
  (``mapclient.page_html``), every list is in catalogue or sorted order, and nothing depends on
  the clock (the slider ends on the reader's today, computed in the browser).
* Map tiles are off: the data layers, legend and panel draw with no network at all.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from karabakh_map import mapclient
from karabakh_map.catalog import HISTORY_START, STATIC_DIR, Catalog
from karabakh_map.timeline import Timeline

ASSETS_DIR = mapclient.ASSETS_DIR
CLIENT_FILES = ("mapclient.js", "mapclient.css")
# Leaflet as the app serves it (static/ beside app.py): the same files, bundled beside index.html.
LEAFLET_DIR = STATIC_DIR / "leaflet"
LEAFLET_FILES = ("leaflet.js", "leaflet.css", "LICENSE")
LEAFLET_IMAGES = ("layers.png", "layers-2x.png", "marker-icon.png", "marker-icon-2x.png", "marker-shadow.png")

SIZE_BUDGET_BYTES = 1_500_000  # the first-load budget, for the whole site

# Defence in depth: no fetch/XHR/WebSocket, no plugins, no forms; scripts and styles only from the
# site itself (and folium's inline set-up); images also from the tile server, for the opt-in layer.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self' file: 'unsafe-inline'; "
                           "style-src 'self' file: 'unsafe-inline'; img-src 'self' file: data: https://tile.openstreetmap.org; "
                           "connect-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'")
_HEAD_EXTRA = (f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">\n'
               '    <meta name="referrer" content="no-referrer">\n'
               '    <title>Karabakh control map, 1988-today</title>\n')


class ExportError(Exception):
    """The export could not be written as promised (a missing asset, the size budget exceeded)."""


def _copy(source: Path, target: Path) -> None:
    if not source.is_file():
        raise ExportError(f"missing asset {source}: reinstall karabakh-map from a source checkout")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)  # bytes only: no timestamps or modes, so the output is reproducible


def site_html(timeline: Timeline) -> str:
    """The export's index.html: the map page, standalone, with the site's security policy."""
    page = mapclient.page_html(mapclient.build_map(timeline, asset_base="static", standalone=True, inline_client=False))
    head = page.index("<head>") + len("<head>")
    # the policy must come before anything it governs
    return page[:head] + "\n    " + _HEAD_EXTRA + page[head:]


def export_site(catalog: Catalog, out_dir: Path | str, timeline: Timeline | None = None) -> str:
    """Write the static site into ``out_dir`` and return a one-paragraph report."""
    timeline = timeline or Timeline(catalog)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot create the output directory {out}: {exc.strerror or exc}") from None
    written: list[Path] = []
    index = out / "index.html"
    index.write_bytes(site_html(timeline).encode("utf-8"))
    written.append(index)
    for name in CLIENT_FILES:
        _copy(ASSETS_DIR / name, out / name)
        written.append(out / name)
    leaflet_out = out / "static" / "leaflet"
    for name in LEAFLET_FILES:
        _copy(LEAFLET_DIR / name, leaflet_out / name)
        written.append(leaflet_out / name)
    for name in LEAFLET_IMAGES:
        _copy(LEAFLET_DIR / "images" / name, leaflet_out / "images" / name)
        written.append(leaflet_out / "images" / name)

    total = sum(p.stat().st_size for p in written)
    if total > SIZE_BUDGET_BYTES:
        raise ExportError(f"the export is {total:,} bytes, over the {SIZE_BUDGET_BYTES:,}-byte budget")
    data = mapclient.client_data(timeline)
    counts = {layer: sum(1 for p in catalog.places.values() if p.layer == layer) for layer in ("region", "settlement", "road")}
    return (f"Exported the static map to {out}: {counts['region']} regions, {counts['settlement']} settlements, "
            f"{counts['road']} roads, {len(data['zones'])} control zones, {len(catalog.events)} events and "
            f"{len(catalog.sources)} sources, from {HISTORY_START.isoformat()} to the reader's today; "
            f"{len(written)} files, {total:,} bytes in all (index.html {index.stat().st_size:,} bytes). "
            f"Open {index} in a browser: it works from file:// or any static host, with no server, "
            f"and sends no request while you scrub.")
