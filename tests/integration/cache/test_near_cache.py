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


@pytest.fixture
def raw(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
async def near(mode: str, redis_url: str, redis_namespace: str, clock: Any, aw: Any) -> Any:
    """A near cache of this test's namespace, its tracking on, on the fake clock."""
    cls = AsyncCache if mode == "async" else Cache
    cache = cls.from_url(redis_url, key_prefix=redis_namespace, near_entries=100, near_ttl=5)
    cache.backend._clock = clock
    await aw(cache.get("warm-up"))  # starts the listener
    await _until(lambda: cache.backend.listener.ready)
    yield cache
    await aw(cache.close())


async def test_a_second_read_comes_from_process_memory(near, aw, monkeypatch) -> None:
    await aw(near.set("k", {"v": 1}))
    assert await aw(near.get("k")) == {"v": 1}
    monkeypatch.setattr(near.backend.inner, "get", None)  # Redis is not asked again
    assert await aw(near.get("k")) == {"v": 1}
    assert near.backend.local_hits == 1


async def test_a_write_by_another_client_drops_the_entry_when_its_invalidation_arrives(near, raw, aw) -> None:
    await aw(near.set("k", "old"))
    await aw(near.get("k"))
    full = near.full_key("k")
    assert near.backend.local(full) is not None
    messages = near.backend.listener.messages
    raw.set(full, b"\xa3new")  # msgpack "new", written by someone else
    await _until(lambda: near.backend.listener.messages > messages)
    assert near.backend.local(full) is None
    assert await aw(near.get("k")) == "new"


async def test_an_entry_expires_locally_after_the_local_ttl(near, clock, aw) -> None:
    await aw(near.set("k", 1))
    await aw(near.get("k"))
    await aw(near.get("k"))
    clock.advance(5.01)
    await aw(near.get("k"))
    assert near.backend.local_hits == 1


async def test_a_lost_tracking_connection_drops_everything_local_until_tracking_is_back(near, raw, aw) -> None:
    await aw(near.set_many({"a": 1, "b": 2}))
    await aw(near.get_many(["a", "b"]))
    listener = near.backend.listener
    generation = listener.generation
    raw.client_kill_filter(_id=listener.client_id)
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

    await aw(near.set("k", 1))
    backend.inner.get = get_then_invalidated if asyncio.iscoroutinefunction(original) else sync_get_then_invalidated
    assert await aw(near.get("k")) == 1
    assert backend.local(full) is None


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
async def test_a_forked_child_serves_nothing_locally_until_its_own_tracking_is_on(near, aw, mode) -> None:
    if mode == "async":
        pytest.skip("one flavour is enough: the listener's fork hook is shared")
    await aw(near.set("k", 1))
    await aw(near.get("k"))
    assert near.backend.local(near.full_key("k")) is not None
    pid = os.fork()
    if pid == 0:  # the child: no listener thread came with it
        ok = not near.backend.listener.ready and near.backend.local(near.full_key("k")) is None
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert near.backend.local(near.full_key("k")) is not None  # the parent keeps its own
