"""The Zipf workload: its probabilities, its request stream, and the hit rates its models allow."""

from __future__ import annotations

import numpy as np
import pytest

from labkit.errors import CacheArgumentError
from labkit.lab.experiments.cache.workload import ZipfWorkload


def test_probabilities_sum_to_one_and_fall_with_rank() -> None:
    p = ZipfWorkload(1000, 1.0).probabilities
    assert p.sum() == pytest.approx(1.0)
    assert np.all(np.diff(p) < 0)
    assert p[0] / p[1] == pytest.approx(2.0)


def test_skew_zero_is_uniform() -> None:
    assert np.allclose(ZipfWorkload(50, 0.0).probabilities, 1 / 50)


def test_requests_are_reproducible_ranks_in_range() -> None:
    w = ZipfWorkload(100, 0.9)
    a, b = w.requests(5000, seed=7), w.requests(5000, seed=7)
    assert np.array_equal(a, b)
    assert a.min() >= 0 and a.max() < 100
    assert not np.array_equal(a, w.requests(5000, seed=8))


def test_requests_follow_the_probabilities() -> None:
    w = ZipfWorkload(20, 1.2)
    counts = np.bincount(w.requests(200_000, seed=1), minlength=20) / 200_000
    assert np.allclose(counts, w.probabilities, atol=0.005)


def test_top_k_is_the_share_of_the_hottest_keys() -> None:
    w = ZipfWorkload(4, 1.0)
    assert w.top_k_hit_rate(1) == pytest.approx(1 / (1 + 1 / 2 + 1 / 3 + 1 / 4))
    assert w.top_k_hit_rate(4) == pytest.approx(1.0)
    assert w.top_k_hit_rate(0) == 0.0


def test_lru_never_beats_holding_the_hottest_keys() -> None:
    w = ZipfWorkload(5000, 0.9)
    for size in (1, 50, 500, 4999):
        assert 0 < w.lru_hit_rate(size) <= w.top_k_hit_rate(size)
    assert w.lru_hit_rate(5000) == 1.0


def test_lru_cache_for_inverts_lru_hit_rate() -> None:
    w = ZipfWorkload(5000, 1.0)
    size = w.lru_cache_for(0.7)
    assert w.lru_hit_rate(size) == pytest.approx(0.7, abs=0.002)
    assert size >= w.smallest_cache_for(0.7)


def test_smallest_cache_for_covers_the_target_with_the_hottest_keys() -> None:
    w = ZipfWorkload(1000, 1.1)
    k = w.smallest_cache_for(0.85)
    assert w.top_k_hit_rate(k) >= 0.85 > w.top_k_hit_rate(k - 1)
    assert w.smallest_cache_for(1.0) == 1000


def test_a_longer_ttl_hits_more_and_ttl_for_inverts_it() -> None:
    w = ZipfWorkload(1000, 0.8)
    rates = [w.ttl_hit_rate(10.0, ttl) for ttl in (1, 10, 100, 1000)]
    assert rates == sorted(rates) and rates[-1] < 1
    ttl = w.ttl_for(0.6, rate=10.0)
    assert w.ttl_hit_rate(10.0, ttl) == pytest.approx(0.6, abs=1e-6)


def test_one_key_under_ttl_follows_the_renewal_formula() -> None:
    # one key at 2 requests/s with a 4 s TTL: each miss is followed by 8 hits on average
    assert ZipfWorkload(1, 1.0).ttl_hit_rate(2.0, 4.0) == pytest.approx(8 / 9)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"n_keys": 0, "skew": 1.0}, "n_keys must be an integer >= 1, got 0"),
     ({"n_keys": 10, "skew": -1.0}, r"skew must be a number in \[0, 10\], got -1.0")],
)
def test_bad_workloads_are_named(kwargs: dict, match: str) -> None:
    with pytest.raises(CacheArgumentError, match=match):
        ZipfWorkload(**kwargs)


def test_bad_targets_are_named() -> None:
    with pytest.raises(CacheArgumentError, match=r"hit_rate must be a fraction in \(0, 1\], got 85"):
        ZipfWorkload(10, 1.0).smallest_cache_for(85)
