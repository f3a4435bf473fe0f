"""The saved runs, one line each (`labkit runs`): id, time, commit, origin, parameters digest, headline.

Every file is read in full and its checksums verified, so a damaged file is listed as damaged, with
the reason, rather than breaking the listing.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from labkit.lab.bench.results import load_results, origin_in, parameters_digest, run_files, run_time
from labkit.lab.errors import DamagedResultsError, UncheckedResultsWarning

__all__ = ["SavedRun", "saved_runs", "runs_text"]

_HEADLINE_WIDTH = 72


@dataclass(frozen=True)
class SavedRun:
    """One results file as found: its run's identity and headline, or why it cannot be read."""

    experiment: str
    path: Path
    run_id: str
    started: datetime
    commit: str | None = None
    origin: str | None = None
    parameters_digest: str | None = None
    headline: str | None = None
    problem: str | None = None  # why the file is damaged; None when intact
    note: str | None = None  # e.g. a schema-1 file, which carries no checksum

    @property
    def intact(self) -> bool:
        return self.problem is None


def _read(experiment: str, path: Path) -> SavedRun:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UncheckedResultsWarning)
        try:
            results = load_results(path)
        except DamagedResultsError as exc:
            return SavedRun(experiment, path, path.stem, run_time(path, None), problem=exc.reason)
    meta = results.metadata
    return SavedRun(
        experiment, path, results.run_id, run_time(path, meta), commit=meta.get("git_commit"),
        origin=meta.get("origin"), parameters_digest=parameters_digest(meta.get("parameters") or {}),
        headline=meta.get("headline"),
        note="schema 1: no checksum" if any(w.category is UncheckedResultsWarning for w in caught) else None,
    )


def saved_runs(
    results_dir: str | Path, experiment: str | None = None, *, origins: Iterable[str] | None = None
) -> list[SavedRun]:
    """Every results file of one experiment (or of all), oldest first per experiment; `origins` filters
    intact runs (None: any), while files whose metadata cannot be read are always listed."""
    results_dir = Path(results_dir)
    names = [experiment] if experiment else sorted(p.name for p in results_dir.glob("*") if p.is_dir())
    wanted = None if origins is None else frozenset(origins)
    found = []
    for name in names:
        for path, metadata in run_files(results_dir, name):
            if metadata is not None and wanted is not None and not origin_in(metadata, wanted):
                continue
            found.append(_read(name, path))
    return found


def _short_commit(commit: str | None) -> str:
    if not commit:
        return "–"
    head, dirty, _ = commit.partition("-dirty")
    return head[:9] + ("-dirty" if dirty else "")


def _cells(run: SavedRun) -> list[str]:
    started = run.started.strftime("%Y-%m-%d %H:%M:%S")
    if not run.intact:
        return [run.run_id, started, "–", "–", "–", f"DAMAGED: {run.problem}"]
    headline = run.headline or ""
    if len(headline) > _HEADLINE_WIDTH:
        headline = headline[: _HEADLINE_WIDTH - 1] + "…"
    if run.note:
        headline = f"({run.note}) {headline}"
    return [run.run_id, started, _short_commit(run.commit), run.origin or "(none)", run.parameters_digest or "–",
            headline]


def runs_text(runs: Iterable[SavedRun]) -> str:
    """The runs as aligned text, one block per experiment, oldest first."""
    by_experiment: dict[str, list[SavedRun]] = {}
    for run in runs:
        by_experiment.setdefault(run.experiment, []).append(run)
    blocks = []
    for name, group in by_experiment.items():
        damaged = sum(not r.intact for r in group)
        rows = [["run id", "started (UTC)", "commit", "origin", "parameters", "headline"]]
        rows += [_cells(r) for r in group]
        widths = [max(len(row[i]) for row in rows) for i in range(5)]
        title = f"{name}: {len(group)} run(s), oldest first" + (f", {damaged} damaged" if damaged else "")
        lines = [title] + ["  " + "  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[5] for row in rows]
        blocks.append("\n".join(line.rstrip() for line in lines))
    return "\n\n".join(blocks)
