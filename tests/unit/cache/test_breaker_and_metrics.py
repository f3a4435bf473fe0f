"""The circuit breaker on a fake clock, and the latency histogram's percentiles."""

from __future__ import annotations

import pytest

from labkit.cache import CircuitBreaker
from labkit.cache.metrics import CacheMetrics, LatencyHistogram
from labkit.errors import CacheArgumentError


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_breaker_opens_at_the_threshold_and_lets_one_trial_through_after_recovery():
    clock = Clock()
    b = CircuitBreaker(threshold=2, recovery_s=10, clock=clock)
    b.failure()
    assert b.allow() and b.state == "closed"
    b.failure()
    assert b.state == "open" and not b.allow()
    clock.now += 9.9
    assert not b.allow()
    clock.now += 0.1
    assert b.state == "half-open"
    assert b.allow()
    assert not b.allow()  # only one trial at a time
    b.success()
    assert b.state == "closed" and b.allow()


def test_a_failed_trial_reopens_the_breaker_for_another_period():
    clock = Clock()
    b = CircuitBreaker(threshold=1, recovery_s=5, clock=clock)
    b.failure()
    clock.now += 5
    assert b.allow()
    b.failure()
    assert b.state == "open"
    clock.now += 4
    assert not b.allow()


def test_the_breaker_counts_its_transitions_not_its_failed_trials():
    clock = Clock()
    b = CircuitBreaker(threshold=1, recovery_s=5, clock=clock)
    b.failure()
    clock.now += 5
    assert b.allow()
    b.failure()  # the trial failed: still open, no new transition
    clock.now += 5
    assert b.allow()
    b.success()
    b.success()  # already closed: no transition
    assert (b.opens, b.closes) == (1, 1)


@pytest.mark.parametrize(("threshold", "recovery"), [(0, 1), (1, 0)])
def test_breaker_arguments_are_checked(threshold, recovery):
    with pytest.raises(ValueError, match="must be"):
        CircuitBreaker(threshold, recovery)


def test_histogram_percentiles_are_within_a_bucket_of_the_truth():
    h = LatencyHistogram()
    for i in range(1, 1001):
        h.record(i / 1e6)  # 1 .. 1000 microseconds
    for q, truth_ms in ((50, 0.5), (95, 0.95), (99, 0.99)):
        assert truth_ms <= h.percentile(q) <= truth_ms * 1.1
    assert h.summary()["count"] == 1000


def test_an_empty_histogram_has_no_percentiles():
    assert LatencyHistogram().summary()["p99_ms"] is None


def test_metrics_hit_rate_is_none_before_any_lookup_and_reset_clears_all():
    m = CacheMetrics()
    assert m.as_dict()["hit_rate"] is None
    m.hits, m.misses = 3, 1
    m.observe("get", 0.001)
    assert m.as_dict()["hit_rate"] == 0.75
    m.reset()
    assert m.as_dict()["hits"] == 0 and m.as_dict()["latency"] == {}


@pytest.mark.parametrize("options", [{"threshold": 0}, {"recovery_s": 0}, {"recovery_s": -1.5}])
def test_breaker_refuses_unusable_settings_naming_them(options: dict[str, float]) -> None:
    with pytest.raises(CacheArgumentError, match=next(iter(options))) as info:
        CircuitBreaker(**options)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)
