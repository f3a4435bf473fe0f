"""The reports index: every experiment with its status, duration, run, backends and headline.

A failed rerun keeps the last good pages beside its failure page, and a summary older than a run it
reads is marked stale.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from labkit.lab.bench.results import LAB_ORIGINS, origin_in, read_metadata, run_files, run_time
from labkit.lab.errors import ResultsError

__all__ = ["NotebookRun", "read_runs", "write_runs", "write_index", "stale_summaries"]

RUNS_FILE = "runs.json"


@dataclass
class NotebookRun:
    """The outcome of executing one notebook; paths are relative to the reports folder."""

    name: str
    status: str  # "ok" or "failed"
    duration_s: float
    run_id: str | None = None
    backends: dict[str, Any] = field(default_factory=dict)
    headline: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    executed: str | None = None
    reviewer_html: str | None = None
    full_html: str | None = None
    error: str | None = None
    inputs_digest: str | None = None  # of the notebook, its package and parameters (labkit report --changed)
    failed_html: str | None = None  # the failure page; a failed rerun keeps the last good pages beside it
    last_good_run_id: str | None = None  # the run the kept pages show, when this one failed
    finished: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def shown_run_id(self) -> str | None:
        """The run whose pages the index links: this one when it succeeded, else the last good one."""
        return self.run_id if self.ok else self.last_good_run_id


_LINKS = ("executed", "reviewer_html", "full_html", "failed_html")


def _without_dead_links(run: NotebookRun, reports_dir: Path) -> NotebookRun | None:
    """The record with links to missing files cleared; None when every file it had is gone (`make clean`)."""
    present = {name: getattr(run, name) for name in _LINKS if getattr(run, name)}
    alive = {name: link for name, link in present.items() if (reports_dir / link).is_file()}
    if present and not alive:
        return None
    cleared: dict[str, Any] = {name: None for name in present if name not in alive}
    return replace(run, **cleared)


def read_runs(reports_dir: str | Path) -> dict[str, NotebookRun]:
    """Runs recorded so far, by notebook name (empty when none); records whose files are gone are dropped."""
    path = Path(reports_dir) / RUNS_FILE
    if not path.is_file():
        return {}
    known = {f.name for f in fields(NotebookRun)}
    runs = (_without_dead_links(NotebookRun(**{k: v for k, v in item.items() if k in known}), Path(reports_dir))
            for item in json.loads(path.read_text()))
    return {run.name: run for run in runs if run is not None}


def stale_summaries(runs: Iterable[NotebookRun], results_dir: str | Path) -> dict[str, list[str]]:
    """Summaries (99_*) older than a run they read: name -> the newer runs (`experiment run_id`)."""
    results_dir = Path(results_dir)
    stale: dict[str, list[str]] = {}
    for run in runs:
        run_id = run.shown_run_id
        if not run.name.startswith("99_") or not run_id:
            continue
        try:
            read_at = run_time_of(results_dir / run.name / f"{run_id}.parquet")
        except ResultsError:
            continue
        origins = run.parameters.get("origins") or LAB_ORIGINS
        newer = [
            f"{folder.name} {path.stem}"
            for folder in sorted(p for p in results_dir.glob("*") if p.is_dir() and p.name != run.name)
            for path, meta in run_files(results_dir, folder.name)
            if meta is not None and origin_in(meta, origins) and _saved_time(path, meta) > read_at
        ]
        if newer:
            stale[run.name] = newer
    return stale


def run_time_of(path: Path) -> datetime:
    """When the run saved in `path` started, from its footer."""
    return run_time(path, read_metadata(path))


def _saved_time(path: Path, metadata: dict[str, Any]) -> datetime:
    saved = metadata.get("saved")
    return run_time(path, {"time": saved} if saved else metadata)


def write_runs(reports_dir: str | Path, runs: Iterable[NotebookRun]) -> Path:
    """Record runs (sorted by name) so that the index can be rebuilt after a single `labkit run`."""
    path = Path(reports_dir) / RUNS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([asdict(r) for r in sorted(runs, key=lambda r: r.name)], indent=2))
    return path


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>labkit reports</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font: 15px/1.45 -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; max-width: 1100px;
       margin: 2em auto; padding: 0 1em; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: 6px 10px; border-bottom: 1px solid #ddd; vertical-align: top; }}
th {{ background: #f4f6f8; }}
.ok {{ color: #1b7f3b; font-weight: bold; }} .failed {{ color: #b3261e; font-weight: bold; }}
.stale {{ color: #a15c00; font-weight: bold; }} .note {{ color: #a15c00; font-size: 12px; }}
code {{ font-size: 12px; }} .error {{ color: #b3261e; font-size: 12px; white-space: pre-wrap; }}
</style></head>
<body>
<h1>labkit: database &amp; cache performance lab</h1>
<p>Every figure below comes from a run recorded in the linked report: its raw samples live in
<code>data/results/&lt;experiment&gt;/&lt;run id&gt;.parquet</code>. The reviewer view hides code;
the full view shows every cell.</p>
<p>{summary}</p>
{history}
<table>
<thead><tr><th>experiment</th><th>status</th><th>duration</th><th>run id</th><th>backends</th>
<th>headline</th><th>views</th></tr></thead>
<tbody>
{rows}
</tbody></table>
<p><small>Written {written}.</small></p>
</body></html>
"""


