"""The Redis Cluster backend on the lab's real cluster: routing by slot, one buffer per node,
redirections, tags and namespaces across slots, hash tags."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from labkit.cache import AsyncCache, Cache, cached
from labkit.cache.cluster_map import key_slot
from labkit.errors import CacheUnavailable
from labkit.lab.services.redis_cluster import LocalCluster


@pytest.fixture
def prefix() -> str:
    return f"labkit-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def cache(local_cluster: LocalCluster, prefix: str) -> Iterator[Cache]:
    c = Cache.from_url(local_cluster.url, key_prefix=prefix)
    yield c
    c.close()


def _owner(cache: Cache | AsyncCache, full_key: str) -> str | None:
    return cache.backend.map.owners[key_slot(full_key.encode())]


def _spy_sends(cache: Cache | AsyncCache, monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Count the buffers written to each node."""
    sends: Counter[str] = Counter()
    for address, pool in cache.backend._pools.items():
        original = pool.send

        def send(conn: Any, packed: bytes, _original: Any = original, _address: str = address) -> bool:
            sends[_address] += 1
            return bool(_original(conn, packed))

        monkeypatch.setattr(pool, "send", send)
    return sends


def test_get_many_across_slots_writes_one_buffer_to_each_node(cache: Cache, monkeypatch) -> None:
    keys = [f"k{i}" for i in range(100)]
    cache.set_many({k: k.upper() for k in keys}, ttl=60)
    assert len({_owner(cache, cache.full_key(k)) for k in keys}) == 3
    sends = _spy_sends(cache, monkeypatch)
    assert cache.get_many(keys) == {k: k.upper() for k in keys}
    assert sorted(sends.values()) == [1, 1, 1]


async def test_async_get_many_across_slots_writes_one_buffer_to_each_node(
    local_cluster: LocalCluster, prefix: str, monkeypatch
) -> None:
    async with AsyncCache.from_url(local_cluster.url, key_prefix=prefix) as cache:
        keys = [f"k{i}" for i in range(100)]
        await cache.set_many({k: i for i, k in enumerate(keys)}, ttl=60)
        sends = _spy_sends(cache, monkeypatch)
        assert await cache.get_many(keys + ["missing"]) == {k: i for i, k in enumerate(keys)}
        assert sorted(sends.values()) == [1, 1, 1]


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_batch_too_big_for_one_read_comes_back_whole(local_cluster, prefix, mode, aw) -> None:
    cls = AsyncCache if mode == "async" else Cache
    cache = cls.from_url(local_cluster.url, key_prefix=prefix)
    values = {f"big{i}": "x" * 20_000 + str(i) for i in range(100)}  # 2 MB: many reads per node
    await aw(cache.set_many(values, ttl=60))
    assert await aw(cache.get_many(list(values))) == values
    await aw(cache.close())


def test_a_wrong_route_is_corrected_by_the_moved_reply_and_remembered(cache: Cache) -> None:
    cache.set("k", "v")
    backend = cache.backend
    slot = key_slot(cache.full_key("k").encode())
    right = backend._route[slot]
    backend._route[slot] = next(p for p in backend._pools.values() if p is not right)
    assert cache.get("k") == "v"
    assert backend._route[slot] is right


def test_a_tag_on_another_node_than_its_entry_invalidates_it(cache: Cache) -> None:
    cache.exists("entry")  # reads the slot map
    here = _owner(cache, cache.full_key("entry"))
    tag = next(t for t in (f"tag{i}" for i in range(100)) if _owner(cache, cache._tag_keys([t])[0]) != here)
    cache.set("entry", 1, ttl=60, tags=[tag])
    cache.set("other", 2, ttl=60)
    assert cache.invalidate_tags(tag) == 1
    assert cache.get_many(["entry", "other"]) == {"other": 2}


def test_keys_and_tags_sharing_a_hash_tag_live_in_one_slot(cache: Cache) -> None:
    full = [cache.full_key("{user:42}:profile"), cache._tag_keys(["{user:42}"])[0]]
    assert len({key_slot(k.encode()) for k in full}) == 1
    cache.set("{user:42}:profile", {"name": "Ada"}, tags=["{user:42}"])
    cache.set("{user:42}:courses", [1, 2], tags=["{user:42}"])
    assert cache.invalidate_tags("{user:42}") == 2
    assert cache.get_many(["{user:42}:profile", "{user:42}:courses"]) == {}


@pytest.mark.parametrize("key_prefix", ["plain", "{shop}"], ids=["across-slots", "hash-tagged-prefix"])
def test_versioned_entries_are_recomputed_after_a_namespace_bump(local_cluster, prefix, key_prefix) -> None:
    calls: list[int] = []
    with Cache.from_url(local_cluster.url, key_prefix=f"{prefix}-{key_prefix}") as cache:

        @cached(prefix="user", ttl=60, versioned=True, cache=cache)
        def user(uid: int) -> int:
            calls.append(uid)
            return uid

        user(1), user(1), user(2)
        cache.bump_namespace("user")
        user(1), user(2)
        assert calls == [1, 2, 1, 2]
        assert cache.metrics()["errors"] == 0


def test_a_key_of_another_type_reads_as_missing_in_a_batch(local_cluster, cache: Cache) -> None:
    with local_cluster.client() as raw:
        raw.rpush(cache.full_key("list"), "not a cache entry")
    cache.set("v", 1)
    assert cache.get_many(["list", "v"]) == {"v": 1}
    assert cache.get("list", default="MISS") == "MISS"
    assert not cache.exists("list")


def test_threads_using_a_fresh_cache_at_once_share_one_read_of_the_slot_map(local_cluster, prefix) -> None:
    with Cache.from_url(local_cluster.url, key_prefix=prefix) as cache:
        errors: list[BaseException] = []

        def read() -> None:
            try:
                cache.get("k")
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=read) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert errors == []
        assert cache.backend.map.refreshes == 1


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_node_that_refuses_connections_has_the_slot_map_read_again(
    local_cluster, prefix, mode, aw, clock, closed_port
) -> None:
    cache = (AsyncCache if mode == "async" else Cache).from_url(local_cluster.url, key_prefix=prefix)
    backend = cache.backend
    backend.map._clock = clock  # the map's reads are timed on the fake clock
    await aw(cache.set("k", "v"))
    slot = key_slot(cache.full_key("k").encode())
    backend._route[slot] = backend._pool(f"127.0.0.1:{closed_port}")  # as if its master had died
    with pytest.raises(CacheUnavailable):
        await aw(cache.get("k"))
    assert backend.map.stale
    clock.advance(1.0)  # past the least interval between two reads of the map
    assert await aw(cache.get("k")) == "v"
    await aw(cache.close())
