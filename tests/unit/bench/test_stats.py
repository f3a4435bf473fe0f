"""Statistics against distributions whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from labkit.lab.bench.stats import bootstrap_median_ci, ratio_of_medians, summarize


def test_percentiles_of_one_to_one_hundred() -> None:
    s = summarize(np.arange(1, 101))
    assert s.median == pytest.approx(50.5)
    assert s.p95 == pytest.approx(95.05)
    assert s.p99 == pytest.approx(99.01)
    assert s.iqr == pytest.approx(75.25 - 25.75)
    assert (s.min, s.max, s.n) == (1, 100, 100)


def test_median_ci_of_a_normal_sample_covers_the_true_median() -> None:
    rng = np.random.default_rng(1)
    low, high = bootstrap_median_ci(rng.normal(10.0, 1.0, 2000))
    assert low < 10.0 < high
    assert high - low < 0.2  # the standard error of the median is ~0.028 here


def test_median_ci_narrows_with_more_samples() -> None:
    rng = np.random.default_rng(2)
    small = bootstrap_median_ci(rng.exponential(1.0, 50))
    large = bootstrap_median_ci(rng.exponential(1.0, 5000))
    assert (large[1] - large[0]) < (small[1] - small[0]) / 4


def test_ci_coverage_is_near_nominal() -> None:
    rng = np.random.default_rng(3)
    true_median = np.log(2)  # of Exp(1)
    covered = sum(
        lo <= true_median <= hi
        for lo, hi in (bootstrap_median_ci(rng.exponential(1.0, 200), resamples=400, seed=i) for i in range(200))
    )
    assert 0.88 <= covered / 200 <= 0.99


def test_ratio_of_scaled_samples_recovers_the_scale() -> None:
    rng = np.random.default_rng(4)
    a = rng.lognormal(0.0, 0.2, 500)
    b = 3.0 * rng.lognormal(0.0, 0.2, 500)
    r = ratio_of_medians(a, b)
    assert r.ci_low < 3.0 < r.ci_high
    assert r.excludes(1.0)
    assert r.speedup == pytest.approx(1 / r.value)


def test_ratio_of_identical_distributions_rarely_excludes_one() -> None:
    rng = np.random.default_rng(5)
    false_alarms = sum(
        ratio_of_medians(rng.normal(5, 0.5, 100), rng.normal(5, 0.5, 100), resamples=400, seed=i).excludes(1.0)
        for i in range(100)
    )
    assert false_alarms <= 12  # nominally 5 of 100


def test_constant_samples_give_a_zero_width_interval() -> None:
    assert bootstrap_median_ci([2.0] * 10) == (2.0, 2.0)


@pytest.mark.parametrize("bad", [[], [1.0, float("nan")], [[1.0, 2.0]]])
def test_bad_samples_are_rejected(bad: list) -> None:
    with pytest.raises(ValueError):
        summarize(bad)


def test_ratio_needs_a_positive_baseline() -> None:
    with pytest.raises(ValueError, match="median of A"):
        ratio_of_medians([0.0, 0.0], [1.0, 2.0])
