"""Measure scrubbing in the app, the static export and the server-round-trip baseline, in one run.

    python benchmarks/run.py                    # everything; writes BENCHMARKS.md
    python benchmarks/run.py --keys 100 --drag 30

For each page, in headless Chromium on this machine: the time from an input (a key on the date
slider, a drag move, play) to ``data-painted-date`` showing the new date, measured inside the
map's document (see measure.py).  Three pages, same steps, same run:

- the app (``streamlit run app.py``): the map paints in the browser, the server hears the date
  after a step or a release;
- the static export (``karabakh-map export``), served over HTTP from a local directory;
- the baseline (``KARABAKH_SERVER_SCRUB=1``): the same app whose map paints only when the server
  answers, i.e. the old server round trip.

Also: release -> panel and URL updated (app), bytes of the first load, cold start (from
``streamlit run`` to the first painted map), and the engine's ``snapshot``.  The last line sums
up: ``scrub p95 = X ms; vs naive = Y x; snapshot p95 = Z us`` (naive = the baseline).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import functools
import gzip
import http.server
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from measure import (CHROMIUM, CHROMIUM_ARGS, INSTALL_PROBE, LAST_INPUT, LAST_PAINT, MAP_FRAME, PAINT_COUNT,  # noqa: E402
                     free_port, start_app, stop, summary)

START_DATE = "2000-01-01"


def machine() -> dict[str, object]:
    mem_kb = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0) if Path("/proc/meminfo").exists() else 0
    return {"cores": os.cpu_count(), "memory_gib": round(mem_kb / 1024 / 1024, 1), "python": platform.python_version(),
            "platform": platform.platform(), "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "load_average_1min": round(os.getloadavg()[0], 1)}


# ------------------------------------------------------------------ engine

def bench_engine(n_dates: int) -> dict:
    from karabakh_map.catalog import HISTORY_START, history_end
    from karabakh_map.validation import load_catalog
    from karabakh_map.timeline import Timeline

    t0 = time.perf_counter()
    catalog = load_catalog()
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    timeline = Timeline(catalog)
    index_s = time.perf_counter() - t0
    rng = random.Random(1988)
    span = (history_end() - HISTORY_START).days
    samples = []
    for _ in range(n_dates):
        date = HISTORY_START + dt.timedelta(days=rng.randrange(span + 1))
        t = time.perf_counter()
        timeline.snapshot(date)
        samples.append((time.perf_counter() - t) * 1e6)
    return {"load_validate_s": load_s, "index_s": index_s, "snapshot_us": summary(samples),
            "places": len(catalog.places), "events": len(catalog.events)}


# ------------------------------------------------------------------ one page

def open_map(page, url: str, in_app: bool):
    page.goto(url)
    if in_app:
        page.wait_for_selector(MAP_FRAME, state="attached", timeout=120_000)
        frame = page.locator(MAP_FRAME).element_handle().content_frame()
    else:
        frame = page.main_frame
    frame.wait_for_selector("[data-painted-date]", state="attached", timeout=120_000)
    frame.wait_for_function(INSTALL_PROBE, timeout=30_000)
    return frame


def step_latency(frame, act, timeout_ms: float) -> float | None:
    """Run ``act()`` (one input) and return input -> paint in ms, or None if nothing was painted."""
    before = frame.evaluate(PAINT_COUNT)
    act()
    try:
        frame.wait_for_function(f"n => ({PAINT_COUNT})() > n", arg=before, timeout=timeout_ms, polling=5)
    except Exception:
        return None
    _, painted_at = frame.evaluate(LAST_PAINT)
    _, input_at = frame.evaluate(LAST_INPUT)
    return painted_at - input_at


def key_sequence(count: int) -> list[str]:
    """Keys that each move to a date not shown just before (from 2000-01-01: days, months, back)."""
    pattern = ["ArrowRight"] * 10 + ["PageDown"] * 5 + ["ArrowLeft"] * 5 + ["PageUp"] * 8
    return (pattern * (count // len(pattern) + 1))[:count]


def scrub(page, frame, keys: int, drag_moves: int, timeout_ms: float) -> dict:
    slider = frame.get_by_role("slider").first
    slider.focus()
    key_ms, drag_ms = [], []
    for key in key_sequence(keys):
        latency = step_latency(frame, lambda: slider.press(key), timeout_ms)
        if latency is not None:
            key_ms.append(latency)
    box = slider.bounding_box()  # page coordinates, the frame's offset included
    y = box["y"] + box["height"] / 2
    x = box["x"] + box["width"] * 0.3
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(drag_moves):
        x += 4 if i % 20 < 10 else -4
        latency = step_latency(frame, lambda: page.mouse.move(x, y), timeout_ms)
        if latency is not None:
            drag_ms.append(latency)
    page.mouse.up()
    return {"keys_ms": key_ms, "drag_ms": drag_ms, "all_ms": key_ms + drag_ms}


def play(frame, seconds: float) -> dict:
    """Play for a few seconds: dates painted and the longest gap between two paints."""
    button = frame.locator("#play")  # the map client's Play (a button whose label changes to Pause)
    if not button.count():
        return {"found": False}
    before = frame.evaluate(PAINT_COUNT)
    button.click()
    frame.wait_for_timeout(seconds * 1000)
    paints = frame.evaluate("n => window.__bench.paints.slice(n)", before)
    button.click()
    gaps = [b[1] - a[1] for a, b in zip(paints, paints[1:])]
    return {"found": True, "dates_painted": len(paints), "max_gap_ms": max(gaps) if gaps else None}


def release_to_panel(page, frame, samples: int) -> list[float]:
    """A key step (the map tells the server) -> the URL and the panel show the date."""
    slider = frame.get_by_role("slider").first
    slider.focus()
    result = []
    for i in range(samples):
        t = time.perf_counter()
        slider.press("ArrowRight" if i % 2 == 0 else "PageUp")
        frame.wait_for_function(f"() => ({PAINT_COUNT})() > 0", timeout=5_000)
        date = frame.evaluate(LAST_PAINT)[0]
        day = dt.date.fromisoformat(date)
        shown = f"On {day.day} {day.strftime('%B %Y')}"
        try:
            page.wait_for_function(
                "([d, s]) => new URLSearchParams(location.search).get('date') === d && "
                "(document.querySelector('[data-testid=\"place-controller\"]')?.innerText || '').startsWith(s)",
                arg=[date, shown], timeout=15_000, polling=10)
        except Exception:
            continue
        result.append((time.perf_counter() - t) * 1000)
        page.wait_for_timeout(200)
    return result


class ByteCounter:
    """Bytes received by a page over HTTP and the websocket; Streamlit's own bundle counted apart."""

    def __init__(self, page):
        self.total = self.streamlit_bundle = self.websocket = 0
        self.urls: dict[str, str] = {}
        self.ours: dict[str, int] = {}
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.on("Network.responseReceived", lambda e: self.urls.__setitem__(e["requestId"], e["response"]["url"]))
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.webSocketFrameReceived", self._frame)

    def _frame(self, event):
        payload = event["response"]["payloadData"]
        size = len(payload) * 3 / 4 if event["response"]["opcode"] == 2 else len(payload.encode())  # base64 if binary
        self.websocket += size
        self._add(size)

    def _finished(self, event):
        url = self.urls.get(event["requestId"], "")
        size = event.get("encodedDataLength", 0)
        if not url.startswith("http"):  # the iframe's srcdoc: the page already counted on the websocket
            return
        if re.search(r"/static/(js|css|media)/", url) and "/app/static/" not in url:
            self.streamlit_bundle += size
        else:
            self.ours[url] = self.ours.get(url, 0) + size
        self._add(size)

    def _add(self, size: float) -> None:
        self.total += size


