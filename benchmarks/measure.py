"""What benchmarks/run.py and benchmarks/load.py share: starting the app, and timing inside the map.

Latency is measured inside the map's own document, on one clock: a capturing listener records
each input's ``event.timeStamp`` (keydown, pointermove) and a MutationObserver records
``performance.now()`` when ``data-painted-date`` changes (the contract: it changes in the frame
that painted the date).  input -> paint is the difference, so Playwright's own round trips add
nothing.  Pages are found by the contract alone (``data-painted-date``, one ``role="slider"``).
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"]
MAP_FRAME = 'iframe[data-testid="karabakh-map-frame"]'

# Installed once per map document; window.__bench.paints / .inputs fill as the reader acts.
INSTALL_PROBE = """() => {
  if (window.__bench) return true;
  const target = document.querySelector('[data-painted-date]');
  if (!target) return false;
  const bench = window.__bench = {inputs: [], paints: []};
  for (const type of ['keydown', 'pointermove', 'pointerdown']) {
    document.addEventListener(type, e => bench.inputs.push([type, e.timeStamp]), true);
  }
  new MutationObserver(() => bench.paints.push([target.getAttribute('data-painted-date'), performance.now()]))
    .observe(target, {attributes: true, attributeFilter: ['data-painted-date']});
  return true;
}"""
PAINT_COUNT = "() => window.__bench.paints.length"
LAST_PAINT = "() => window.__bench.paints[window.__bench.paints.length - 1] || null"
LAST_INPUT = "() => window.__bench.inputs[window.__bench.inputs.length - 1] || null"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0, "median": float("nan"), "p95": float("nan"), "min": float("nan"), "max": float("nan")}
    return {"n": len(values), "median": statistics.median(values), "p95": percentile(values, 95),
            "min": min(values), "max": max(values)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(port: int, env_extra: dict | None = None, log: Path | None = None,
              script: str = "app.py") -> tuple[subprocess.Popen, float]:
    """``streamlit run app.py`` (or ``script``) on ``port``; returns the process and its start time (perf_counter)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), **(env_extra or {})}
    out = open(log, "w") if log else subprocess.DEVNULL
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--browser.gatherUsageStats", "false"],
                            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1):
                return proc, started
        except OSError:
            if proc.poll() is not None or time.perf_counter() - started > 120:
                proc.kill()
                raise RuntimeError(f"streamlit did not start on port {port}")
            time.sleep(0.05)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
