"""Load: N concurrent headless Chromium sessions scrubbing one `streamlit run` server.

    python benchmarks/load.py                 # 10 sessions, 60 s
    python benchmarks/load.py --sessions 4 --seconds 20

Each session opens the app, then moves the date slider (alternating to the first and the last
day) and waits until the map shows the new colours, again and again until the time is up.
An error is any timeout, page error or Streamlit exception shown on the page.  Traffic goes to
127.0.0.1 only; the loop is bounded by --seconds and stops by itself.  Figures go to
benchmarks/load-results.json and the "Load" section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from run import CHROMIUM, CHROMIUM_ARGS, MAP_FRAME, ORANGE_COUNT, machine, summary  # noqa: E402


def start_server(port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("streamlit did not start")


async def session(browser, url: str, seconds: float, index: int, results: dict) -> None:
    context = await browser.new_context(viewport={"width": 1300, "height": 900})
    page = await context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    try:
        await page.goto(url, timeout=120_000)
        await page.frame_locator(MAP_FRAME).locator("path.leaflet-interactive").first.wait_for(timeout=120_000)
        slider = page.get_by_role("slider").first
        end = time.perf_counter() + seconds
        i = index  # sessions start on different ends
        while time.perf_counter() < end:
            before = await page.evaluate(ORANGE_COUNT)
            await slider.focus()
            t = time.perf_counter()
            await slider.press("End" if i % 2 == 0 else "Home")
            try:
                await page.wait_for_function(f"n => ({ORANGE_COUNT})() !== n && ({ORANGE_COUNT})() >= 0",
                                             arg=before, timeout=30_000, polling=20)
                results["latencies"].append((time.perf_counter() - t) * 1000)
            except Exception as exc:  # a timeout is an error, then we go on
                results["errors"].append(f"session {index}: {type(exc).__name__}: {str(exc)[:120]}")
            if await page.locator('[data-testid="stException"]').count():
                results["errors"].append(f"session {index}: Streamlit exception on the page")
            i += 1
            await page.wait_for_timeout(200)
    except Exception as exc:
        results["errors"].append(f"session {index}: {type(exc).__name__}: {str(exc)[:160]}")
    finally:
        results["errors"].extend(f"session {index}: page error: {e[:160]}" for e in page_errors)
        await context.close()


async def run(sessions: int, seconds: float, port: int) -> dict:
    from playwright.async_api import async_playwright

    results: dict = {"latencies": [], "errors": []}
    proc = start_server(port)
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            url = f"http://127.0.0.1:{port}/?date=1991-06-01"
            await asyncio.gather(*(session(browser, url, seconds, i, results) for i in range(sessions)))
            await browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return results


def update_benchmarks_md(section: list[str]) -> None:
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    text = re.sub(r"\n## Load.*?(?=\n## |\Z)", "", text, flags=re.S).rstrip("\n")
    path.write_text(text + "\n\n" + "\n".join(section) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--port", type=int, default=8731)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results = asyncio.run(run(args.sessions, args.seconds, args.port))
    m = machine()
    lat = summary(results["latencies"]) if results["latencies"] else {"median": float("nan"), "p95": float("nan"), "n": 0}
    report = {"sessions": args.sessions, "seconds": args.seconds, "changes": len(results["latencies"]),
              "errors": len(results["errors"]), "error_samples": results["errors"][:10], "latency_ms": lat,
              "machine": f"{m['cores']} cores, {m['memory_gib']} GiB", "date": m["date"],
              "wall_s": time.perf_counter() - started}
    (ROOT / "benchmarks" / "load-results.json").write_text(json.dumps(report, indent=1))
    update_benchmarks_md([
        "## Load (`python benchmarks/load.py`)", "",
        f"{args.sessions} concurrent headless Chromium sessions scrubbing one `streamlit run` server for "
        f"{args.seconds:.0f} s on {report['machine']} (the browsers share the machine with the server), "
        f"measured {report['date']}:", "",
        "| sessions | slider changes | errors | latency median | latency p95 |",
        "|---|---|---|---|---|",
        f"| {args.sessions} | {report['changes']} | {report['errors']} | {lat['median']:.0f} ms | {lat['p95']:.0f} ms |",
        "",
    ])
    print(f"sessions = {args.sessions}; changes = {report['changes']}; errors = {report['errors']}; "
          f"p95 = {lat['p95']:.0f} ms")
    for error in results["errors"][:10]:
        print("  " + error)
    return 0 if report["errors"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
