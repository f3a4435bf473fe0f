"""ci_bars draws one bar per (group, hue) with its CI whiskers."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from labkit.lab.report import plots  # noqa: E402


def test_one_bar_per_group_and_hue_scaled() -> None:
    frame = pd.DataFrame({"case": ["a", "b", "a", "b"], "backend": ["x", "x", "y", "y"],
                          "median": [1e6, 2e6, 3e6, 4e6], "ci_low": [0.9e6, 1.9e6, 2.9e6, 3.9e6],
                          "ci_high": [1.1e6, 2.1e6, 3.1e6, 4.1e6]})
    fig = plots.ci_bars(frame, y="case", hue="backend", scale=1e-6, xlabel="MB")
    bars = [p for p in fig.axes[0].patches]
    assert sorted(round(b.get_width(), 6) for b in bars) == [1.0, 2.0, 3.0, 4.0]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["a", "b"]


def test_an_empty_frame_is_refused() -> None:
    with pytest.raises(ValueError, match="nothing to plot"):
        plots.ci_bars(pd.DataFrame({"case": [], "backend": [], "median": []}), y="case", hue="backend")