def bench_app(browser, args, env_extra: dict, label: str) -> dict:
    port = free_port()
    proc, started = start_app(port, env_extra)
    try:
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        counter = ByteCounter(page)
        frame = open_map(page, f"http://127.0.0.1:{port}/?date={START_DATE}&place=Shusha", in_app=True)
        cold_start_s = time.perf_counter() - started
        page.wait_for_timeout(1500)
        first_load = {"total": counter.total, "streamlit_bundle": counter.streamlit_bundle,
                      "websocket": counter.websocket,
                      "largest_other": sorted(counter.ours.items(), key=lambda kv: -kv[1])[:8]}
        print(f"  {label}: scrubbing...", flush=True)
        result = {"cold_start_s": cold_start_s, "first_load_bytes": first_load,
                  **scrub(page, frame, args.keys, args.drag, timeout_ms=20_000)}
        result["play"] = play(frame, 3)
        if not env_extra:
            print(f"  {label}: release -> panel and URL...", flush=True)
            result["release_ms"] = release_to_panel(page, frame, args.releases)
            result["zoom_kept"] = frame.evaluate(
                "() => Object.values(window).find(v => v && window.L && v instanceof L.Map)?.getZoom() ?? null")
        page.close()
        return result
    finally:
        stop(proc)


class WireCounter:
    """A TCP relay between the browser and the app that counts the bytes the browser receives, as
    they cross the wire: websocket frames as sent (deflated), HTTP bodies as sent."""

    def __init__(self, target_port: int):
        self.port, self.target, self.received = free_port(), target_port, 0
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self._serve, args=(ready,), daemon=True).start()
        ready.wait(10)

    def _serve(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)

        async def relay(reader, writer, counted: bool):
            try:
                while data := await reader.read(65536):
                    if counted:
                        self.received += len(data)
                    writer.write(data)
                    await writer.drain()
            except OSError:
                pass
            finally:
                writer.close()

        async def connection(client_reader, client_writer):
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.target)
            await asyncio.gather(relay(client_reader, server_writer, False), relay(server_reader, client_writer, True))

        self.server = self.loop.run_until_complete(asyncio.start_server(connection, "127.0.0.1", self.port))
        ready.set()
        self.loop.run_forever()

    def close(self) -> None:
        async def shutdown():
            self.server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)


