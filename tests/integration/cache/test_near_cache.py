"""The near cache: reads from process memory, dropped by Redis's own invalidation messages
(RESP3 CLIENT TRACKING), a local TTL as a safety net, nothing served locally without tracking."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from labkit.cache import AsyncCache, Cache

pytestmark = pytest.mark.parametrize("mode", ["sync", "async"])


async def _until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Yield until `condition` holds (an event we wait for, not time we let pass)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the awaited event did not happen"
        await asyncio.sleep(0.0005)


@pytest.fixture(params=["server", "cluster"])
def where(request: pytest.FixtureRequest, redis_url: str) -> str:
    """The Redis behind the near cache: the system server, or the lab's cluster."""
    if request.param == "cluster":
        return str(request.getfixturevalue("local_cluster").url)
    return redis_url


@pytest.fixture
def raw(where: str) -> Iterator[Any]:
    """A plain redis-py client on the same Redis: the other client that writes."""
    if where.startswith("redis+cluster://"):
        host, _, port = where.split("://")[1].split(",")[0].rpartition(":")
        client: Any = redis.RedisCluster(host=host, port=int(port))
    else:
        client = redis.Redis.from_url(where)
    yield client
    client.close()


@pytest.fixture
async def near(mode: str, where: str, redis_namespace: str, clock: Any, aw: Any) -> Any:
    """A near cache of this test's namespace, its tracking on, on the fake clock."""
    cls = AsyncCache if mode == "async" else Cache
    cache = cls.from_url(where, key_prefix=redis_namespace, near_entries=100, near_ttl=5)
    cache.backend._clock = clock
    for _ in range(2):  # the first read starts tracking (a cluster's map is read by it first)
        await aw(cache.get("warm-up"))
        cache.backend.listener.start()
    await _until(lambda: cache.backend.listener.ready)
    yield cache
    await aw(cache.close())


async def _write(near: Any, aw: Any, call: Any, keys: int = 1) -> None:
    """Write through the near cache, and wait until the write's own invalidations are back."""
    before = near.backend.keys_invalidated
    await aw(call())
    await _until(lambda: near.backend.keys_invalidated >= before + keys)


def _tracking_connections(near: Any) -> list[tuple[str, int, int]]:
    """(host, port, client id) of each tracking connection of a near cache."""
    listener = near.backend.listener
    members = list(listener.listeners.values()) if hasattr(listener, "listeners") else [listener]
    return [(m.host, m.port, m.client_id) for m in members]


async def test_a_second_read_comes_from_process_memory(near, aw, monkeypatch) -> None:
    await _write(near, aw, lambda: near.set("k", {"v": 1}))
    assert await aw(near.get("k")) == {"v": 1}
    monkeypatch.setattr(near.backend.inner, "get", None)  # Redis is not asked again
    assert await aw(near.get("k")) == {"v": 1}
    assert near.backend.local_hits == 1


async def test_a_write_by_another_client_drops_the_entry_when_its_invalidation_arrives(near, raw, aw) -> None:
    await _write(near, aw, lambda: near.set("k", "old"))
    await aw(near.get("k"))
    full = near.full_key("k")
    assert near.backend.local(full) is not None
    messages = near.backend.listener.messages
    raw.set(full, b"\xa3new")  # msgpack "new", written by someone else
    await _until(lambda: near.backend.listener.messages > messages)
    assert near.backend.local(full) is None
    assert await aw(near.get("k")) == "new"


async def test_an_entry_expires_locally_after_the_local_ttl(near, clock, aw) -> None:
    await _write(near, aw, lambda: near.set("k", 1))
    await aw(near.get("k"))
    await aw(near.get("k"))
    clock.advance(5.01)
    await aw(near.get("k"))
    assert near.backend.local_hits == 1


async def test_a_lost_tracking_connection_drops_everything_local_until_tracking_is_back(near, raw, aw) -> None:
    await _write(near, aw, lambda: near.set_many({"a": 1, "b": 2}), keys=2)
    await aw(near.get_many(["a", "b"]))
    assert near.backend.local(near.full_key("a")) is not None
    listener = near.backend.listener
    generation = listener.generation
    host, port, client_id = _tracking_connections(near)[0]
    with redis.Redis(host=host, port=port) as node:
        node.client_kill_filter(_id=client_id)
    await _until(lambda: listener.generation > generation)  # lost, then tracking again
    assert near.backend.local(near.full_key("a")) is None
    assert near.backend.local(near.full_key("b")) is None
    assert await aw(near.get_many(["a", "b"])) == {"a": 1, "b": 2}


async def test_a_read_overtaken_by_an_invalidation_is_not_kept(near, aw) -> None:
    backend, full = near.backend, near.full_key("k")
    original = backend.inner.get

    async def get_then_invalidated(key: str) -> Any:
        data = await original(key) if asyncio.iscoroutinefunction(original) else original(key)
        backend._invalidate([key.encode()])  # a write lands while the reply travels
        return data

    def sync_get_then_invalidated(key: str) -> Any:
        data = original(key)
        backend._invalidate([key.encode()])
        return data

    await _write(near, aw, lambda: near.set("k", 1))
    backend.inner.get = get_then_invalidated if asyncio.iscoroutinefunction(original) else sync_get_then_invalidated
    assert await aw(near.get("k")) == 1
    assert backend.local(full) is None


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
async def test_a_forked_child_serves_nothing_locally_until_its_own_tracking_is_on(near, aw, mode) -> None:
    if mode == "async":
        pytest.skip("one flavour is enough: the listener's fork hook is shared")
    await _write(near, aw, lambda: near.set("k", 1))
    await aw(near.get("k"))
    assert near.backend.local(near.full_key("k")) is not None
    pid = os.fork()
    if pid == 0:  # the child: no listener thread came with it
        ok = not near.backend.listener.ready and near.backend.local(near.full_key("k")) is None
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert near.backend.local(near.full_key("k")) is not None  # the parent keeps its own


async def test_a_key_outside_the_tracked_prefixes_is_never_kept(near, aw) -> None:
    backend = near.backend
    await aw(backend.inner.set("untracked:k", b"\x01", 60_000))
    await aw(backend.get("untracked:k"))
    await aw(backend.get("untracked:k"))
    assert backend.local("untracked:k") is None and backend.local_hits == 0
    await aw(backend.delete(["untracked:k"]))
