"""The house plotting style: every chart in every report is drawn by a function here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from cycler import cycler
from matplotlib.figure import Figure

from labkit.lab.errors import ParameterError

__all__ = [
    "PALETTE",
    "UNITS",
    "VERDICT_COLORS",
    "use_house_style",
    "latency_distribution",
    "histogram",
    "ratio_chart",
    "medians_chart",
    "verdict_bars",
    "hit_rate_over_time",
    "hit_rate_curves",
    "grouped_bars",
    "figures_vs_claims",
    "ci_bars",
    "load_curves",
    "percentiles_by_loop",
    "memory_timeline",
    "fault_timeline",
    "fault_bars",
]

VERDICT_COLORS = {"confirmed": "#1b7f3b", "not reproduced": "#b3261e", "depends": "#edae49", "pending": "#8c8c8c"}

PALETTE = ("#2f6690", "#d1495b", "#66a182", "#edae49", "#8d6a9f", "#3a7ca5", "#00798c", "#8c8c8c")
UNITS = {"s": 1.0, "ms": 1e3, "us": 1e6, "µs": 1e6}

_STYLE: dict[str, Any] = {
    "figure.figsize": (8.0, 4.2),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "legend.frameon": False,
    "font.family": "DejaVu Sans",
    "axes.prop_cycle": cycler(color=PALETTE),
}


def use_house_style() -> None:
    """Apply the lab's matplotlib style (fonts shipped with matplotlib, so reports open offline)."""
    plt.rcParams.update(_STYLE)  # type: ignore[arg-type]


def _scale(unit: str) -> float:
    try:
        return UNITS[unit]
    except KeyError:
        raise ParameterError(f"unknown unit {unit!r}; use one of {', '.join(UNITS)}") from None


def latency_distribution(
    frame: pd.DataFrame, *, by: str = "case", value: str = "value", unit: str = "ms",
    title: str = "", log: bool = True,
) -> Figure:
    """Box plot of every raw sample per group, medians annotated (frame: tidy sample rows, seconds)."""
    use_house_style()
    scale = _scale(unit)
    groups = [(name, group[value].to_numpy() * scale) for name, group in frame.groupby(by, sort=False)]
    if not groups:
        raise ParameterError("no samples to plot")
    fig, ax = plt.subplots(figsize=(8.0, 0.6 * len(groups) + 1.6))
    ax.boxplot([g for _, g in groups], vert=False, showfliers=True, widths=0.6,
               flierprops={"markersize": 2, "alpha": 0.4}, medianprops={"color": PALETTE[1]})
    ax.set_yticks(range(1, len(groups) + 1), [str(name) for name, _ in groups])
    for i, (_, g) in enumerate(groups, start=1):
        ax.annotate(f"{np.median(g):.3g} {unit}", (np.median(g), i + 0.32), fontsize=8, ha="center")
    if log and all(np.all(g > 0) for _, g in groups):
        ax.set_xscale("log")
    ax.set_xlabel(f"time per call ({unit})")
    ax.set_title(title)
    ax.invert_yaxis()
    fig.tight_layout()
    return fig


