"""Project files stay in agreement: environment.yml with pyproject, notebooks without outputs."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

import labkit
import labkit.lab.bench
import labkit.lab.report
from labkit.lab.report.parameters import read_parameters

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~ ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_lists_exactly_the_pyproject_dependencies() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = set(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted |= set(extra)
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    listed = {r for r in pip_section if not r.startswith("-e")}
    assert {_name(r): r for r in listed} == {_name(r): r for r in wanted}


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, "notebooks/ holds no experiment"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_are_committed_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name} has outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_have_a_readable_parameters_cell(path: Path) -> None:
    params = read_parameters(path)
    assert params and all(p.help for p in params.values()), "every parameter needs a comment"


def test_public_names_are_pinned() -> None:
    assert labkit.__all__ == ["LabkitError", "Settings", "__version__"]
    assert "run_interleaved" in labkit.lab.bench.__all__ and "run_notebook" in labkit.lab.report.__all__
    assert sorted(labkit.lab.report.__all__) == sorted(labkit.lab.report._WHERE)
    for module in (labkit, labkit.lab.bench, labkit.lab.report):
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name} is declared but missing"
