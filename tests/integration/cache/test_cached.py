"""`@cached` against every backend, sync and async: keys, invalidation, None, stampedes, locks."""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from typing import Any

import pytest

from labkit.cache import cached


def memoize(cache: Any, mode: str, fn: Any, **options: Any) -> Any:
    """Decorate `fn` (a plain function) as sync, or as an async function for async caches."""
    if mode == "async":

        @functools.wraps(fn)
        async def call(*args: Any, **kwargs: Any) -> Any:
            return fn(*args, **kwargs)

        return cached(cache=cache, **options)(call)
    return cached(cache=cache, **options)(fn)


class Calls:
    """A function that records its calls."""

    def __init__(self, result: Any = "default") -> None:
        self.args: list[Any] = []
        self.result = result

    def __call__(self, user_id: int, lang: str = "en") -> Any:
        self.args.append((user_id, lang))
        return {"id": user_id, "lang": lang} if self.result == "default" else self.result


def user_fn(calls: Calls) -> Any:
    def get_user(user_id: int, lang: str = "en") -> Any:
        return calls(user_id, lang)

    return get_user


async def test_a_second_call_is_a_hit_and_the_function_runs_once(cache, mode, aw):
    calls = Calls()
    get_user = memoize(cache, mode, user_fn(calls), prefix="user", ttl=60)
    assert await aw(get_user(42)) == {"id": 42, "lang": "en"}
    assert await aw(get_user(42)) == {"id": 42, "lang": "en"}
    assert calls.args == [(42, "en")]
    m = cache.metrics()
    assert (m["hits"], m["misses"], m["sets"]) == (1, 1, 1)


async def test_keyword_order_and_defaults_do_not_change_the_key(cache, mode, aw):
    calls = Calls()
    get_user = memoize(cache, mode, user_fn(calls), prefix="user", ttl=60)
    await aw(get_user(42))
    await aw(get_user(42, "en"))
    await aw(get_user(lang="en", user_id=42))
    await aw(get_user(user_id=42))
    assert len(calls.args) == 1
    assert get_user.key_for(42) == get_user.key_for(lang="en", user_id=42) == "user:42:'en'"


async def test_the_entry_lives_under_a_readable_key_with_the_given_ttl(cache, mode, aw):
    get_user = memoize(cache, mode, user_fn(Calls()), prefix="user", ttl=60)
    await aw(get_user(7, "tr"))
    assert await aw(cache.get("user:7:'tr'")) == {"id": 7, "lang": "tr"}
    assert 55 < await aw(cache.ttl("user:7:'tr'")) <= 60


async def test_a_long_argument_gives_a_bounded_hashed_key(cache, mode, aw):
    calls = Calls()
    get_user = memoize(cache, mode, user_fn(calls), prefix="user", ttl=60)
    long_a, long_b = "x" * 5000 + "a", "x" * 5000 + "b"
    await aw(get_user(1, long_a))
    await aw(get_user(1, long_b))
    await aw(get_user(1, long_a))
    assert len(calls.args) == 2
    key = get_user.key_for(1, long_a)
    assert key.startswith("user:1:'xxx") and len(key) < 120
    assert key != get_user.key_for(1, long_b)


async def test_invalidate_drops_one_entry_only(cache, mode, aw):
    calls = Calls()
    get_user = memoize(cache, mode, user_fn(calls), prefix="user", ttl=60)
    await aw(get_user(1))
    await aw(get_user(2))
    assert await aw(get_user.invalidate(1)) is True
    assert await aw(get_user.invalidate(1)) is False
    await aw(get_user(1))
    await aw(get_user(2))
    assert calls.args == [(1, "en"), (2, "en"), (1, "en")]


async def test_a_none_result_is_cached_apart_from_a_miss_with_its_own_ttl(cache, mode, aw):
    calls = Calls(result=None)
    get_user = memoize(cache, mode, user_fn(calls), prefix="user", ttl=300, none_ttl=20)
    assert await aw(get_user(404)) is None
    assert await aw(get_user(404)) is None
    assert len(calls.args) == 1
    assert 15 < await aw(cache.ttl(get_user.key_for(404))) <= 20


