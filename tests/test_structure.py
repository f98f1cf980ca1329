"""The shape of the package: data flows one way (GUIDE §1), and an installed wheel works.

The import graph is read from the source with ``ast``, counting imports inside functions too: a
lazy import that closes a circle is still a circle.
"""

from __future__ import annotations

import ast
import graphlib
import os
import shutil
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
        graphlib.TopologicalSorter(graph).prepare()  # raises CycleError on any circle
    except graphlib.CycleError as exc:
        pytest.fail(f"import circle: {' -> '.join(exc.args[1])}")


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for name in graph[todo.pop()] - seen:
            seen.add(name)
            todo.append(name)
    return seen


def test_loading_checking_and_the_engine_import_only_downward():
    graph = import_graph()
    assert reachable(graph, "catalog") <= {"names"}
    assert reachable(graph, "validation") <= {"catalog", "names", "parsing", "claims"}  # claims: the sourcing rule
    assert reachable(graph, "claims") <= {"catalog", "names", "parsing"}  # between the model and its checks
    assert not reachable(graph, "timeline") & {"api", "frames", "cli", "export", "mapclient", "figure", "serialize",
                                               "panel", "view", "uploads"}


def test_the_old_load_catalog_import_says_where_it_went():
    with pytest.raises(ImportError, match="karabakh_map.validation"):
        from karabakh_map.catalog import load_catalog  # noqa: F401


@pytest.mark.slow
def test_pip_install_dot_then_validate_from_another_folder(tmp_path):
    """`pip install .` (not editable) into a fresh venv, then the CLI run from elsewhere."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    # a copy, so that setuptools' build/ folder never lands in (or is reused from) the checkout
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for name in ("src", "geodata", "static"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-compile", "--disable-pip-version-check",
                              str(source)],
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
    api = subprocess.run([str(python), "-c", "import karabakh_map as km; "
                          "print(km.control_at('1993-08-01', place='Aghdam').controller.item())"],
                         capture_output=True, text=True, timeout=600, cwd=elsewhere, env=env)
    assert api.stdout.strip() == "armenian_forces", api.stderr[-3000:]


# Installed with another package's code path rather than imported by name.
USED_WITHOUT_IMPORT = {"pyarrow": "pyogrio.read_arrow, through which validation reads every layer"}


def third_party_imports() -> set[str]:
    """Top-level modules from outside the standard library imported by the package, app.py or page.py."""
    files = [*PACKAGE.glob("*.py"), ROOT / "app.py", ROOT / "page.py"]
    names = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n != "karabakh_map"}


def declared(requirements: list[str]) -> set[str]:
    import re

    return {re.split(r"[<>=!~ \[;]", r.strip(), maxsplit=1)[0].lower().replace("_", "-") for r in requirements
            if r.strip() and not r.strip().startswith("#")}


def test_every_imported_package_is_declared_and_every_declared_one_is_used():
    import importlib.metadata
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    in_pyproject = declared(project["dependencies"])
    in_requirements = declared((ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines())
    distributions = importlib.metadata.packages_distributions()
    needed = set()
    for module in third_party_imports():
        assert module in distributions, f"{module} is imported but not installed"
        needed.update(d.lower().replace("_", "-") for d in distributions[module])
    needed |= set(USED_WITHOUT_IMPORT)
    assert needed - in_pyproject == set(), "imported but not in pyproject's dependencies"
    assert needed - in_requirements == set(), "imported but not pinned in requirements.txt"
    assert in_pyproject - needed == set(), "declared in pyproject but never imported"
    assert all("==" in line for line in (ROOT / "requirements.txt").read_text().splitlines()
               if line.strip() and not line.startswith("#")), "requirements.txt pins every version"