def _row(run: NotebookRun, newer: list[str]) -> str:
    esc = html.escape
    links = []
    if run.failed_html:
        links.append(f'<a href="{esc(run.failed_html)}">failure</a>')
    kept = "last good " if run.failed_html and run.reviewer_html else ""
    if run.reviewer_html:
        links.append(f'<a href="{esc(run.reviewer_html)}">{kept}report</a>')
    if run.full_html:
        links.append(f'<a href="{esc(run.full_html)}">{kept}full</a>')
    backends = "<br>".join(f"{esc(k)}: <code>{esc(str(v))}</code>" for k, v in run.backends.items()) or "&ndash;"
    headline = esc(run.headline or "")
    if newer:
        shown = ", ".join(newer[:5]) + (f" and {len(newer) - 5} more" if len(newer) > 5 else "")
        headline += (f'<div class="note">stale: older than {len(newer)} run(s) it reads ({esc(shown)}); '
                     f"rerun it: <code>labkit run {esc(run.name)}</code></div>")
    if run.error:
        headline += f'<div class="error">{esc(run.error)}</div>'
    status = "stale" if newer and run.ok else run.status
    run_id = esc(run.run_id or "–")
    if not run.ok and run.last_good_run_id:
        run_id += f"<br><small>last good: {esc(run.last_good_run_id)}</small>"
    return (
        f"<tr><td>{esc(run.name)}</td><td class=\"{esc(status)}\">{esc(status)}</td>"
        f"<td>{run.duration_s:.1f} s</td><td><code>{run_id}</code></td>"
        f"<td>{backends}</td><td>{headline}</td><td>{' · '.join(links) or '–'}</td></tr>"
    )


def write_index(
    reports_dir: str | Path, runs: Iterable[NotebookRun], *, results_dir: str | Path | None = None
) -> Path:
    """Write `index.html`: the summary experiment (99_*) first, then the others in order.

    With `results_dir`, a summary older than any run it reads is marked stale.
    """
    ordered = sorted(runs, key=lambda r: (not r.name.startswith("99_"), r.name))
    stale = stale_summaries(ordered, results_dir) if results_dir is not None else {}
    failed = [r.name for r in ordered if not r.ok]
    summary = (
        f"{len(ordered)} experiments, all succeeded." if not failed
        else f"{len(ordered)} experiments, {len(failed)} failed: {', '.join(failed)}."
    )
    if stale:
        summary += f" Stale (older than runs they read): {', '.join(stale)}."
    history = ('<p><a href="history.html">History across commits</a>: each figure over commits, steps beyond the '
               "noise marked (<code>labkit history</code>).</p>" if (Path(reports_dir) / "history.html").is_file()
               else "")
    page = _PAGE.format(
        summary=html.escape(summary), history=history,
        rows="\n".join(_row(r, stale.get(r.name, [])) for r in ordered),
        written=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    )
    path = Path(reports_dir) / "index.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
