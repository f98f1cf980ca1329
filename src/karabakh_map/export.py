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
    DIR/figures/karabakh-control-YYYY-MM-DD.png
                                     "Download figure": figure.render for each key date
                                     (view.KEY_DATES), 1500 px wide, 256-colour PNG

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
* A static page cannot draw a figure on demand, so the figures of the key dates are drawn at
  export time and the panel links the one of the nearest key date at or before the chosen date
  ("Figure for <key date>").  PNG, not SVG: an SVG of the map is about 1 MB (every zone, hatch
  and label as vector paths) against about 0.15 MB for a 1500 px PNG reduced to 256 colours (the
  map has few distinct colours; the reduction is Pillow's median cut, without dithering, so the
  bytes are reproducible).  1500 px prints about 12.5 cm wide at 300 dpi; ``karabakh-map figure``
  draws any date at full print quality.  The figures are only fetched on a click, so the
  first-load budget (1.5 MB) does not count them; the whole site stays under 3 MB.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import io

from karabakh_map import figure, mapclient
from karabakh_map.catalog import HISTORY_START, STATIC_DIR, Catalog
from karabakh_map.timeline import Timeline
from karabakh_map.view import KEY_DATES

ASSETS_DIR = mapclient.ASSETS_DIR
CLIENT_FILES = ("mapclient.js", "mapclient.css")
# Leaflet as the app serves it (static/ beside app.py): the same files, bundled beside index.html.
LEAFLET_DIR = STATIC_DIR / "leaflet"
LEAFLET_FILES = ("leaflet.js", "leaflet.css", "LICENSE")
LEAFLET_IMAGES = ("layers.png", "layers-2x.png", "marker-icon.png", "marker-icon-2x.png", "marker-shadow.png")

SIZE_BUDGET_BYTES = 3_000_000  # the whole site, figures included
FIRST_LOAD_BUDGET_BYTES = 1_500_000  # the first-load budget: what opening index.html loads
FIGURES_DIR = "figures"
FIGURE_DPI = 150  # 1500 px wide (figure.FIGURE_WIDTH_IN is 10 in)
FIGURE_COLOURS = 256

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


def figure_links(dates=None) -> list[dict]:
    """The key dates' figures as the page links them: ``{"label", "date", "href"}``, by date."""
    dates = KEY_DATES if dates is None else dates
    return [{"label": label, "date": date.isoformat(), "href": f"{FIGURES_DIR}/{figure.figure_filename(date)}"}
            for label, date in sorted(dates.items(), key=lambda item: item[1])]


def key_date_figure(timeline: Timeline, date) -> bytes:
    """One key date's figure as the export ships it: ``figure.render`` at 1500 px, reduced to a
    256-colour PNG (about a third of the bytes; reproducible)."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    rendered = Image.open(io.BytesIO(figure.render(timeline, date, fmt="png", dpi=FIGURE_DPI)))
    reduced = rendered.convert("RGB").quantize(colors=FIGURE_COLOURS, method=Image.Quantize.MEDIANCUT,
                                               dither=Image.Dither.NONE)
    info = PngInfo()
    info.add_text("Title", figure.title_for(date))
    buffer = io.BytesIO()
    reduced.save(buffer, format="PNG", optimize=True, pnginfo=info)
    return buffer.getvalue()


def site_html(timeline: Timeline, figures: list[dict] | None = None) -> str:
    """The export's index.html: the map page, standalone, with the site's security policy;
    ``figures`` (``figure_links()``) are linked from the panel."""
    page = mapclient.page_html(mapclient.build_map(timeline, asset_base="static", standalone=True, inline_client=False,
                                                   figures=figures))
    head = page.index("<head>") + len("<head>")
    # the policy must come before anything it governs
    return page[:head] + "\n    " + _HEAD_EXTRA + page[head:]


def export_site(catalog: Catalog, out_dir: Path | str, timeline: Timeline | None = None, *,
                figures: bool = True) -> str:
    """Write the static site into ``out_dir`` and return a one-paragraph report.  ``figures=False``
    leaves out the key dates' figures (and their links): quicker, for tests of the page alone."""
    timeline = timeline or Timeline(catalog)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot create the output directory {out}: {exc.strerror or exc}") from None
    written: list[Path] = []
    links = figure_links() if figures else []
    index = out / "index.html"
    index.write_bytes(site_html(timeline, links).encode("utf-8"))
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
    # the figures last: drawing them takes seconds, and a place that cannot be written fails above
    for link in links:
        target = out / link["href"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(key_date_figure(timeline, dt.date.fromisoformat(link["date"])))
        written.append(target)

    total = sum(p.stat().st_size for p in written)
    if total > SIZE_BUDGET_BYTES:
        raise ExportError(f"the export is {total:,} bytes, over the {SIZE_BUDGET_BYTES:,}-byte budget")
    figure_bytes = sum((out / link["href"]).stat().st_size for link in links)
    data = mapclient.client_data(timeline)
    counts = {layer: sum(1 for p in catalog.places.values() if p.layer == layer) for layer in ("region", "settlement", "road")}
    return (f"Exported the static map to {out}: {counts['region']} regions, {counts['settlement']} settlements, "
            f"{counts['road']} roads, {len(data['zones'])} control zones, {len(catalog.events)} events and "
            f"{len(catalog.sources)} sources, from {HISTORY_START.isoformat()} to the reader's today; "
            f"{len(written)} files, {total:,} bytes in all (index.html {index.stat().st_size:,} bytes; "
            f"{len(links)} key-date figures, {figure_bytes:,} bytes). "
            f"Open {index} in a browser: it works from file:// or any static host, with no server, "
            f"and sends no request while you scrub.")
