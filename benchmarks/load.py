"""Load: N concurrent headless Chromium sessions scrubbing one `streamlit run` server.

    python benchmarks/load.py                 # 10 sessions, 60 s
    python benchmarks/load.py --sessions 4 --seconds 20

Each session opens the app with a place selected, then presses keys on the map's date slider
(arrows and PageUp/PageDown, one every 150-400 ms, like a reader stepping) until the time is up.
Input -> paint is measured inside each map (see measure.py).  The server's reruns are counted
from the websocket: every script run ends with a ``script_finished`` message.  An error is a
step that never painted, a page error or a Streamlit exception on the page.  Traffic stays on
127.0.0.1; the loop stops by itself after --seconds.  Figures go to benchmarks/load-results.json
and the "Load" section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from measure import (CHROMIUM, CHROMIUM_ARGS, INSTALL_PROBE, LAST_INPUT, LAST_PAINT, MAP_FRAME, PAINT_COUNT,  # noqa: E402
                     free_port, start_app, stop, summary)

KEYS = ["ArrowRight", "ArrowRight", "ArrowLeft", "PageUp", "PageDown", "ArrowRight"]


def count_script_runs(page, results: dict, index: int) -> None:
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    def on_frame(payload) -> None:
        if isinstance(payload, (bytes, bytearray)):
            try:
                kind = ForwardMsg.FromString(bytes(payload)).WhichOneof("type")
                if kind == "new_session":  # sent as every script run starts
                    results["runs_started"][index] += 1
                elif kind == "script_finished":
                    results["reruns"][index] += 1
            except Exception:
                pass

    page.on("websocket", lambda ws: ws.on("framereceived", on_frame))


async def session(browser, url: str, seconds: float, index: int, results: dict) -> None:
    context = await browser.new_context(viewport={"width": 1300, "height": 900})
    page = await context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    count_script_runs(page, results, index)
    rng = random.Random(index)
    try:
        await page.goto(url, timeout=180_000)
        await page.wait_for_selector(MAP_FRAME, state="attached", timeout=180_000)
        frame = await (await page.query_selector(MAP_FRAME)).content_frame()
        await frame.wait_for_selector("[data-painted-date]", state="attached", timeout=180_000)
        await frame.wait_for_function(INSTALL_PROBE, timeout=30_000)
        slider = frame.get_by_role("slider").first
        await slider.focus()
        started = time.perf_counter()
        end = started + seconds
        while time.perf_counter() < end:
            before = await frame.evaluate(PAINT_COUNT)
            await slider.press(rng.choice(KEYS))
            try:
                await frame.wait_for_function(f"n => ({PAINT_COUNT})() > n", arg=before, timeout=10_000, polling=5)
                _, painted_at = await frame.evaluate(LAST_PAINT)
                _, input_at = await frame.evaluate(LAST_INPUT)
                results["latencies"].append(painted_at - input_at)
            except Exception as exc:
                results["errors"].append(f"session {index}: no paint: {type(exc).__name__}")
            if await page.locator('[data-testid="stException"]').count():
                results["errors"].append(f"session {index}: Streamlit exception on the page")
            await page.wait_for_timeout(rng.uniform(150, 400))
        results["active_s"][index] = time.perf_counter() - started
        await page.wait_for_timeout(1500)  # the last step's rerun
    except Exception as exc:
        results["errors"].append(f"session {index}: {type(exc).__name__}: {str(exc)[:160]}")
    finally:
        results["errors"].extend(f"session {index}: page error: {e[:160]}" for e in page_errors)
        await context.close()


async def run(sessions: int, seconds: float) -> dict:
    from playwright.async_api import async_playwright

    results: dict = {"latencies": [], "errors": [], "reruns": [0] * sessions, "runs_started": [0] * sessions,
                     "active_s": [0.0] * sessions}
    port = free_port()
    proc, _ = start_app(port)
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            url = f"http://127.0.0.1:{port}/?date=2000-01-01&place=Shusha"
            await asyncio.gather(*(session(browser, url, seconds, i, results) for i in range(sessions)))
            await browser.close()
    finally:
        stop(proc)
    return results


def update_benchmarks_md(section: list[str]) -> None:
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    text = re.sub(r"\n## Load \(`python benchmarks/load.py`\).*?(?=\n## |\Z)", "", text, flags=re.S).rstrip("\n")
    path.write_text(text + "\n\n" + "\n".join(section) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results = asyncio.run(run(args.sessions, args.seconds))
    lat = summary(results["latencies"])
    per_minute = [runs / (active / 60) for runs, active in zip(results["reruns"], results["active_s"]) if active > 0]
    reruns = summary(per_minute)
    runs_started = summary([runs / (active / 60) for runs, active in zip(results["runs_started"], results["active_s"])
                       if active > 0])
    date = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load_average = round(os.getloadavg()[0], 1)
    report = {"sessions": args.sessions, "seconds": args.seconds, "steps": len(results["latencies"]),
              "errors": len(results["errors"]), "error_samples": results["errors"][:10], "latency_ms": lat,
              "reruns_per_session_minute": reruns, "reruns": results["reruns"],
              "runs_started_per_session_minute": runs_started, "runs_started": results["runs_started"],
              "date": date, "load_average": load_average,
              "wall_s": time.perf_counter() - started}
    (ROOT / "benchmarks" / "load-results.json").write_text(json.dumps(report, indent=1))
    update_benchmarks_md([
        "## Load (`python benchmarks/load.py`)", "",
        f"{args.sessions} concurrent headless Chromium sessions stepping the map's date slider against one "
        f"`streamlit run` server for {args.seconds:.0f} s, on the same 2-core machine as the browsers (load average "
        f"{load_average} at the end, other work included), {date}. "
        "Input -> paint measured inside each map; script runs counted from each session's websocket (started: "
        "`new_session`; finished: `script_finished`), beside the steps each session took per minute.", "",
        "| sessions | steps (per session per minute) | errors | input -> paint median | p95 | script runs per "
        "session per minute: started (median, max) | finished (median, max) |",
        "|---|---|---|---|---|---|---|",
        f"| {args.sessions} | {report['steps']} ({report['steps'] / args.sessions / (args.seconds / 60):.0f}) | "
        f"{report['errors']} | {lat['median']:.1f} ms | {lat['p95']:.1f} ms | "
        f"{runs_started['median']:.0f}, {runs_started['max']:.0f} | {reruns['median']:.0f}, {reruns['max']:.0f} |", "",
    ])
    print(f"sessions = {args.sessions}; steps = {report['steps']}; errors = {report['errors']}; "
          f"input->paint p95 = {lat['p95']:.1f} ms; runs/session/min started = {runs_started['median']:.0f}, "
          f"finished = {reruns['median']:.0f}")
    for error in results["errors"][:10]:
        print("  " + error)
    return 0 if report["errors"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
