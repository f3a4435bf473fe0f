"""The reports index: every experiment with its status, duration, run, backends and headline."""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

__all__ = ["NotebookRun", "read_runs", "write_runs", "write_index"]

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
    finished: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def read_runs(reports_dir: str | Path) -> dict[str, NotebookRun]:
    """Runs recorded so far, by notebook name (empty when none)."""
    path = Path(reports_dir) / RUNS_FILE
    if not path.is_file():
        return {}
    return {item["name"]: NotebookRun(**item) for item in json.loads(path.read_text())}


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


def _row(run: NotebookRun) -> str:
    esc = html.escape
    links = []
    if run.reviewer_html:
        links.append(f'<a href="{esc(run.reviewer_html)}">report</a>')
    if run.full_html:
        links.append(f'<a href="{esc(run.full_html)}">full</a>')
    backends = "<br>".join(f"{esc(k)}: <code>{esc(str(v))}</code>" for k, v in run.backends.items()) or "&ndash;"
    headline = esc(run.headline or "")
    if run.error:
        headline += f'<div class="error">{esc(run.error)}</div>'
    return (
        f"<tr><td>{esc(run.name)}</td><td class=\"{esc(run.status)}\">{esc(run.status)}</td>"
        f"<td>{run.duration_s:.1f} s</td><td><code>{esc(run.run_id or '–')}</code></td>"
        f"<td>{backends}</td><td>{headline}</td><td>{' · '.join(links) or '–'}</td></tr>"
    )


def write_index(reports_dir: str | Path, runs: Iterable[NotebookRun]) -> Path:
    """Write `index.html`: the summary experiment (99_*) first, then the others in order."""
    ordered = sorted(runs, key=lambda r: (not r.name.startswith("99_"), r.name))
    failed = [r.name for r in ordered if not r.ok]
    summary = (
        f"{len(ordered)} experiments, all succeeded." if not failed
        else f"{len(ordered)} experiments, {len(failed)} failed: {', '.join(failed)}."
    )
    history = ('<p><a href="history.html">History across commits</a>: each figure over commits, steps beyond the '
               "noise marked (<code>labkit history</code>).</p>" if (Path(reports_dir) / "history.html").is_file()
               else "")
    page = _PAGE.format(
        summary=html.escape(summary), history=history, rows="\n".join(_row(r) for r in ordered),
        written=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    )
    path = Path(reports_dir) / "index.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