def histogram(
    frame: pd.DataFrame, *, by: str = "label", value: str = "value", unit: str = "ms", title: str = "",
    bins: int = 40, xlabel: str | None = None,
) -> Figure:
    """Overlaid histograms of raw samples per group on log-spaced bins, p50 and p99 in the legend."""
    use_house_style()
    scale = _scale(unit)
    groups = [(name, group[value].to_numpy() * scale) for name, group in frame.groupby(by, sort=False)]
    groups = [(name, g[g > 0]) for name, g in groups if (g > 0).any()]
    if not groups:
        raise ParameterError("no positive samples to plot")
    everything = np.concatenate([g for _, g in groups])
    edges = np.geomspace(everything.min(), everything.max() * 1.0001, bins + 1)
    fig, ax = plt.subplots()
    for i, (name, g) in enumerate(groups):
        ax.hist(g, bins=edges.tolist(), alpha=0.5, color=PALETTE[i % len(PALETTE)],
                label=f"{name}: p50 {np.median(g):.3g}, p99 {np.percentile(g, 99):.3g} {unit}")
    ax.set_xscale("log")
    ax.set_xlabel(xlabel or f"{value} ({unit})")
    ax.set_ylabel("samples")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def ratio_chart(
    names: Sequence[str], ratios: Sequence[float], lows: Sequence[float], highs: Sequence[float],
    *, title: str = "", reference: float = 1.0, xlabel: str = "ratio of medians (B / A), 95% CI",
    log: bool = False,
) -> Figure:
    """Ratios as points with CI whiskers against a reference line (1.0: no difference); `log` for
    ratios spanning orders of magnitude."""
    use_house_style()
    fig, ax = plt.subplots(figsize=(8.0, 0.55 * len(names) + 1.6))
    y = np.arange(len(names))
    r = np.asarray(ratios, dtype=float)
    err = np.vstack([r - np.asarray(lows, dtype=float), np.asarray(highs, dtype=float) - r])
    ax.errorbar(r, y, xerr=err, fmt="o", color=PALETTE[0], capsize=4)
    ax.axvline(reference, color=PALETTE[1], linestyle="--", linewidth=1)
    ax.set_yticks(y, list(names))
    for yi, (ri, lo, hi) in enumerate(zip(r, lows, highs)):
        ax.annotate(f"{ri:.3g} [{lo:.3g}, {hi:.3g}]" if log else f"{ri:.3f} [{lo:.3f}, {hi:.3f}]",
                    (ri, yi + 0.3), fontsize=8, ha="center")
    if log:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.invert_yaxis()
    fig.tight_layout()
    return fig


def medians_chart(
    frame: pd.DataFrame, *, x: str, y: str = "median", hue: str = "case", low: str | None = "ci_low",
    high: str | None = "ci_high", unit: str = "ms", title: str = "", logx: bool = False, logy: bool = False,
    ylabel: str | None = None,
) -> Figure:
    """Lines of a statistic against a parameter (N, workers...), one per `hue`, CI as a band."""
    use_house_style()
    scale = _scale(unit) if ylabel is None else 1.0
    fig, ax = plt.subplots()
    for i, (name, group) in enumerate(frame.sort_values(x).groupby(hue, sort=False)):
        color = PALETTE[i % len(PALETTE)]
        ax.plot(group[x], group[y] * scale, marker="o", label=str(name), color=color)
        if low and high and low in group and high in group:
            ax.fill_between(group[x], group[low] * scale, group[high] * scale, alpha=0.15, color=color)
    ax.set_xlabel(x)
    ax.set_ylabel(ylabel or f"{y} ({unit})")
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return fig


def verdict_bars(counts: dict[str, int], *, title: str = "Seed claims by verdict") -> Figure:
    """How many claims each verdict got, one bar per verdict."""
    use_house_style()
    fig, ax = plt.subplots(figsize=(8.0, 2.8))
    names = list(counts)
    bars = ax.barh(names, [counts[n] for n in names], color=[VERDICT_COLORS.get(n, PALETTE[0]) for n in names])
    ax.bar_label(bars, padding=3)
    ax.set_xlabel("claims")
    ax.set_title(title)
    ax.invert_yaxis()
    fig.tight_layout()
    return fig


_LINESTYLES = ("-", "--", ":", "-.")


def _named(column: str, value: Any) -> str:
    """`skew 1.2` for numbers, the value itself for names (`allkeys-lru`)."""
    return f"{column} {value:g}" if isinstance(value, (int, float, np.number)) else str(value)


def _facets(n: int, width: float = 8.0, height: float = 3.6) -> tuple[Figure, list[Any]]:
    fig, axes = plt.subplots(1, n, figsize=(width if n == 1 else min(4.2 * n, 14.0), height),
                             sharey=True, squeeze=False)
    return fig, list(axes[0])