async def test_none_is_not_cached_when_told_not_to(cache, mode, aw):
    calls = Calls(result=None)
    get_user = memoize(cache, mode, user_fn(calls), prefix="user", ttl=60, cache_none=False)
    await aw(get_user(404))
    await aw(get_user(404))
    assert len(calls.args) == 2


async def test_invalidating_a_tag_recomputes_only_the_tagged_entries(cache, mode, aw):
    calls = Calls()
    get_user = memoize(cache, mode, user_fn(calls), prefix="user", ttl=60,
                       tags=["student:{user_id}", "all-students"])
    await aw(get_user(42))
    await aw(get_user(43))
    assert await aw(cache.invalidate_tags("student:42")) == 1
    await aw(get_user(42))
    await aw(get_user(43))
    assert calls.args == [(42, "en"), (43, "en"), (42, "en")]
    assert await aw(cache.invalidate_tags("all-students")) == 2


async def test_bumping_the_namespace_recomputes_every_versioned_entry(cache, mode, aw):
    calls = Calls()
    get_user = memoize(cache, mode, user_fn(calls), prefix="user", ttl=60, versioned=True)
    await aw(get_user(1))
    await aw(get_user(2))
    await aw(get_user(1))
    assert len(calls.args) == 2
    await aw(cache.bump_namespace("user"))
    await aw(get_user(1))
    await aw(get_user(2))
    assert len(calls.args) == 4
    assert await aw(get_user.invalidate(1)) is True
    await aw(get_user(1))
    assert len(calls.args) == 5


async def test_an_unserializable_result_raises_type_error_and_writes_nothing(cache, mode, aw):
    calls = Calls(result={"when": {1, 2}})
    get_user = memoize(cache, mode, user_fn(calls), prefix="user", ttl=60)
    with pytest.raises(TypeError, match="type set"):
        await aw(get_user(1))
    assert not await aw(cache.exists(get_user.key_for(1)))


async def test_corrupt_bytes_under_a_key_are_recomputed_without_an_error(cache, mode, aw):
    calls = Calls()
    get_user = memoize(cache, mode, user_fn(calls), prefix="user", ttl=60)
    full = cache.full_key(get_user.key_for(1))
    await aw(cache.backend.set(full, b"\xc1 foreign bytes", 60_000))
    assert await aw(get_user(1)) == {"id": 1, "lang": "en"}
    assert await aw(get_user(1)) == {"id": 1, "lang": "en"}
    assert len(calls.args) == 1
    assert cache.metrics()["decode_errors"] == 1


async def test_methods_are_cached_without_self_in_the_key(cache, mode, aw):
    calls = Calls()

    class Repo:
        def get_user(self, user_id: int) -> Any:
            return calls(user_id)

    class AsyncRepo:
        async def get_user(self, user_id: int) -> Any:
            return calls(user_id)

    cls = AsyncRepo if mode == "async" else Repo
    cls.get_user = cached(prefix="repo-user", ttl=60, cache=cache)(cls.get_user)
    assert await aw(cls().get_user(5)) == {"id": 5, "lang": "en"}
    assert await aw(cls().get_user(5)) == {"id": 5, "lang": "en"}
    assert len(calls.args) == 1
    assert cls.get_user.key_for(cls(), 5) == "repo-user:5"


