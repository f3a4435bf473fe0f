"""House charts of a run with faults: latency and errors over time, each fault's window shaded."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from labkit.lab.report.plots import PALETTE, use_house_style

__all__ = ["fault_timeline", "fault_bars"]


def _shade(ax: object, windows: pd.DataFrame, *, labels: bool) -> None:
    for i, w in enumerate(windows.itertuples()):
        ax.axvspan(w.t, w.t_end, color="#b3261e", alpha=0.12, linewidth=0)  # type: ignore[attr-defined]
        if labels:
            ax.annotate(w.label, (w.t, 1.0), xycoords=("data", "axes fraction"), fontsize=7,  # type: ignore[attr-defined]
                        va="bottom", ha="left", rotation=0, xytext=(0, 2 + 9 * (i % 2)), textcoords="offset points")


def fault_timeline(bins: pd.DataFrame, windows: pd.DataFrame, *, title: str = "Latency and errors while faults hit "
                   "the servers") -> Figure:
    """p99 latency (log scale) and error rate per time bin, a line per mode; fault windows shaded.

    `bins`: rows of (mode, t, p99_ms, error_pct); `windows`: the fault rows (t, t_end, label).
    """
    use_house_style()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9.0, 5.6), sharex=True)
    for i, (mode, group) in enumerate(bins.sort_values("t").groupby("mode", sort=True)):
        color = PALETTE[i % len(PALETTE)]
        top.plot(group["t"], group["p99_ms"], color=color, label=str(mode), linewidth=1.4)
        bottom.plot(group["t"], group["error_pct"], color=color, label=str(mode), linewidth=1.4)
    _shade(top, windows, labels=True)
    _shade(bottom, windows, labels=False)
    top.set_yscale("log")
    top.set_ylabel("p99 latency (ms)")
    bottom.set_ylabel("errors (% of requests)")
    bottom.set_ylim(0, 100)
    bottom.set_xlabel("seconds since the load started (by each request's due time)")
    top.legend(loc="upper right", fontsize=8)
    fig.suptitle(title, fontweight="bold")
    fig.tight_layout()
    return fig


def fault_bars(table: pd.DataFrame, column: str, *, ylabel: str, title: str) -> Figure:
    """One bar per fault and mode for `column` of a fault table (recovery seconds, p99 during the fault...)."""
    use_house_style()
    pivot = table.pivot(index="label", columns="mode", values=column).reindex(table["label"].unique())  # run order
    fig, ax = plt.subplots(figsize=(8.0, 3.8))
    width = 0.8 / max(1, len(pivot.columns))
    for i, mode in enumerate(pivot.columns):
        xs = [k + i * width for k in range(len(pivot))]
        ax.bar(xs, pivot[mode].fillna(0), width=width, color=PALETTE[i % len(PALETTE)], label=str(mode))
    ax.set_xticks([k + width * (len(pivot.columns) - 1) / 2 for k in range(len(pivot))])
    ax.set_xticklabels(pivot.index, fontsize=8, rotation=10)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