def first_load_on_the_wire(browser) -> dict:
    """Bytes a first visit receives on the wire (through WireCounter), and what Streamlit's bundle
    would weigh if the host compressed it (gzip -6, as a hosting proxy does; the local server never
    compresses the bundle)."""
    port = free_port()
    proc, _ = start_app(port, {})
    wire = WireCounter(port)
    try:
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        counter = ByteCounter(page)
        open_map(page, f"http://127.0.0.1:{wire.port}/?date={START_DATE}&place=Shusha", in_app=True)
        page.wait_for_timeout(1500)
        bundle_urls = [url for url in counter.urls.values() if re.search(r"/static/(js|css|media)/", url)
                       and "/app/static/" not in url]
        gzipped = 0
        for url in set(bundle_urls):
            with urllib.request.urlopen(url.replace(f":{wire.port}/", f":{port}/"), timeout=10) as response:
                gzipped += len(gzip.compress(response.read(), compresslevel=6))
        page.close()
        return {"wire_total": wire.received, "bundle_received": counter.streamlit_bundle,
                "bundle_gzipped": gzipped, "decoded_total": counter.total}
    finally:
        wire.close()
        stop(proc)


# A one-line Streamlit page: this machine's floor for any cold start (the server, the browser
# fetching and starting Streamlit's bundle, one script run), measured in the same run.
FLOOR_PAGE = 'import streamlit as st\nst.markdown("ready")\n'


def cold_start(browser, script: str) -> float:
    """``streamlit run <script>`` -> the first painted map (for the floor page: its text shown), in a
    new browser context (nothing cached)."""
    port = free_port()
    proc, started = start_app(port, {}, script=script)
    try:
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        url = f"http://127.0.0.1:{port}/?date={START_DATE}&place=Shusha"
        if script.endswith("_floor.py"):
            page.goto(url)
            page.get_by_text("ready").wait_for(timeout=120_000)
        else:
            open_map(page, url, in_app=True)
        elapsed = time.perf_counter() - started
        page.close()
        return elapsed
    finally:
        stop(proc)


def cold_starts(browser, count: int) -> dict[str, list[float]]:
    """Cold starts, interleaved so a noisy machine weighs on each alike: the app (``app.py``, which
    prepares the data as the server starts), the same page without that (``page.py``), and the
    floor (a one-line page)."""
    floor = ROOT / "benchmarks" / "_floor.py"  # run from the project's root: the same server settings
    floor.write_text(FLOOR_PAGE, encoding="utf-8")
    samples: dict[str, list[float]] = {"app": [], "page": [], "floor": []}
    try:
        for _ in range(count):
            samples["app"].append(cold_start(browser, "app.py"))
            samples["page"].append(cold_start(browser, "page.py"))
            samples["floor"].append(cold_start(browser, str(floor.relative_to(ROOT))))
    finally:
        floor.unlink(missing_ok=True)
    return samples


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # one line per request would bury the progress lines
        pass