async def test_concurrent_misses_on_one_key_compute_once(cache, mode, aw):
    calls: list[int] = []
    n = 8
    if mode == "async":
        release = asyncio.Event()

        @cached(prefix="slow", ttl=60, cache=cache)
        async def slow(x: int) -> int:
            calls.append(x)
            await release.wait()
            return x * 2

        async def release_when_all_missed() -> None:
            while cache.metrics()["misses"] < n:
                await asyncio.sleep(0.001)
            release.set()

        results = await asyncio.gather(*(slow(3) for _ in range(n)), release_when_all_missed())
        assert results[:n] == [6] * n
    else:
        gate = threading.Event()

        @cached(prefix="slow", ttl=60, cache=cache)
        def slow(x: int) -> int:
            calls.append(x)
            gate.wait(10)
            return x * 2

        results: list[int] = []
        threads = [threading.Thread(target=lambda: results.append(slow(3))) for _ in range(n)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 10
        while cache.metrics()["misses"] < n and time.monotonic() < deadline:
            time.sleep(0.001)
        gate.set()
        for t in threads:
            t.join(10)
        assert results == [6] * n
    assert calls == [3]


async def test_an_error_in_the_function_reaches_every_waiter_and_nothing_is_cached(cache, mode, aw):
    def boom(x: int) -> int:
        raise LookupError(f"no {x}")

    fn = memoize(cache, mode, boom, prefix="boom", ttl=60)
    with pytest.raises(LookupError, match="no 1"):
        await aw(fn(1))
    assert not await aw(cache.exists(fn.key_for(1)))


async def _hold_lock(cache: Any, aw: Any, fn: Any, *args: Any) -> str:
    """Take the entry's lock as another process would (another owner token)."""
    lock_key = cache.full_key(fn.key_for(*args)) + "#lock"
    assert await aw(cache.backend.add(lock_key, b"other-process", 30_000))
    return lock_key


async def test_while_another_process_holds_the_lock_the_stale_value_is_served(cache, mode, aw):
    calls = Calls()
    get_user = memoize(cache, mode, user_fn(calls), prefix="user", ttl=60, lock=True,
                       stale_ttl=600)
    await aw(get_user(1))
    await aw(cache.delete(get_user.key_for(1)))  # the fresh entry expired
    await _hold_lock(cache, aw, get_user, 1)
    assert await aw(get_user(1)) == {"id": 1, "lang": "en"}
    assert len(calls.args) == 1
    assert cache.metrics()["stale_served"] == 1


async def test_without_a_stale_value_a_waiter_computes_after_the_lock_wait(cache, mode, aw):
    calls = Calls()
    get_user = memoize(cache, mode, user_fn(calls), prefix="user", ttl=60, lock=True,
                       lock_wait=0.05)
    lock_key = await _hold_lock(cache, aw, get_user, 1)
    assert await aw(get_user(1)) == {"id": 1, "lang": "en"}
    assert len(calls.args) == 1
    assert await aw(cache.backend.get(lock_key)) == b"other-process"  # not ours to release


async def test_the_lock_owner_computes_and_releases_the_lock(cache, mode, aw):
    calls = Calls()
    get_user = memoize(cache, mode, user_fn(calls), prefix="user", ttl=60, lock=True)
    await aw(get_user(1))
    lock_key = cache.full_key(get_user.key_for(1)) + "#lock"
    assert not await aw(cache.backend.exists(lock_key))
    assert len(calls.args) == 1


async def test_a_waiter_returns_the_value_the_lock_owner_writes(cache, mode, aw):
    calls = Calls()
    get_user = memoize(cache, mode, user_fn(calls), prefix="user", ttl=60, lock=True,
                       lock_wait=5)
    await _hold_lock(cache, aw, get_user, 1)
    other = cache.full_key(get_user.key_for(1))
    from labkit.cache import dumps

    async def other_process_writes() -> None:
        while cache.metrics()["misses"] < 1:
            await asyncio.sleep(0.001)
        await aw(cache.backend.set(other, dumps({"from": "other"}), 60_000))

    if mode == "async":
        got, _ = await asyncio.gather(get_user(1), other_process_writes())
    else:
        result: list[Any] = []
        t = threading.Thread(target=lambda: result.append(get_user(1)))
        t.start()
        await other_process_writes()
        t.join(10)
        got = result[0]
    assert got == {"from": "other"}
    assert calls.args == []