def hit_rate_over_time(
    frame: pd.DataFrame, *, x: str = "t_end", hue: str = "skew", style: str | None = "ttl",
    facet: str | None = "cache_size", target: float | None = None, xlabel: str = "simulated time (s)",
    value: str = "value", title: str = "",
) -> Figure:
    """Hit rate (%) of each window against time, a line per `hue` (and dash per `style`), a panel per `facet`."""
    use_house_style()
    panels = list(frame.groupby(facet, sort=True)) if facet else [("", frame)]
    fig, axes = _facets(len(panels))
    hues = sorted(frame[hue].unique())
    styles = sorted(frame[style].unique()) if style else [None]
    for ax, (panel, group) in zip(axes, panels):
        for key, line in group.groupby([hue] + ([style] if style else []), sort=True):
            h, st = key if style else (key[0], None)
            line = line.sort_values(x)
            ax.plot(line[x], line[value], color=PALETTE[hues.index(h) % len(PALETTE)],
                    linestyle=_LINESTYLES[styles.index(st) % len(_LINESTYLES)], marker=".",
                    label=_named(hue, h) + (f", {_named(style, st)}" if style else ""))
        if target is not None:
            ax.axhline(target, color=VERDICT_COLORS["not reproduced"], linestyle="--", linewidth=1)
            ax.annotate(f"{target:g}%", (ax.get_xlim()[0], target), fontsize=8, va="bottom")
        ax.set_title(_named(facet, panel) if facet else title, fontsize=10)
        ax.set_xlabel(xlabel)
        ax.set_ylim(0, 100)
    axes[0].set_ylabel("hit rate (%)")
    axes[-1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if facet and title:
        fig.suptitle(title, fontweight="bold")
    fig.tight_layout()
    return fig


def hit_rate_curves(
    table: pd.DataFrame, *, x: str = "cache_size", y: str = "hit_rate", hue: str = "skew",
    style: str | None = "ttl", facet: str | None = "n_keys", bound: str | None = None,
    target: float | None = None, low: str | None = "ci_low", high: str | None = "ci_high",
    logx: bool = True, xlabel: str = "cache size (entries)", title: str = "",
) -> Figure:
    """Steady-state hit rate (%) against cache size: a line per `hue`/`style`, a panel per `facet`;
    `bound` (a column) is drawn dotted in the hue's colour, the CI as whiskers."""
    use_house_style()
    panels = list(table.groupby(facet, sort=True)) if facet else [("", table)]
    fig, axes = _facets(len(panels))
    hues = sorted(table[hue].unique())
    styles = sorted(table[style].unique()) if style else [None]
    for ax, (panel, group) in zip(axes, panels):
        for key, line in group.groupby([hue] + ([style] if style else []), sort=True):
            h, st = key if style else (key[0], None)
            line = line.sort_values(x)
            color = PALETTE[hues.index(h) % len(PALETTE)]
            ax.plot(line[x], line[y], color=color, linestyle=_LINESTYLES[styles.index(st) % len(_LINESTYLES)],
                    marker="o", label=_named(hue, h) + (f", {_named(style, st)}" if style else ""))
            if low and high and low in line and high in line:
                ax.errorbar(line[x], line[y], yerr=[line[y] - line[low], line[high] - line[y]], fmt="none",
                            ecolor=color, alpha=0.5, capsize=2)
            if bound and st == styles[0]:
                ax.plot(line[x], line[bound], color=color, linestyle=":", linewidth=1, alpha=0.8)
        if target is not None:
            ax.axhline(target, color=VERDICT_COLORS["not reproduced"], linestyle="--", linewidth=1)
        if logx:
            ax.set_xscale("log")
        ticks = sorted(group[x].unique())
        ax.set_xticks(ticks, [f"{t:,.0f}" for t in ticks])
        ax.minorticks_off()
        ax.set_title(_named(facet, panel) if facet else title, fontsize=10)
        ax.set_xlabel(xlabel)
        ax.set_ylim(0, 100)
    axes[0].set_ylabel("steady-state hit rate (%)")
    axes[-1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if facet and title:
        fig.suptitle(title, fontweight="bold")
    fig.tight_layout()
    return fig


def grouped_bars(
    table: pd.DataFrame, *, category: str, hue: str, value: str, facet: str | None = None,
    xlabel: str = "", title: str = "", log: bool = False, fmt: str = "{:.3g}",
) -> Figure:
    """Horizontal bars of `value`, a group per `category`, a bar per `hue`, a panel per `facet`."""
    use_house_style()
    panels = list(table.groupby(facet, sort=False)) if facet else [("", table)]
    categories = list(dict.fromkeys(table[category]))
    hues = list(dict.fromkeys(table[hue]))
    height = 0.8 / len(hues)
    fig, axes = plt.subplots(1, len(panels), figsize=(8.0 if len(panels) == 1 else 5.5 * len(panels),
                                                      0.5 * len(categories) * max(1, len(hues) / 2) + 1.6),
                             sharey=True, squeeze=False)
    for ax, (panel, group) in zip(axes[0], panels):
        for j, h in enumerate(hues):
            rows = group[group[hue] == h].set_index(category).reindex(categories)
            y = np.arange(len(categories)) + (j - (len(hues) - 1) / 2) * height
            bars = ax.barh(y, rows[value], height=height, color=PALETTE[j % len(PALETTE)], label=str(h))
            ax.bar_label(bars, labels=[fmt.format(v) if pd.notna(v) else "" for v in rows[value]],
                         padding=2, fontsize=7)
        ax.set_yticks(np.arange(len(categories)), categories)
        if log:
            ax.set_xscale("log")
        ax.set_xlabel(xlabel)
        ax.set_title(str(panel) if facet else title, fontsize=10 if facet else 12)
        if ax is axes[0][0]:
            ax.invert_yaxis()  # the axes share y: once is enough
    axes[0][-1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if facet and title:
        fig.suptitle(title, fontweight="bold")
    fig.tight_layout()
    return fig


def figures_vs_claims(
    names: Sequence[str], medians: Sequence[float], lows: Sequence[float], highs: Sequence[float],
    claimed: Sequence[float], *, unit: str = "ms", title: str = "",
) -> Figure:
    """Our medians (dots, 95% CI whiskers) beside the figures claimed for them (diamonds), log scale."""
    use_house_style()
    fig, ax = plt.subplots(figsize=(8.0, 0.6 * len(names) + 1.8))
    y = np.arange(len(names))
    m = np.asarray(medians, dtype=float)
    err = np.vstack([m - np.asarray(lows, dtype=float), np.asarray(highs, dtype=float) - m])
    ax.errorbar(m, y, xerr=err, fmt="o", color=PALETTE[0], capsize=4, label="measured median, 95% CI")
    ax.scatter(claimed, y, marker="D", color=PALETTE[1], label="the seed's figure", zorder=3)
    for yi, (mi, ci) in enumerate(zip(m, claimed)):
        ax.annotate(f"{mi:.3g} {unit}", (mi, yi + 0.3), fontsize=8, ha="center")
        ax.annotate(f"{ci:g} {unit}", (ci, yi + 0.3), fontsize=8, ha="center", color=PALETTE[1])
    ax.set_xscale("log")
    ax.set_yticks(y, list(names))
    ax.set_xlabel(f"time per call ({unit}, log scale)")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.invert_yaxis()
    fig.tight_layout()
    return fig


def ci_bars(
    frame: pd.DataFrame, *, y: str, hue: str, value: str = "median", low: str | None = "ci_low",
    high: str | None = "ci_high", scale: float = 1.0, xlabel: str = "", title: str = "",
) -> Figure:
    """Horizontal bars of a statistic per `y` group, one bar per `hue`, its 95% CI as whiskers (memory)."""
    use_house_style()
    groups = list(dict.fromkeys(frame[y]))
    hues = list(dict.fromkeys(frame[hue]))
    if not groups:
        raise ParameterError("nothing to plot")
    height = 0.8 / len(hues)
    fig, ax = plt.subplots(figsize=(8.0, 0.45 * len(groups) * len(hues) + 1.6))
    for i, name in enumerate(hues):
        part = frame[frame[hue] == name].set_index(y).reindex(groups)
        values = part[value].to_numpy(dtype=float) * scale
        positions = np.arange(len(groups)) + (i - (len(hues) - 1) / 2) * height
        err = None
        if low and high and low in part and high in part:
            err = np.vstack([values - part[low].to_numpy(dtype=float) * scale,
                             part[high].to_numpy(dtype=float) * scale - values])
        bars = ax.barh(positions, values, height=height * 0.9, xerr=err, capsize=3, label=str(name),
                       color=PALETTE[i % len(PALETTE)])
        ax.bar_label(bars, labels=[f"{v:.3g}" if np.isfinite(v) else "" for v in values], padding=4, fontsize=8)
    ax.set_yticks(range(len(groups)), [str(g) for g in groups])
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.invert_yaxis()
    if len(hues) > 1:
        ax.legend()
    fig.tight_layout()
    return fig


def load_curves(table: pd.DataFrame, *, title: str = "Service under load (closed loop)") -> Figure:
    """Requests/s and p95 latency against locust users, one line per mode (table: `labkit.lab.load.step_table`)."""
    use_house_style()
    closed = table[table["loop"] == "closed"].sort_values("users")
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.0, 3.8))
    for i, (mode, group) in enumerate(closed.groupby("mode", sort=False)):
        color = PALETTE[i % len(PALETTE)]
        left.plot(group["users"], group["requests_per_s"], marker="o", color=color, label=str(mode))
        right.plot(group["users"], group["p95_ms"], marker="o", color=color, label=str(mode))
        right.plot(group["users"], group["p50_ms"], marker=".", linestyle=":", color=color, label=f"{mode} p50")
    left.set_xlabel("concurrent users")
    left.set_ylabel("requests/s (mean of time bins)")
    right.set_xlabel("concurrent users")
    right.set_ylabel("latency (ms): p95 solid, p50 dotted")
    if len(closed):
        right.set_yscale("log")
        left.legend()
    else:
        left.text(0.5, 0.5, "no closed-loop step in this run", ha="center", va="center", transform=left.transAxes)
    fig.suptitle(title, fontweight="bold")
    fig.tight_layout()
    return fig


def percentiles_by_loop(table: pd.DataFrame, *, title: str = "p50 / p95 / p99 per step, closed and open loop"
                        ) -> Figure:
    """Grouped bars of p50, p95 and p99 (ms, log scale) for every mode and step (closed and open loop)."""
    use_house_style()
    names = [f"{r.mode}\n{r.step}" for r in table.itertuples()]
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(max(8.0, 1.3 * len(names)), 4.2))
    for i, q in enumerate(("p50_ms", "p95_ms", "p99_ms")):
        ax.bar(x + (i - 1) * 0.27, table[q], width=0.27, label=q.split("_")[0], color=PALETTE[i])
    ax.set_xticks(x, names, fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("latency (ms)")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return fig


def memory_timeline(frame: pd.DataFrame, *, title: str = "Server memory (RSS) over the run") -> Figure:
    """RSS in MB against seconds since the service started, one line per mode (frame: memory rows)."""
    use_house_style()
    fig, ax = plt.subplots()
    for i, (mode, group) in enumerate(frame.sort_values("t").groupby("mode", sort=False)):
        ax.plot(group["t"], group["value"] / 2**20, color=PALETTE[i % len(PALETTE)], label=str(mode))
    ax.set_xlabel("seconds since the service started")
    ax.set_ylabel("resident memory (MB)")
    ax.set_ylim(bottom=0)
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return fig


from labkit.lab.report.fault_plots import fault_bars, fault_timeline  # noqa: E402  (charts of 09_faults, one style)
