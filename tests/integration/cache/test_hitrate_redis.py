"""Hit rate on a private Redis with maxmemory and an eviction policy, one get-or-set script per request."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from labkit.errors import CacheArgumentError
from labkit.lab.experiments.cache.hit_analysis import steady_hit_rates
from labkit.lab.experiments.cache.hitrate import redis_hit_rates, replay_redis
from labkit.lab.experiments.cache.workload import ZipfWorkload
from labkit.lab.services.private_redis import PrivateRedis, private_redis


@pytest.fixture(scope="module")
def server() -> Iterator[PrivateRedis]:
    with private_redis() as s:
        yield s


def test_a_cache_big_enough_misses_only_first_requests(server: PrivateRedis) -> None:
    stream = ZipfWorkload(200, 1.0).requests(3000, seed=2)
    trace = replay_redis(server, stream, cache_size=400)
    assert int((~trace.hits).sum()) == len(np.unique(stream))
    assert server.config("maxmemory-policy") == "allkeys-lru"


def test_maxmemory_holds_about_the_entries_asked_for(server: PrivateRedis) -> None:
    stream = ZipfWorkload(5000, 0.8).requests(6000, seed=1)
    small = replay_redis(server, stream, cache_size=300, policy="allkeys-lfu")
    large = replay_redis(server, stream, cache_size=3000, policy="allkeys-lfu")
    assert 150 <= small.held <= 450
    assert small.hit_rate(0.5) < large.hit_rate(0.5)
    assert server.config("maxmemory-policy") == "allkeys-lfu"


def test_replay_repeats_exactly_on_the_same_stream(server: PrivateRedis) -> None:
    stream = ZipfWorkload(100, 1.0).requests(500, seed=5)
    a = replay_redis(server, stream, cache_size=1000)
    b = replay_redis(server, stream, cache_size=1000)
    assert np.array_equal(a.hits, b.hits)


def test_an_unknown_policy_is_named(server: PrivateRedis) -> None:
    with pytest.raises(CacheArgumentError, match="unknown eviction policy 'lru'; choose from allkeys-lru"):
        replay_redis(server, np.zeros(3, dtype=np.int64), cache_size=10, policy="lru")


def test_redis_hit_rates_runs_every_combination(server: PrivateRedis) -> None:
    frame = redis_hit_rates(server, [1.0], 500, [50, 200], ["allkeys-lru", "allkeys-lfu"], requests=1000, windows=4)
    steady = steady_hit_rates(frame)
    assert len(steady) == 4 and set(steady["policy"]) == {"allkeys-lru", "allkeys-lfu"}
    assert set(frame["backend"]) == {"redis"} and set(frame["unit"]) == {"%"}
