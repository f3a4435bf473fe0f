"""Which notebooks `labkit report` runs, and with which parameters: `--only`, `--changed`, `--tiny`."""

from __future__ import annotations

import fnmatch
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from labkit.lab.errors import ParameterError
from labkit.lab.report.index import NotebookRun
from labkit.lab.report.inputs import inputs_digest
from labkit.lab.report.parameters import check_parameters

__all__ = ["matching", "changed_since_last_good_run", "tiny_parameters"]

_GLOB = set("*?[")


def _matches(name: str, pattern: str) -> bool:
    names = (name, f"{name}.ipynb")
    if _GLOB & set(pattern):
        return any(fnmatch.fnmatchcase(n, pattern) for n in names)
    return any(pattern in n for n in names)


def matching(notebooks: Sequence[Path], patterns: Sequence[str]) -> list[Path]:
    """The notebooks whose name matches any pattern: a glob (`0[1-3]_*`), else a substring (`cache`)."""
    if not patterns:
        return list(notebooks)
    chosen = [p for p in notebooks if any(_matches(p.stem, pattern) for pattern in patterns)]
    if not chosen:
        raise ParameterError(
            f"no notebook matches {', '.join(map(repr, patterns))}; notebooks: {', '.join(p.stem for p in notebooks)}"
        )
    return chosen


def _digest_or_none(path: Path, overrides: Mapping[str, Any]) -> str | None:
    try:
        return inputs_digest(path, check_parameters(path, overrides))
    except ParameterError:  # bad parameters: the run will fail and say so
        return None


def changed_since_last_good_run(
    notebooks: Sequence[Path], runs: Mapping[str, NotebookRun], parameters: Mapping[str, Mapping[str, Any]],
    stale: Collection[str] = (),
) -> list[Path]:
    """The notebooks whose cells, package files or parameters differ from their last good run's (or that
    have none), and the `stale` ones; the summary (`99_*`), which reads every other run, joins whenever
    another one reruns."""
    chosen = []
    for path in notebooks:
        last = runs.get(path.stem)
        digest = _digest_or_none(path, parameters.get(path.stem, {}))
        if last is None or not last.ok or digest is None or last.inputs_digest != digest or path.stem in stale:
            chosen.append(path)
    if chosen:
        chosen += [p for p in notebooks if p.stem.startswith("99_") and p not in chosen]
    return sorted(chosen)


def tiny_parameters(notebooks: Sequence[Path]) -> dict[str, dict[str, Any]]:
    """Each notebook's tiny parameters, read from its experiment's `tiny.yaml`."""
    from labkit.lab.experiments import tiny_parameters_path

    found = {}
    for path in notebooks:
        try:
            tiny = tiny_parameters_path(path.stem)
        except KeyError as exc:
            raise ParameterError(f"no tiny parameters for {path.stem}: {exc.args[0]}") from None
        if not tiny.is_file():
            raise ParameterError(f"no tiny parameters for {path.stem}: add {tiny}")
        loaded = yaml.safe_load(tiny.read_text(encoding="utf-8")) or {}
        if not isinstance(loaded, dict):
            raise ParameterError(f"{tiny} must hold a mapping of name: value")
        found[path.stem] = loaded
    return found
