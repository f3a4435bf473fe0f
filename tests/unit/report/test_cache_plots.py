"""The cache notebook's charts: one panel per facet, one line or bar per series."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from labkit.lab.report import plots  # noqa: E402


def _windows() -> pd.DataFrame:
    rows = []
    for size in (10, 100):
        for skew in (0.8, 1.2):
            for ttl in (60.0, 600.0):
                for i in range(3):
                    rows.append({"cache_size": size, "skew": skew, "ttl": ttl, "t_end": 10.0 * (i + 1),
                                 "value": 50.0 + i, "hit_rate": 60.0, "ci_low": 55.0, "ci_high": 65.0,
                                 "best_possible": 80.0, "n_keys": 1000})
    return pd.DataFrame(rows)


def test_hit_rate_over_time_draws_a_panel_per_facet_and_a_line_per_series() -> None:
    fig = plots.hit_rate_over_time(_windows(), target=85.0, title="t")
    assert len(fig.axes) == 2
    assert all(len([ln for ln in ax.get_lines() if len(ln.get_xdata()) == 3]) == 4 for ax in fig.axes)
    plt.close(fig)


def test_hit_rate_curves_draws_the_bound_dotted_once_per_hue() -> None:
    steady = _windows().drop_duplicates(["cache_size", "skew", "ttl"])
    fig = plots.hit_rate_curves(steady, bound="best_possible", target=85.0, facet=None, title="t")
    dotted = [ln for ln in fig.axes[0].get_lines() if ln.get_linestyle() == ":"]
    assert len(fig.axes) == 1 and len(dotted) == 2
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["10", "100"]
    plt.close(fig)


def test_grouped_bars_draws_a_bar_per_category_and_hue() -> None:
    table = pd.DataFrame({"payload": ["a", "a", "b", "b"], "codec": ["x", "y", "x", "y"], "bytes": [1, 2, 3, 4]})
    fig = plots.grouped_bars(table, category="payload", hue="codec", value="bytes", title="sizes")
    assert len(fig.axes[0].patches) == 4
    plt.close(fig)


def test_figures_vs_claims_marks_each_claim() -> None:
    fig = plots.figures_vs_claims(["GET", "SET"], [0.05, 0.06], [0.04, 0.05], [0.06, 0.07], [0.5, 0.8])
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and [t.get_text() for t in ax.get_yticklabels()] == ["GET", "SET"]
    plt.close(fig)
