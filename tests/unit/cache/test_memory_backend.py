"""The memory backend: TTLs on an injected clock, LRU bound, tags — no sleeping."""

from __future__ import annotations

import pytest

from labkit.cache import Cache, MemoryBackend, cached


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_an_entry_lives_exactly_its_ttl(clock):
    cache = Cache.memory(clock=clock)
    cache.set("k", "v", ttl=10)
    clock.now += 9.999
    assert cache.get("k") == "v"
    assert cache.ttl("k") == pytest.approx(0.001)
    clock.now += 0.001
    assert cache.get("k") is None
    assert not cache.exists("k")


def test_the_least_recently_used_entry_is_evicted_first(clock):
    backend = MemoryBackend(max_entries=3, clock=clock)
    cache = Cache(backend)
    cache.set_many({"a": 1, "b": 2, "c": 3})
    cache.get("a")  # a is now the most recently used
    cache.set("d", 4)
    assert cache.get_many(["a", "b", "c", "d"]) == {"a": 1, "c": 3, "d": 4}
    assert len(backend) == 3


def test_expired_entries_do_not_count_towards_the_live_size(clock):
    backend = MemoryBackend(max_entries=10, clock=clock)
    cache = Cache(backend)
    cache.set("short", 1, ttl=1)
    cache.set("long", 2, ttl=100)
    clock.now += 5
    assert len(backend) == 1


def test_an_evicted_entry_leaves_its_tag(clock):
    backend = MemoryBackend(max_entries=1, clock=clock)
    cache = Cache(backend)
    cache.set("a", 1, tags=["t"])
    cache.set("b", 2)
    assert cache.invalidate_tags("t") == 0
    assert cache.get("b") == 2


def test_a_cached_entry_expires_on_the_clock_and_is_recomputed(clock):
    cache = Cache.memory(clock=clock)
    calls = []

    @cached(prefix="sq", ttl=30, cache=cache)
    def square(x: int) -> int:
        calls.append(x)
        return x * x

    square(3)
    clock.now += 29
    square(3)
    clock.now += 2
    square(3)
    assert calls == [3, 3]


def test_a_none_result_expires_after_none_ttl(clock):
    cache = Cache.memory(clock=clock)
    calls = []

    @cached(prefix="n", ttl=300, none_ttl=5, cache=cache)
    def find(x: int) -> None:
        calls.append(x)

    find(1)
    clock.now += 4
    find(1)
    clock.now += 2
    find(1)
    assert calls == [1, 1]


def test_a_lock_expires_after_its_timeout(clock):
    backend = MemoryBackend(clock=clock)
    assert backend.add("lock", b"a", 1000)
    assert not backend.add("lock", b"b", 1000)
    clock.now += 1
    assert backend.add("lock", b"b", 1000)
    assert not backend.delete_if_equals("lock", b"a")
    assert backend.delete_if_equals("lock", b"b")


def test_max_entries_must_be_positive():
    with pytest.raises(ValueError, match="max_entries must be >= 1, got 0"):
        MemoryBackend(max_entries=0)
