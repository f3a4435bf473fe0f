"""The experiments behind the notebooks: one package each, with its measurement code, claims and
tiny parameters.

`notebooks/NN_name.ipynb` is driven by `labkit.lab.experiments.<package>`: `measure.py` (or the
modules it names) does the work, `claims.py` (when the experiment judges claims of the seed)
holds `EVALUATORS = {claim_id: fn}`, and `tiny.yaml` has the parameters the test suite runs the
notebook with.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

__all__ = ["EXPERIMENTS", "package_of", "folder_of", "tiny_parameters_path", "claims_modules"]

# Notebook name -> the package of its experiment.
EXPERIMENTS: dict[str, str] = {
    "00_environment": "environment",
    "01_cache": "cache",
    "02_n_plus_one": "n_plus_one",
    "03_bulk_writes": "bulk_writes",
    "04_pooling": "pooling",
    "05_sqlite_tuning": "sqlite_tuning",
    "06_async": "async_ops",
    "07_memory": "memory",
    "08_api_load": "api_load",
    "99_summary": "summary",
}


def package_of(notebook: str) -> str:
    """The dotted package of a notebook's experiment; KeyError naming the known notebooks."""
    try:
        return f"{__name__}.{EXPERIMENTS[notebook]}"
    except KeyError:
        raise KeyError(f"no experiment package for notebook {notebook!r}; known: {sorted(EXPERIMENTS)}") from None


def folder_of(notebook: str) -> Path:
    """The folder of a notebook's experiment package."""
    return Path(__file__).with_name(package_of(notebook).rpartition(".")[2])


def tiny_parameters_path(notebook: str) -> Path:
    """`tiny.yaml` of a notebook's experiment: the parameters the test suite runs it with."""
    return folder_of(notebook) / "tiny.yaml"


def claims_modules() -> list[ModuleType]:
    """Every experiment's `claims` module, in notebook order (experiments without claims skipped)."""
    modules = []
    for notebook in EXPERIMENTS:
        if (folder_of(notebook) / "claims.py").is_file():
            modules.append(importlib.import_module(f"{package_of(notebook)}.claims"))
    return modules
