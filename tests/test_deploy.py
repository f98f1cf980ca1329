"""Streamlit Community Cloud installs requirements.txt and runs app.py: do exactly that in a fresh venv.

app.py starts the server (and its warm-up) and serves page.py: both are run, the page through
AppTest (its content) and the server through ``streamlit run app.py`` (it starts and serves).

A dependency missing from requirements.txt (but present in this test environment) fails here
rather than on the hosted deployment.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import venv

import pytest

from helpers import ROOT

SMOKE = """
import sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1], default_timeout=180)
at.query_params["date"] = "1993-08-01"
at.query_params["place"] = "Aghdam"
at.run()
assert not at.exception, at.exception
text = " ".join(m.value for m in at.markdown)
assert "held by Armenian forces" in text, text[:500]
print("smoke ok")
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow  # installs requirements.txt from PyPI into a fresh venv
def test_requirements_txt_alone_runs_the_app(tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    # the hosted deployment has no PYTHONPATH: one set for running tests from a checkout must not leak in
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-compile", "--disable-pip-version-check",
                              "-r", str(ROOT / "requirements.txt")],
                             capture_output=True, text=True, timeout=1200, env=env)
    assert install.returncode == 0, install.stderr[-3000:]
    # the package itself is not installed: app.py must find src/ on its own, as on Community Cloud
    check = subprocess.run([str(python), "-c", "import karabakh_map"], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert check.returncode != 0
    smoke = subprocess.run([str(python), "-c", SMOKE, str(ROOT / "page.py")], capture_output=True, text=True,
                           timeout=600, cwd=ROOT, env=env)
    assert smoke.returncode == 0, smoke.stderr[-3000:] + smoke.stdout[-2000:]
    assert "smoke ok" in smoke.stdout
    port = free_port()
    server = subprocess.Popen([str(python), "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                               "--server.port", str(port), "--server.address", "127.0.0.1",
                               "--browser.gatherUsageStats", "false"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as page:
                    assert page.status == 200
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/app/static/leaflet/leaflet.js", timeout=2) as js:
                    assert js.status == 200
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "streamlit run app.py did not serve"
                time.sleep(0.2)
        time.sleep(3)  # the warm-up thread runs meanwhile: a failure there would print a traceback
    finally:
        server.terminate()
        log = server.communicate(timeout=30)[0]
    assert "Traceback" not in log and "Error" not in log, log[-3000:]


def test_community_cloud_files_are_in_place():
    config = (ROOT / ".streamlit" / "config.toml").read_text()
    assert "enableStaticServing = true" in config
    assert (ROOT / "app.py").exists() and (ROOT / "page.py").exists() and (ROOT / "requirements.txt").exists()
    assert (ROOT / "static" / "leaflet" / "leaflet.js").exists()
    # Community Cloud reads the first of these it finds: nothing must shadow requirements.txt
    for shadow in ("uv.lock", "Pipfile", "environment.yml"):
        assert not (ROOT / shadow).exists(), shadow
    assert sys.version_info >= (3, 11)
