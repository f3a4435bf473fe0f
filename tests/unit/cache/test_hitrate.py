"""Replaying a workload through the memory backend on a simulated clock, and reading the hit rates back."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from labkit.errors import CacheArgumentError
from labkit.lab.experiments.cache.hit_analysis import describe_reach, reach_table, steady_hit_rates
from labkit.lab.experiments.cache.hitrate import HitTrace, hit_rate_frame, memory_hit_rates, replay_memory
from labkit.lab.experiments.cache.workload import ZipfWorkload


def test_one_key_hits_until_its_ttl_runs_out() -> None:
    # one request a second, entries live 2.5 s: miss, hit, hit, miss, hit, hit, ...
    trace = replay_memory(np.zeros(9, dtype=np.int64), cache_size=10, ttl=2.5, rate=1.0)
    assert trace.hits.tolist() == [False, True, True] * 3
    assert trace.times.tolist() == list(range(9))


def test_requests_further_apart_than_the_ttl_always_miss() -> None:
    trace = replay_memory(np.zeros(5, dtype=np.int64), cache_size=10, ttl=0.5, rate=1.0)
    assert not trace.hits.any()


def test_a_cache_of_one_entry_misses_two_alternating_keys() -> None:
    trace = replay_memory(np.array([0, 1] * 50), cache_size=1, ttl=3600, rate=10.0)
    assert not trace.hits.any() and trace.held == 1


def test_a_cache_holding_every_key_misses_only_first_requests() -> None:
    stream = ZipfWorkload(300, 0.8).requests(5000, seed=3)
    trace = replay_memory(stream, cache_size=300, ttl=1e9, rate=100.0)
    assert int((~trace.hits).sum()) == len(np.unique(stream))
    assert trace.held == len(np.unique(stream))


def test_lru_hit_rate_matches_the_model_in_steady_state() -> None:
    w = ZipfWorkload(2000, 1.0)
    trace = replay_memory(w.requests(60_000, seed=0), cache_size=200, ttl=1e9, rate=100.0)
    assert trace.hit_rate(from_fraction=0.5) == pytest.approx(w.lru_hit_rate(200), abs=0.03)


def test_replay_refuses_bad_arguments() -> None:
    with pytest.raises(CacheArgumentError, match="cache_size must be >= 1 entry, got 0"):
        replay_memory(np.zeros(3, dtype=np.int64), cache_size=0, ttl=1, rate=1)
    with pytest.raises(CacheArgumentError, match="need at least one request"):
        replay_memory(np.zeros(0, dtype=np.int64), cache_size=1, ttl=1, rate=1)


def test_windows_split_the_requests_and_the_first_half_are_warmups() -> None:
    hits = np.array([False] * 50 + [True] * 50)
    frame = hit_rate_frame(HitTrace(hits, np.arange(100.0), 7), windows=4, case="c", label="C", skew=1.0)
    assert frame["requests"].tolist() == [25] * 4
    assert frame["value"].tolist() == [0.0, 0.0, 100.0, 100.0]
    assert frame["phase"].tolist() == ["warmup", "warmup", "sample", "sample"]
    assert frame["t_end"].tolist() == [24.0, 49.0, 74.0, 99.0]
    assert set(frame["unit"]) == {"%"} and set(frame["held"]) == {7} and set(frame["skew"]) == {1.0}


def test_memory_hit_rates_runs_every_combination() -> None:
    frame = memory_hit_rates([0.8, 1.2], [500], [10, 100], [60.0], requests=2000, rate=10.0, windows=4)
    steady = steady_hit_rates(frame)
    assert len(steady) == 4
    assert set(steady["cache_size"]) == {10, 100}
    bigger = steady.set_index(["skew", "cache_size"])["hit_rate"]
    assert bigger[(0.8, 100)] > bigger[(0.8, 10)] and bigger[(1.2, 100)] > bigger[(0.8, 100)]


def _steady(rates: dict[tuple[float, int], float]) -> pd.DataFrame:
    rows = []
    for (skew, size), rate in rates.items():
        for i in range(4):
            rows.append({"case": f"s{skew} k{size}", "label": f"skew {skew}, {size}", "phase": "sample",
                         "iteration": i, "value": rate, "unit": "%", "requests": 100, "backend": "memory",
                         "policy": "lru", "skew": skew, "n_keys": 1000, "cache_size": size, "ttl": 60.0})
    return steady_hit_rates(pd.DataFrame(rows))


def test_reach_names_the_smallest_cache_that_reached_the_target() -> None:
    steady = _steady({(0.8, 10): 30.0, (0.8, 100): 60.0, (1.2, 10): 80.0, (1.2, 100): 90.0})
    table = reach_table(steady, 85.0).set_index("skew")
    assert table.loc[1.2, "smallest cache reaching it"] == "100"
    assert table.loc[0.8, "smallest cache reaching it"] == "—"
    text = describe_reach(steady, 85.0)
    assert "skew 0.8: never (best 60.0% with 100 of 1,000 keys cached), where even a perfect cache needs" in text
    assert "skew 1.2: from 100 of 1,000 keys cached (10%)" in text


def test_a_workload_whose_cache_was_still_filling_is_flagged() -> None:
    rows = [{"case": "c", "label": "C", "phase": "sample", "iteration": i, "value": v, "unit": "%", "requests": 10}
            for i, v in enumerate([50.0, 52.0, 60.0, 70.0])]
    flat = [dict(r, case="d", value=60.0) for r in rows]
    steady = steady_hit_rates(pd.DataFrame(rows + flat)).set_index("case")
    assert steady.loc["c", "still_rising"] and not steady.loc["d", "still_rising"]
