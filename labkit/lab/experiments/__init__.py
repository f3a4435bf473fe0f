"""The experiments behind the notebooks: one package each, with its measurement code, claims and
tiny parameters.

`notebooks/NN_name.ipynb` is driven by `labkit.lab.experiments.<package>`: `measure.py` (or the
modules it names) does the work, `claims.py` (when the experiment judges claims of the seed)
holds `EVALUATORS = {claim_id: fn}`, and `tiny.yaml` has the parameters the test suite runs the
notebook with. Each package names its notebook in its `__init__.py` (`NOTEBOOK = "NN_name"`); the
map `EXPERIMENTS` is discovered from those lines, so adding an experiment edits no Python file here.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path
from types import ModuleType
from typing import Any

from labkit.lab.errors import LabError

__all__ = [
    "EXPERIMENTS",
    "NOTEBOOK_NAME",
    "discover",
    "package_of",
    "folder_of",
    "tiny_parameters_path",
    "claims_modules",
]

# What a notebook may be called: two digits, an underscore, a lower-case identifier.
NOTEBOOK_NAME = re.compile(r"[0-9]{2}_[a-z][a-z0-9_]*")

_HERE = Path(__file__).parent

# Notebook name -> the package of its experiment, in notebook order (read on access: see `discover`).
EXPERIMENTS: dict[str, str]


def _declared_notebook(init: Path) -> str | None:
    """The `NOTEBOOK = "NN_name"` literal of a package's `__init__.py`, read without importing it."""
    tree = ast.parse(init.read_text(encoding="utf-8"), filename=str(init))
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value_node = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value_node = [node.target], node.value
        else:
            continue
        if any(isinstance(t, ast.Name) and t.id == "NOTEBOOK" for t in targets):
            value = ast.literal_eval(value_node)
            if not isinstance(value, str) or not NOTEBOOK_NAME.fullmatch(value):
                raise LabError(f"{init}: NOTEBOOK = {value!r} is not a notebook name like '10_queues'")
            return value
    return None


def discover(folder: str | Path = _HERE) -> dict[str, str]:
    """Notebook name -> package name for every package in `folder` that declares its `NOTEBOOK`."""
    found: dict[str, str] = {}
    for init in sorted(Path(folder).glob("*/__init__.py")):
        notebook = _declared_notebook(init)
        if notebook is None:  # a helper package, not an experiment
            continue
        if notebook in found:
            raise LabError(f"packages {found[notebook]!r} and {init.parent.name!r} both declare notebook {notebook!r}")
        found[notebook] = init.parent.name
    return dict(sorted(found.items()))


def __getattr__(name: str) -> Any:
    if name == "EXPERIMENTS":
        return discover()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def package_of(notebook: str) -> str:
    """The dotted package of a notebook's experiment; KeyError naming the known notebooks."""
    experiments = discover()
    try:
        return f"{__name__}.{experiments[notebook]}"
    except KeyError:
        raise KeyError(f"no experiment package for notebook {notebook!r}; known: {sorted(experiments)}") from None


def folder_of(notebook: str) -> Path:
    """The folder of a notebook's experiment package."""
    return _HERE / package_of(notebook).rpartition(".")[2]


def tiny_parameters_path(notebook: str) -> Path:
    """`tiny.yaml` of a notebook's experiment: the parameters the test suite runs it with."""
    return folder_of(notebook) / "tiny.yaml"


def claims_modules() -> list[ModuleType]:
    """Every experiment's `claims` module, in notebook order (experiments without claims skipped)."""
    modules = []
    for package in discover().values():
        if (_HERE / package / "claims.py").is_file():
            modules.append(importlib.import_module(f"{__name__}.{package}.claims"))
    return modules
