"""Measure scrubbing: the engine, the page in a real browser, the payload and the cold start.

    python benchmarks/run.py            # everything; writes BENCHMARKS.md
    python benchmarks/run.py --changes 40 --dates 2000

Every figure is compared with a naive baseline measured in the same run on the same machine:
the engine against a replay of all events per snapshot, the page against a naive page that
rebuilds and remounts the whole map on every change (``KARABAKH_NAIVE_MAP=1``).  The last line
of output sums up: ``scrub p95 = X ms; vs naive = Y x; snapshot p95 = Z us``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from karabakh_map.catalog import HISTORY_START, history_end  # noqa: E402
from karabakh_map.validation import load_catalog  # noqa: E402
from karabakh_map.timeline import Timeline, naive_snapshot  # noqa: E402

MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "median": statistics.median(values), "p95": percentile(values, 95),
            "min": min(values), "max": max(values)}


def machine() -> dict[str, object]:
    mem_kb = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0) if Path("/proc/meminfo").exists() else 0
    return {"cores": os.cpu_count(), "memory_gib": round(mem_kb / 1024 / 1024, 1), "python": platform.python_version(),
            "platform": platform.platform(), "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


# ------------------------------------------------------------------ engine

def bench_engine(n_dates: int) -> dict:
    t0 = time.perf_counter()
    catalog = load_catalog()
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    timeline = Timeline(catalog)
    _ = timeline.zones
    index_s = time.perf_counter() - t0
    rng = random.Random(1988)
    span = (history_end() - HISTORY_START).days
    dates = [HISTORY_START + dt.timedelta(days=rng.randrange(span + 1)) for _ in range(n_dates)]
    indexed, naive = [], []
    for date in dates:
        t = time.perf_counter()
        timeline.snapshot(date)
        indexed.append((time.perf_counter() - t) * 1e6)
    for date in dates[: max(50, n_dates // 10)]:  # the naive replay is slow: a sample is enough
        t = time.perf_counter()
        naive_snapshot(catalog, date)
        naive.append((time.perf_counter() - t) * 1e6)
    return {"load_validate_s": load_s, "index_s": index_s, "snapshot_us": summary(indexed),
            "naive_snapshot_us": summary(naive), "places": len(catalog.places), "events": len(catalog.events)}


# ------------------------------------------------------------------ page

def start_app(port: int, naive: bool) -> tuple[subprocess.Popen, float]:
    env = {**os.environ, "KARABAKH_NAIVE_MAP": "1" if naive else "0"}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import urllib.request
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1):
                break
        except OSError:
            if time.perf_counter() - t0 > 120:
                raise RuntimeError("streamlit did not start")
            time.sleep(0.05)
    return proc, t0


ORANGE_COUNT = ("() => { const f = document.querySelector('%s'); if (!f || !f.contentDocument) return -1;"
                " return [...f.contentDocument.querySelectorAll('path.leaflet-interactive')]"
                ".filter(e => e.getAttribute('fill') === '#E69F00').length; }" % MAP_FRAME.replace("'", "\\'"))

# The date the map shows: both pages stamp it on the map's container once it is drawn.
MAP_DATE = ("() => { const f = document.querySelector('%s'); if (!f || !f.contentDocument) return null;"
            " const d = f.contentDocument.getElementById('map_div') || f.contentDocument.querySelector('.folium-map');"
            " return d ? d.getAttribute('data-km-date') : null; }" % MAP_FRAME.replace("'", "\\'"))


def slider_keys(changes: int) -> list[tuple[str, bool]]:
    """Keyboard moves, each with whether it is measured.  Every measured move shows a date not
    shown before (nothing served from a cache): from today minus k days down in tenths of the
    range (PageDown), for k = 0, 1, 2...; the moves to today and the one-day shifts only set up."""
    keys: list[tuple[str, bool]] = []
    shift = 0
    while sum(measured for _, measured in keys) < changes:
        keys += [("End", False)] + [("ArrowLeft", False)] * shift + [("PageDown", True)] * 9
        shift += 1
    return keys


def bench_page(browser, port: int, naive: bool, changes: int) -> dict:
    proc, t0 = start_app(port, naive)
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 950})
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        received = {"ws": 0, "http": 0}
        urls: dict[str, str] = {}

        def on_response(event):
            urls[event["requestId"]] = event["response"]["url"]

        def on_finished(event):
            url = urls.get(event["requestId"], "")
            # Streamlit's own static bundle is excluded (cached by any real browser after one visit)
            if "/static/js/" in url and "/component/" not in url or "/static/css/" in url and "/component/" not in url \
                    or "/static/media/" in url:
                return
            received["http"] += event.get("encodedDataLength", 0)

        def on_frame(event):
            received["ws"] += len(event["response"]["payloadData"]) * (3 / 4 if event["response"]["opcode"] == 2 else 1)

        cdp.on("Network.responseReceived", on_response)
        cdp.on("Network.loadingFinished", on_finished)
        cdp.on("Network.webSocketFrameReceived", on_frame)
        page.goto(f"http://127.0.0.1:{port}/?date=1991-06-01")
        page.wait_for_selector(MAP_FRAME, timeout=120_000)
        page.frame_locator(MAP_FRAME).locator("path.leaflet-interactive").first.wait_for(timeout=120_000)
        cold_start_s = time.perf_counter() - t0
        page.wait_for_timeout(1500)
        first_load = received["ws"] + received["http"]
        slider = page.get_by_role("slider").first
        latencies, per_change = [], []
        seen: set[str] = set()
        for key, measured in slider_keys(changes):
            before = page.evaluate(MAP_DATE)
            received["ws"] = received["http"] = 0
            slider.focus()
            t = time.perf_counter()
            slider.press(key)
            if not measured:
                try:  # End from today is no move at all
                    page.wait_for_function(f"d => ({MAP_DATE})() !== d", arg=before, timeout=5_000, polling=10)
                except Exception:
                    pass
                page.wait_for_timeout(300)
                continue
            page.wait_for_function(f"d => {{ const now = ({MAP_DATE})(); return now && now !== d; }}", arg=before,
                                   timeout=60_000, polling=10)
            shown = page.evaluate(MAP_DATE)
            latencies.append((time.perf_counter() - t) * 1000)
            page.wait_for_timeout(400)  # let the rerun finish before measuring the next change
            per_change.append(received["ws"] + received["http"])
            if shown in seen:  # never expected; keep the figures honest if the slider ever snaps back
                latencies.pop(), per_change.pop()
            seen.add(shown)
            if len(latencies) >= changes:
                break
        zoom_kept = page.evaluate(f"() => {{ const f = document.querySelector('{MAP_FRAME}');"
                                  " return f && f.contentWindow.map ? f.contentWindow.map.getZoom() : null; }")
        page.close()
        return {"latency_ms": summary(latencies), "first_load_bytes": first_load,
                "per_change_bytes": summary([float(b) for b in per_change]), "cold_start_s": cold_start_s,
                "zoom_after": zoom_kept}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# ------------------------------------------------------------------ report

def write_report(results: dict, path: Path) -> None:
    m, e = results["machine"], results["engine"]
    fast, naive = results["page"], results["page_naive"]
    ratio = naive["latency_ms"]["p95"] / fast["latency_ms"]["p95"]
    engine_ratio = e["naive_snapshot_us"]["median"] / e["snapshot_us"]["median"]
    lines = [
        "# Benchmarks",
        "",
        f"Written by `python benchmarks/run.py` on {m['date']}: {m['cores']} cores, {m['memory_gib']} GiB, "
        f"Python {m['python']}, {m['platform']}. Shared, noisy machines: compare the ratios within one run.",
        "",
        "## Engine",
        "",
        f"{e['places']} places, {e['events']} events.",
        "",
        "| measure | median | p95 | target |",
        "|---|---|---|---|",
        f"| load + validate the catalogue | {e['load_validate_s'] * 1000:.0f} ms | | |",
        f"| build the index and zones | {e['index_s'] * 1000:.0f} ms | | |",
        f"| `snapshot(date)`, {e['snapshot_us']['n']} random dates | {e['snapshot_us']['median']:.0f} µs | "
        f"{e['snapshot_us']['p95']:.0f} µs | p95 < 1,000 µs |",
        f"| naive replay of every event, {e['naive_snapshot_us']['n']} dates | {e['naive_snapshot_us']['median']:.0f} µs | "
        f"{e['naive_snapshot_us']['p95']:.0f} µs | |",
        f"| ratio naive / indexed (median) | {engine_ratio:.1f} x | | |",
        "",
        "## Page (headless Chromium against `streamlit run app.py`)",
        "",
        "Time from a slider change (keyboard PageDown from today minus k days: a new date every time, so no cached",
        f"message) to the map showing that date's colours, over {fast['latency_ms']['n']} changes.",
        "",
        "| page | median | p95 | per change received | first load received | cold start |",
        "|---|---|---|---|---|---|",
        f"| this app | {fast['latency_ms']['median']:.0f} ms | {fast['latency_ms']['p95']:.0f} ms | "
        f"{fast['per_change_bytes']['median'] / 1024:.1f} KB (p95 {fast['per_change_bytes']['p95'] / 1024:.1f} KB) | "
        f"{fast['first_load_bytes'] / 1024:.0f} KB | {fast['cold_start_s']:.1f} s |",
        f"| naive page (`KARABAKH_NAIVE_MAP=1`: rebuild and remount the map) | {naive['latency_ms']['median']:.0f} ms | "
        f"{naive['latency_ms']['p95']:.0f} ms | {naive['per_change_bytes']['median'] / 1024:.1f} KB | "
        f"{naive['first_load_bytes'] / 1024:.0f} KB | {naive['cold_start_s']:.1f} s |",
        f"| ratio naive / this app (p95) | {ratio:.1f} x | | | | |",
        "",
        "Targets: scrub p95 ≤ 300 ms on 2 cores and ≥ 5 x faster than the naive page; first load ≤ 1.5 MB and",
        "≤ 100 KB per change (bytes received over HTTP and the websocket, without tiles and without",
        "Streamlit's own static bundle); cold start ≤ 5 s (from `streamlit run` to the first drawn map).",
        f"The map kept its zoom while scrubbing: zoom after the run = {fast['zoom_after']} (started at 8).",
        "",
    ]
    for extra in results.get("extra_sections", []):
        lines += extra
    path.write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dates", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=30)
    parser.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"))
    args = parser.parse_args(argv)
    results: dict = {"machine": machine()}
    print("engine...", flush=True)
    results["engine"] = bench_engine(args.dates)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        print("page...", flush=True)
        results["page"] = bench_page(browser, 8711, naive=False, changes=args.changes)
        print("naive page...", flush=True)
        results["page_naive"] = bench_page(browser, 8712, naive=True, changes=args.changes)
        browser.close()
    out = Path(args.out)
    previous = out.read_text(encoding="utf-8") if out.exists() else ""
    load_section = re.search(r"\n## Load.*?(?=\n## |\Z)", previous, flags=re.S)
    if load_section:  # keep the figures of the last `benchmarks/load.py` run
        results["extra_sections"] = [load_section.group(0).strip("\n").splitlines() + [""]]
    write_report(results, Path(args.out))
    (ROOT / "benchmarks" / "results.json").write_text(json.dumps(results, indent=1, default=str))
    fast, naive = results["page"], results["page_naive"]
    print(f"scrub p95 = {fast['latency_ms']['p95']:.0f} ms; vs naive = "
          f"{naive['latency_ms']['p95'] / fast['latency_ms']['p95']:.1f} x; "
          f"snapshot p95 = {results['engine']['snapshot_us']['p95']:.0f} us")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
