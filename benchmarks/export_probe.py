"""Scrub latency of the map client: input -> ``data-painted-date``, in real headless Chromium.

    python benchmarks/export_probe.py                 # the static export, from file://
    python benchmarks/export_probe.py --svg           # the same page with Leaflet's SVG renderer

For each input the page itself records the input event's time stamp and the moment the map's
container takes the new ``data-painted-date`` (a MutationObserver), so the figure is the page's
own latency, free of the test driver's round trips.  Inputs, 120 by default, in one run:

* keys on the slider: ArrowRight (a day) and PageUp (a month);
* a drag: the slider's value set and an ``input`` event fired, across the years;
* play, by event: each step of the page's own player.

``measure_scrub(frame, ...)`` takes any playwright Frame that holds the map (the export's page or
the app's iframe), so ``benchmarks/run.py`` reuses it for the app.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"]

# Installed once per page: input time stamps in, painted dates out.
_RECORDER = """() => {
  if (window.__kmProbe) return;
  const probe = window.__kmProbe = {inputs: [], paints: [], frames: []};
  const map = document.querySelector('.folium-map');
  const slider = document.getElementById('date-slider');
  for (const type of ['keydown', 'input']) {
    slider.addEventListener(type, (e) => probe.inputs.push(e.timeStamp), true);
  }
  // the frame after the paint starts once the browser has laid out and drawn it (SVG's real cost)
  new MutationObserver(() => { probe.paints.push([performance.now(), map.getAttribute('data-painted-date')]);
    requestAnimationFrame(() => probe.frames.push(performance.now())); })
    .observe(map, {attributes: true, attributeFilter: ['data-painted-date']});
}"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def _wait_painted(frame, iso: str) -> None:
    frame.wait_for_function("iso => document.querySelector('.folium-map').getAttribute('data-painted-date') === iso",
                            arg=iso, timeout=10_000)


def measure_scrub(frame, page, keys: int = 50, drags: int = 50, plays: int = 20) -> dict:
    """Latencies in ms of keys, drag moves and play steps on the map in ``frame``."""
    frame.evaluate(_RECORDER)
    latencies: dict[str, list[float]] = {"keys": [], "drag": [], "play": []}
    presented: list[float] = []

    def one(kind: str, action) -> None:
        before = frame.evaluate("() => [window.__kmProbe.inputs.length, window.__kmProbe.paints.length]")
        action()
        frame.wait_for_function("n => window.__kmProbe.frames.length > n", arg=before[1], timeout=10_000)
        start, paint, shown = frame.evaluate(
            "n => [window.__kmProbe.inputs[n], window.__kmProbe.paints.at(-1)[0], window.__kmProbe.frames.at(-1)]", before[0])
        latencies[kind].append(paint - start)
        presented.append(shown - start)

    slider = frame.locator("#date-slider")
    frame.evaluate("() => window.karabakhMap.setDate('1990-01-01')")
    _wait_painted(frame, "1990-01-01")
    slider.focus()
    for i in range(keys):
        one("keys", lambda i=i: page.keyboard.press("PageUp" if i % 3 == 0 else "ArrowRight"))
    minimum, maximum = (int(x) for x in frame.evaluate("() => [document.getElementById('date-slider').min, document.getElementById('date-slider').max]"))
    for i in range(drags):
        value = minimum + (maximum - minimum) * (i + 1) // (drags + 1)
        one("drag", lambda value=value: frame.evaluate(
            "v => { const s = document.getElementById('date-slider'); s.value = String(v);"
            " s.dispatchEvent(new Event('input', {bubbles: true})); }", value))
    # play by event: the page's own timer drives it; each step is timed from the timer's call
    frame.evaluate("() => window.karabakhMap.setDate('2020-09-26')")
    _wait_painted(frame, "2020-09-26")
    frame.evaluate("""() => {
      const probe = window.__kmProbe; probe.playStarts = [];
      const original = window.setTimeout;
      window.setTimeout = function (fn, ms, ...rest) {
        if (ms === 700) return original(function () { probe.playStarts.push(performance.now()); fn(); }, ms, ...rest);
        return original(fn, ms, ...rest);
      };
    }""")
    frame.select_option("#play-speed", "event")
    paints_before = frame.evaluate("() => window.__kmProbe.paints.length")
    frame.click("#play")
    frame.wait_for_function("n => window.__kmProbe.playStarts.length >= n", arg=plays + 1, timeout=60_000)
    frame.click("#play")
    starts = frame.evaluate("() => window.__kmProbe.playStarts")
    paints = frame.evaluate("n => window.__kmProbe.paints.slice(n).map(p => p[0])", paints_before)
    for start in starts[:plays]:
        after = [p for p in paints if p >= start]
        if after:
            latencies["play"].append(after[0] - start)
    every = [x for values in latencies.values() for x in values]
    return {
        "steps": len(every),
        "p50_ms": round(statistics.median(every), 2),
        "p95_ms": round(percentile(every, 95), 2),
        "max_ms": round(max(every), 2),
        "next_frame_p50_ms": round(statistics.median(presented), 2),
        "next_frame_p95_ms": round(percentile(presented, 95), 2),
        "by_kind": {k: {"n": len(v), "p50_ms": round(statistics.median(v), 2), "p95_ms": round(percentile(v, 95), 2)}
                    for k, v in latencies.items() if v},
    }


def export_and_measure(svg: bool = False, viewport=(1440, 900)) -> dict:
    from playwright.sync_api import sync_playwright

    from karabakh_map.validation import load_catalog
    from karabakh_map.export import export_site

    with tempfile.TemporaryDirectory() as tmp:
        export_site(load_catalog(), tmp)
        index = Path(tmp) / "index.html"
        if svg:  # the same page with Leaflet's SVG renderer, for the comparison
            index.write_text(index.read_text(encoding="utf-8").replace('"preferCanvas": true', '"preferCanvas": false')
                             .replace("renderers[name] = L.canvas(", "renderers[name] = L.svg("), encoding="utf-8")
            js = Path(tmp) / "mapclient.js"
            js.write_text(js.read_text(encoding="utf-8").replace("L.canvas({", "L.svg({"), encoding="utf-8")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            page.goto(index.as_uri())
            page.wait_for_selector("body[data-ready=true]")
            result = measure_scrub(page.main_frame, page)
            result["renderer"] = "svg" if svg else "canvas"
            browser.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--svg", action="store_true", help="measure with Leaflet's SVG renderer instead of canvas")
    args = parser.parse_args()
    result = export_and_measure(svg=args.svg)
    print(json.dumps(result, indent=2))
    print(f"export scrub ({result['renderer']}): p50 = {result['p50_ms']} ms; p95 = {result['p95_ms']} ms "
          f"over {result['steps']} steps (to the next frame, keys and drag: p50 {result['next_frame_p50_ms']} ms, "
          f"p95 {result['next_frame_p95_ms']} ms)")


if __name__ == "__main__":
    main()
