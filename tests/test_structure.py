"""The shape of the package: data flows one way (GUIDE §1), and an installed wheel works.

The import graph is read from the source with ``ast``, counting imports inside functions too: a
lazy import that closes a circle is still a circle.
"""

from __future__ import annotations

import ast
import graphlib
import os
import subprocess
import sys
import venv

import pytest

from helpers import ROOT

PACKAGE = ROOT / "src" / "karabakh_map"


def imported_modules(path) -> set[str]:
    """The package's own modules that one source file imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("karabakh_map"):
            if node.module == "karabakh_map":
                found.update(alias.name for alias in node.names)
            else:
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("karabakh_map."))
    return found


def import_graph() -> dict[str, set[str]]:
    modules = {p.stem for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "__main__")}
    return {m: imported_modules(PACKAGE / f"{m}.py") & modules - {m} for m in modules}


def test_the_package_has_no_import_circle():
    graph = import_graph()
    try:
        order = list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        pytest.fail(f"import circle: {' -> '.join(exc.args[1])}")
    assert order.index("catalog") < order.index("validation") < order.index("timeline")


def test_loading_checking_and_the_engine_import_only_downward():
    graph = import_graph()
    assert graph["catalog"] <= {"names"}
    assert "timeline" not in graph["validation"] and graph["validation"] <= {"catalog", "names", "parsing"}
    assert not graph["timeline"] & {"api", "cli", "export", "mapclient", "figure", "serialize", "panel", "view"}


def test_the_old_load_catalog_import_says_where_it_went():
    with pytest.raises(ImportError, match="karabakh_map.validation"):
        from karabakh_map.catalog import load_catalog  # noqa: F401


@pytest.mark.slow
def test_pip_install_dot_then_validate_from_another_folder(tmp_path):
    """`pip install .` (not editable) into a fresh venv, then the CLI run from elsewhere."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", str(ROOT)],
                             capture_output=True, text=True, timeout=1800, cwd=tmp_path)
    assert install.returncode == 0, install.stderr[-3000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    validate = subprocess.run([str(env_dir / "bin" / "karabakh-map"), "validate"], capture_output=True, text=True,
                              timeout=600, cwd=elsewhere, env=env)
    assert validate.returncode == 0, validate.stderr[-3000:]
    assert validate.stdout.startswith("OK: ") and " settlements, " in validate.stdout
    where = subprocess.run([str(python), "-c", "import karabakh_map.catalog as c; print(c.GEODATA_DIR); print(c.STATIC_DIR)"],
                           capture_output=True, text=True, cwd=elsewhere, env=env)
    geodata_dir, static_dir = where.stdout.split()
    assert str(env_dir) in geodata_dir and geodata_dir.endswith("karabakh_map/geodata")  # the wheel's copy, not the checkout
    assert (ROOT.__class__(static_dir) / "leaflet" / "leaflet.js").exists()
    state = subprocess.run([str(env_dir / "bin" / "karabakh-map"), "state", "--date", "1993-08-01", "--place", "Aghdam"],
                           capture_output=True, text=True, timeout=600, cwd=elsewhere, env=env)
    assert state.returncode == 0, state.stderr[-3000:]
    assert '"controller": "armenian_forces"' in state.stdout
