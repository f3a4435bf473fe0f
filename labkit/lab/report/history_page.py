"""`reports/history.html`: each figure across commits with CIs, its confirmed steps marked, a table of changes."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from labkit.lab.bench.history import FigureTrend
from labkit.lab.bench.units import TIME_UNITS, format_change, format_value, time_step
from labkit.lab.report.plots import PALETTE, use_house_style

__all__ = ["CHARTS_PER_EXPERIMENT", "trend_chart", "write_history_page"]

CHARTS_PER_EXPERIMENT = 12
_COLORS = {"regression": "#b3261e", "improvement": "#1b7f3b"}


def _axis_scale(trend: FigureTrend) -> tuple[float, str]:
    if trend.unit not in TIME_UNITS:
        return 1.0, trend.unit
    size, name = time_step(float(np.median(trend.points["value"])) * TIME_UNITS[trend.unit])
    return TIME_UNITS[trend.unit] / size, name


def trend_chart(trend: FigureTrend) -> Figure:
    """Median per commit with its 95% CI, the levels between confirmed steps, each step marked with its change."""
    use_house_style()
    scale, unit = _axis_scale(trend)
    p = trend.points
    x = np.arange(len(p))
    y = p["value"].to_numpy() * scale
    err = np.vstack([y - p["ci_low"].to_numpy() * scale, p["ci_high"].to_numpy() * scale - y])
    fig, ax = plt.subplots(figsize=(8.0, 3.2))
    ax.errorbar(x, y, yerr=err, fmt="o", color=PALETTE[0], capsize=3, markersize=4, label="median, 95% CI")
    bounds = [0, *(s.at for s in trend.steps), len(p)]
    for start, stop in zip(bounds, bounds[1:]):
        level = float(np.exp(np.log(y[start:stop]).mean()))
        ax.hlines(level, start - 0.3, stop - 0.7, color=PALETTE[7], linewidth=1.5)
    for step in trend.steps:
        verdict = trend.verdict(step)
        ax.axvline(step.at - 0.5, color=_COLORS[verdict], linestyle="--", linewidth=1.2)
        ax.annotate(f" {verdict} {format_change(step.ratio)}", (step.at - 0.5, 0.98),
                    xycoords=("data", "axes fraction"), color=_COLORS[verdict], fontsize=9, va="top")
    ax.margins(y=0.18)
    ax.set_xticks(x, [str(c)[:7] for c in p["commit"]], rotation=45 if len(p) > 8 else 0, fontsize=8)
    ax.set_xlabel("commit (oldest first)")
    ax.set_ylabel(unit)
    ax.set_title(f"{trend.experiment}: {trend.figure}" + (f"\n{trend.parameters}" if trend.parameters else ""),
                 fontsize=10)
    fig.tight_layout()
    return fig


def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>labkit history</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font: 15px/1.45 -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; max-width: 1100px;
       margin: 2em auto; padding: 0 1em; color: #222; }}
table {{ border-collapse: collapse; width: 100%; margin-bottom: 1.5em; }}
th, td {{ text-align: left; padding: 5px 9px; border-bottom: 1px solid #ddd; vertical-align: top; }}
th {{ background: #f4f6f8; }} code {{ font-size: 12px; }}
.regression {{ color: #b3261e; font-weight: bold; }} .improvement {{ color: #1b7f3b; font-weight: bold; }}
.chart img {{ max-width: 100%; }} .note {{ color: #555; font-size: 13px; }}
</style></head>
<body>
<h1>History across commits</h1>
<p>Machine <code>{machine}</code>, {commits} commits measured, HEAD <code>{head}</code>. Each point is the median of a
figure at one commit (every lab run of that commit pooled) with its 95% CI, which includes the run-to-run noise.
A step is a change between two levels of the best piecewise-constant fit that clears the noise
(Student's t, family-wise &alpha;={alpha:g}) and &plusmn;{threshold:.0%}. <a href="index.html">All reports</a>.</p>
{notes}
<h2>Changes</h2>
{changes}
{sections}
<p><small>Written {written}.</small></p>
</body></html>
"""


def _changes(trends: Sequence[FigureTrend], head: str | None) -> str:
    rows = []
    for t in trends:
        for step in t.steps:
            verdict, commit = t.verdict(step), t.commit_at(step)
            at_head = " (HEAD)" if head and commit == head else ""
            rows.append((int(t.points["position"].iloc[step.at]),
                         f"<tr><td>{html.escape(t.experiment)}</td><td>{html.escape(t.figure)}"
                         f"{'<br><code>' + html.escape(t.parameters) + '</code>' if t.parameters else ''}</td>"
                         f"<td><code>{html.escape(commit[:10])}</code>{at_head}</td>"
                         f"<td>{html.escape(format_value(step.before, t.unit))} &rarr; "
                         f"{html.escape(format_value(step.after, t.unit))}</td>"
                         f"<td>{format_change(step.ratio)} [{format_change(step.ci_low)}, "
                         f"{format_change(step.ci_high)}]</td><td class=\"{verdict}\">{verdict}</td></tr>"))
    if not rows:
        return "<p>No step beyond the noise in any figure.</p>"
    body = "\n".join(row for _, row in sorted(rows, key=lambda r: -r[0]))
    return ("<table><thead><tr><th>experiment</th><th>figure</th><th>first commit</th><th>before &rarr; after"
            "</th><th>change [95% CI]</th><th>verdict</th></tr></thead><tbody>\n" + body + "\n</tbody></table>")


def _sections(trends: Sequence[FigureTrend]) -> str:
    parts = []
    for experiment in sorted({t.experiment for t in trends}):
        mine = [t for t in trends if t.experiment == experiment]
        shown = sorted(mine, key=lambda t: (not t.steps, t.figure))[:CHARTS_PER_EXPERIMENT]
        parts.append(f"<h2>{html.escape(experiment)}</h2>")
        if len(mine) > len(shown):
            parts.append(f'<p class="note">{len(shown)} of {len(mine)} figures charted (those with steps first); '
                         "the table above covers them all.</p>")
        for t in shown:
            parts.append(f'<div class="chart"><img alt="{html.escape(experiment)}: {html.escape(t.figure)}" '
                         f'src="data:image/png;base64,{_png(trend_chart(t))}">'
                         f'<p class="note">noise: {html.escape(t.noise)}</p></div>')
    return "\n".join(parts) or "<p>No lab run on a commit of this branch yet: run the lab, then `labkit history`.</p>"


def write_history_page(
    reports_dir: str | Path, trends: Sequence[FigureTrend], *, machine: str, head: str | None,
    notes: Sequence[str] = (), threshold: float = 0.05, alpha: float = 0.05,
) -> Path:
    """Write `history.html` beside the index: the changes table, then a trend chart per figure."""
    commits = len({c for t in trends for c in t.points["commit"]})
    page = _PAGE.format(
        machine=html.escape(machine), commits=commits, head=html.escape((head or "unknown")[:10]),
        alpha=alpha, threshold=threshold,
        notes="".join(f'<p class="note">{html.escape(n)}</p>' for n in notes),
        changes=_changes(trends, head), sections=_sections(trends),
        written=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    )
    path = Path(reports_dir) / "history.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
