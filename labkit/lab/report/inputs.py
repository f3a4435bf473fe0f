"""What a notebook's run depends on, as one digest: its cells, its experiment package and its parameters.

The runner records the digest with each run (`reports/runs.json`); `labkit report --changed` reruns a
notebook whose digest differs from its last good run's. Outputs, execution counts and cell metadata
other than tags are left out, so saving a notebook from JupyterLab with its outputs changes nothing.
Code outside the experiment's package (the library, the harness) is not part of it either.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat

__all__ = ["inputs_digest"]

_SKIPPED_DIRS = {"__pycache__", ".ipynb_checkpoints"}


def _package_files(notebook: str) -> dict[str, Path]:
    """The files of a notebook's experiment package by their path inside it (none without a package)."""
    from labkit.lab.experiments import folder_of

    try:
        folder = folder_of(notebook)
    except KeyError:  # a notebook without an experiment package (a scratch or test notebook)
        return {}
    files = {}
    for path in sorted(folder.rglob("*")):
        inside = path.relative_to(folder)
        if path.is_file() and not _SKIPPED_DIRS & set(inside.parts) and path.suffix not in {".pyc", ".pyo"}:
            files[inside.as_posix()] = path
    return files


def inputs_digest(notebook: str | Path, parameters: Mapping[str, Any]) -> str:
    """sha256 over the notebook's cells (type, source, tags), its package's files and the parameters given."""
    path = Path(notebook)
    digest = hashlib.sha256()
    for cell in nbformat.read(path, as_version=4).cells:
        tags = sorted(cell.get("metadata", {}).get("tags", []))
        digest.update(json.dumps(["cell", cell.cell_type, cell.source, tags]).encode())
    for name, file in _package_files(path.stem).items():
        digest.update(json.dumps(["file", name, file.stat().st_size]).encode())
        digest.update(file.read_bytes())
    digest.update(json.dumps(["parameters", dict(parameters)], sort_keys=True, default=str).encode())
    return digest.hexdigest()
