"""Streamlit Community Cloud installs requirements.txt and runs app.py: do exactly that in a fresh venv.

A dependency missing from requirements.txt (but present in this test environment) fails here
rather than on the hosted deployment.
"""

from __future__ import annotations

import os
import subprocess
import sys
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
    smoke = subprocess.run([str(python), "-c", SMOKE, str(ROOT / "app.py")], capture_output=True, text=True,
                           timeout=600, cwd=ROOT, env=env)
    assert smoke.returncode == 0, smoke.stderr[-3000:] + smoke.stdout[-2000:]
    assert "smoke ok" in smoke.stdout


def test_community_cloud_files_are_in_place():
    config = (ROOT / ".streamlit" / "config.toml").read_text()
    assert "enableStaticServing = true" in config
    assert (ROOT / "app.py").exists() and (ROOT / "requirements.txt").exists()
    assert (ROOT / "static" / "leaflet" / "leaflet.js").exists()
    # Community Cloud reads the first of these it finds: nothing must shadow requirements.txt
    for shadow in ("uv.lock", "Pipfile", "environment.yml"):
        assert not (ROOT / shadow).exists(), shadow
    assert sys.version_info >= (3, 11)