def bench_export(browser, args) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        subprocess.run([sys.executable, "-m", "karabakh_map", "export", "--out", str(site)], check=True,
                       env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}, cwd=ROOT,
                       stdout=subprocess.DEVNULL)
        size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
        handler = functools.partial(QuietHandler, directory=str(site))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            frame = open_map(page, f"http://127.0.0.1:{server.server_port}/index.html?date={START_DATE}", in_app=False)
            result = {"site_bytes": size, **scrub(page, frame, args.keys, args.drag, timeout_ms=5_000)}
            result["play"] = play(frame, 3)
            page.close()
            return result
        finally:
            server.shutdown()


# ------------------------------------------------------------------ report

def _row(name: str, values: list[float]) -> str:
    s = summary(values)
    return f"| {name} | {s['n']} | {s['median']:.1f} ms | {s['p95']:.1f} ms | {s['max']:.1f} ms |"


def write_report(results: dict, path: Path) -> str:
    m, e = results["machine"], results["engine"]
    app, export, base, wire = results["app"], results["export"], results["baseline"], results["wire"]
    cold = results["cold_starts"]
    app_p95 = summary(app["all_ms"])["p95"]
    export_p95 = summary(export["all_ms"])["p95"] if export.get("all_ms") else float("nan")
    base_p95 = summary(base["all_ms"])["p95"]
    release = summary(app.get("release_ms", []))
    headline = (f"scrub p95 = {app_p95:.1f} ms; vs naive = {base_p95 / app_p95:.1f} x; "
                f"snapshot p95 = {e['snapshot_us']['p95']:.0f} us")
    lines = [
        "# Benchmarks", "",
        f"Written by `python benchmarks/run.py` on {m['date']}: {m['cores']} cores, {m['memory_gib']} GiB, "
        f"Python {m['python']}, {m['platform']}. A shared, noisy machine (load average {m['load_average_1min']} "
        f"at the start, on {m['cores']} cores): compare within one run.", "",
        headline, "",
        "## Scrubbing: input -> `data-painted-date` (headless Chromium)", "",
        "Measured inside the map's document on one clock (the input event's timeStamp to the mutation that "
        f"stamped the painted date). Keys: {len(app['keys_ms'])} steps (arrows, PageUp/PageDown from {START_DATE}); "
        "drag: moves of 4 px with the button held.", "",
        "| page | steps | median | p95 | max |", "|---|---|---|---|---|",
        _row("app (keys + drag)", app["all_ms"]), _row("app, keys", app["keys_ms"]), _row("app, drag", app["drag_ms"]),
        _row("export (keys + drag)", export.get("all_ms", [])),
        _row("baseline `KARABAKH_SERVER_SCRUB=1` (keys + drag)", base["all_ms"]), "",
        f"- app p95 / export p95 = {app_p95 / export_p95:.2f} (target ≤ 2.5); app p95 target ≤ 50 ms.",
        f"- baseline p95 / app p95 = {base_p95 / app_p95:.1f} x (target ≥ 8 x).",
        f"- play, 3 s: app {app['play']}; export {export.get('play')}.", "",
        "## Release -> panel and URL (app)", "",
        f"A key step on the map, to the address bar and the panel both showing that date, {release['n']} steps: "
        f"median {release['median']:.0f} ms, p95 {release['p95']:.0f} ms (target ≤ 600 ms; includes the map's "
        "150 ms step debounce).", "",
        "## Load and start", "",
        "| measure | app | baseline | export |", "|---|---|---|---|",
        f"| first load received, decoded (CDP: websocket frames inflated) | {app['first_load_bytes']['total'] / 1024:.0f} KB | "
        f"{base['first_load_bytes']['total'] / 1024:.0f} KB | {export.get('site_bytes', 0) / 1024:.0f} KB (site on disk) |",
        f"| of which Streamlit's own bundle (cached after a first visit) | "
        f"{app['first_load_bytes']['streamlit_bundle'] / 1024:.0f} KB | "
        f"{base['first_load_bytes']['streamlit_bundle'] / 1024:.0f} KB | |",
        f"| this project's own bytes, decoded (all minus Streamlit's bundle; the map page goes over the websocket) | "
        f"{(app['first_load_bytes']['total'] - app['first_load_bytes']['streamlit_bundle']) / 1024:.0f} KB "
        f"(target ≤ 1,536 KB) | "
        f"{(base['first_load_bytes']['total'] - base['first_load_bytes']['streamlit_bundle']) / 1024:.0f} KB | |",
        f"| on the wire (a relay counting what the browser receives; the map page deflated over the websocket) | "
        f"{wire['wire_total'] / 1024:.0f} KB, of which this project's {(wire['wire_total'] - wire['bundle_received']) / 1024:.0f} KB | | |",
        f"| the same, with Streamlit's bundle gzip-compressed as a hosting proxy serves it (computed: gzip -6 of the "
        f"same files) | {(wire['wire_total'] - wire['bundle_received'] + wire['bundle_gzipped']) / 1024:.0f} KB "
        f"(target ≤ 1,536 KB) | | |",
        f"| cold start: `streamlit run` -> first painted map (the run above) | {app['cold_start_s']:.1f} s | "
        f"{base['cold_start_s']:.1f} s | |",
        f"| cold start, median of {len(cold['app'])} more (new server, new browser context each) | "
        f"{statistics.median(cold['app']):.1f} s ({', '.join(f'{x:.1f}' for x in cold['app'])}) | | |",
        f"| the same page without the warm-up (`streamlit run page.py`), interleaved | "
        f"{statistics.median(cold['page']):.1f} s ({', '.join(f'{x:.1f}' for x in cold['page'])}) | | |",
        f"| this machine's floor: a one-line Streamlit page, interleaved | "
        f"{statistics.median(cold['floor']):.1f} s ({', '.join(f'{x:.1f}' for x in cold['floor'])}) | | |", "",
        f"- cold start: app / floor = {statistics.median(cold['app']) / statistics.median(cold['floor']):.2f}; "
        f"the warm-up saves {statistics.median(cold['page']) - statistics.median(cold['app']):.1f} s "
        f"(page.py / app.py = {statistics.median(cold['page']) / statistics.median(cold['app']):.2f}).", "",
        "Cold start target ≤ 5 s, from `streamlit run app.py` to the map painted in a browser that caches nothing. "
        "It includes starting Streamlit, the browser fetching and starting Streamlit's bundle, importing geopandas, "
        "folium and pandas, loading the catalogue and building the map's state tracks. app.py's lifespan "
        "(karabakh_map/warmup.py) does the last three in a background thread as the server starts, while the "
        "browser loads Streamlit.", "",
        f"The map kept the reader's zoom through all the steps: zoom after the run = {app.get('zoom_kept')} "
        "(the page opened at 8).", "",
        "## Engine", "",
        f"{e['places']} places, {e['events']} events. Load + validate {e['load_validate_s'] * 1000:.0f} ms; "
        f"index {e['index_s'] * 1000:.0f} ms; `snapshot(date)` over {e['snapshot_us']['n']} random dates: median "
        f"{e['snapshot_us']['median']:.0f} µs, p95 {e['snapshot_us']['p95']:.0f} µs.", "",
    ]
    previous = path.read_text(encoding="utf-8") if path.exists() else ""
    load_section = re.search(r"\n## Load \(`python benchmarks/load.py`\).*?(?=\n## |\Z)", previous, flags=re.S)
    if load_section:  # keep the figures of the last `benchmarks/load.py` run
        lines += load_section.group(0).strip("\n").splitlines() + [""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return headline


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dates", type=int, default=1000, help="random dates for the engine's snapshot")
    parser.add_argument("--keys", type=int, default=100)
    parser.add_argument("--drag", type=int, default=40)
    parser.add_argument("--releases", type=int, default=20)
    parser.add_argument("--cold-starts", type=int, default=5, help="extra cold starts, for their median")
    parser.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"))
    args = parser.parse_args(argv)
    results: dict = {"machine": machine()}
    print("engine...", flush=True)
    results["engine"] = bench_engine(args.dates)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        print("app...", flush=True)
        results["app"] = bench_app(browser, args, {}, "app")
        print("export...", flush=True)
        try:
            results["export"] = bench_export(browser, args)
        except Exception as exc:  # reported, not hidden: the app's figures still stand
            results["export"] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        print("first load on the wire...", flush=True)
        results["wire"] = first_load_on_the_wire(browser)
        print(f"cold starts ({args.cold_starts})...", flush=True)
        results["cold_starts"] = cold_starts(browser, args.cold_starts)
        print("baseline (KARABAKH_SERVER_SCRUB=1)...", flush=True)
        results["baseline"] = bench_app(browser, args, {"KARABAKH_SERVER_SCRUB": "1"}, "baseline")
        browser.close()
    headline = write_report(results, Path(args.out))
    (ROOT / "benchmarks" / "results.json").write_text(json.dumps(results, indent=1, default=str))
    print(headline)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
