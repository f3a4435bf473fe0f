"""The call paths of `@cached`: a lean hit path, single-flight misses, locks, stale values.

Backend failures never reach the caller: the function is called and its result returned.
"""

from __future__ import annotations

import asyncio
import functools
import os
import time
from collections.abc import Callable
from typing import Any

from labkit.cache.base import MISS, UNAVAILABLE
from labkit.cache.decorator import CachedOptions, default_cache
from labkit.cache.flight import AsyncSingleFlight, SingleFlight
from labkit.cache.keys import KeyMaker
from labkit.cache.serializer import dumps

__all__ = ["sync_wrapper", "async_wrapper"]

_LOCK, _STALE = "#lock", "#stale"


def _tags_for(opts: CachedOptions, maker: KeyMaker, args: tuple, kwargs: dict) -> list[str]:
    tags = opts.tags
    if not tags:
        return []
    if callable(tags):
        return list(tags(*args, **kwargs))
    arguments = maker.arguments(args, kwargs)
    return [t.format(**arguments) for t in tags]


def _encode(c: Any, opts: CachedOptions, maker: KeyMaker, full: str, value: Any,
            args: tuple, kwargs: dict) -> tuple[bytes, int, list[str], tuple[str, int] | None]:
    """What to write for a computed value; raises TypeError (nothing written) if unencodable."""
    data = dumps(value)
    ttl_ms = c._ttl_ms(opts.none_ttl if value is None else opts.ttl)
    tag_keys = c._tag_keys(_tags_for(opts, maker, args, kwargs)) if opts.tags else []
    stale = (full + _STALE, ttl_ms + round(opts.stale_ttl * 1000)) if opts.stale_ttl else None
    return data, ttl_ms, tag_keys, stale


def _poll_interval(opts: CachedOptions) -> float:
    return min(0.05, opts.lock_wait / 10)


def _attach(wrapper: Any, fn: Callable[..., Any], opts: CachedOptions, maker: KeyMaker,
            invalidate: Callable[..., Any], kind: str) -> Any:
    functools.update_wrapper(wrapper, fn)
    wrapper.invalidate = invalidate
    wrapper.key_for = lambda *a, **k: maker(a, k)
    wrapper.uncached = fn
    wrapper.options = opts
    wrapper.cache = lambda: opts.cache or default_cache(kind)
    return wrapper


def sync_wrapper(fn: Callable[..., Any], opts: CachedOptions, maker: KeyMaker) -> Any:
    """Wrap a plain function."""
    flight = SingleFlight()
    given: Any = opts.cache
    versioned = opts.versioned

    def compute(c: Any, full: str, args: tuple, kwargs: dict) -> Any:
        value = fn(*args, **kwargs)
        if value is None and not opts.cache_none:
            return value
        data, ttl_ms, tag_keys, stale = _encode(c, opts, maker, full, value, args, kwargs)
        c._store(full, data, ttl_ms, tag_keys, stale)
        return value

    def fill(c: Any, full: str, args: tuple, kwargs: dict) -> Any:
        if not opts.lock:
            return compute(c, full, args, kwargs)
        lock_key, token = full + _LOCK, os.urandom(16).hex().encode()
        owned = c._quiet("lock", c.backend.add, lock_key, token, round(opts.lock_timeout * 1000))
        if owned is False:  # another process computes it: serve stale, or wait briefly
            if opts.stale_ttl:
                value = c._lookup(full + _STALE, count=False)
                if value is not MISS and value is not UNAVAILABLE:
                    c._m.stale_served += 1
                    return value
            deadline = time.monotonic() + opts.lock_wait
            while time.monotonic() < deadline:
                time.sleep(_poll_interval(opts))
                value = c._lookup(full, count=False)
                if value is UNAVAILABLE:
                    break
                if value is not MISS:
                    c._m.hits += 1
                    return value
        try:
            return compute(c, full, args, kwargs)
        finally:
            if owned is True:
                c._quiet("unlock", c.backend.delete_if_equals, lock_key, token)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        c = given or default_cache("sync")
        if versioned:
            head, tail = f"{c._kp}{maker.prefix}:v", ":" + maker.args_part(args, kwargs)
            full, value = c._lookup_versioned(c._namespace_key(maker.prefix), head, tail)
            if full is None:  # backend down: we cannot know the version, so just compute
                return fn(*args, **kwargs)
        else:
            full = c._kp + maker(args, kwargs)
            value = c._lookup(full)
            if value is UNAVAILABLE:  # fail open, and do not wait on a write that would fail too
                return fn(*args, **kwargs)
        if value is not MISS:
            return value
        return flight.run(full, lambda: fill(c, full, args, kwargs))

    def invalidate(*args: Any, **kwargs: Any) -> bool:
        """Drop the entry these arguments would read; True if there was one."""
        c = given or default_cache("sync")
        if versioned:
            head, tail = f"{c._kp}{maker.prefix}:v", ":" + maker.args_part(args, kwargs)
            version, _ = c._call("get", c.backend.get_versioned,
                                 c._namespace_key(maker.prefix), head, tail)
            full = f"{head}{version}{tail}"
        else:
            full = c._kp + maker(args, kwargs)
        deleted = int(c._call("delete", c.backend.delete, [full, full + _STALE]))
        c._m.deletes += deleted
        return deleted > 0

    return _attach(wrapper, fn, opts, maker, invalidate, "sync")


def async_wrapper(fn: Callable[..., Any], opts: CachedOptions, maker: KeyMaker) -> Any:
    """Wrap a coroutine function."""
    flight = AsyncSingleFlight()
    given: Any = opts.cache
    versioned = opts.versioned

    async def compute(c: Any, full: str, args: tuple, kwargs: dict) -> Any:
        value = await fn(*args, **kwargs)
        if value is None and not opts.cache_none:
            return value
        data, ttl_ms, tag_keys, stale = _encode(c, opts, maker, full, value, args, kwargs)
        await c._store(full, data, ttl_ms, tag_keys, stale)
        return value

    async def fill(c: Any, full: str, args: tuple, kwargs: dict) -> Any:
        if not opts.lock:
            return await compute(c, full, args, kwargs)
        lock_key, token = full + _LOCK, os.urandom(16).hex().encode()
        owned = await c._quiet("lock", c.backend.add, lock_key, token,
                               round(opts.lock_timeout * 1000))
        if owned is False:
            if opts.stale_ttl:
                value = await c._lookup(full + _STALE, count=False)
                if value is not MISS and value is not UNAVAILABLE:
                    c._m.stale_served += 1
                    return value
            deadline = time.monotonic() + opts.lock_wait
            while time.monotonic() < deadline:
                await asyncio.sleep(_poll_interval(opts))
                value = await c._lookup(full, count=False)
                if value is UNAVAILABLE:
                    break
                if value is not MISS:
                    c._m.hits += 1
                    return value
        try:
            return await compute(c, full, args, kwargs)
        finally:
            if owned is True:
                await c._quiet("unlock", c.backend.delete_if_equals, lock_key, token)

    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        c = given or default_cache("async")
        if versioned:
            head, tail = f"{c._kp}{maker.prefix}:v", ":" + maker.args_part(args, kwargs)
            full, value = await c._lookup_versioned(c._namespace_key(maker.prefix), head, tail)
            if full is None:
                return await fn(*args, **kwargs)
        else:
            full = c._kp + maker(args, kwargs)
            value = await c._lookup(full)
            if value is UNAVAILABLE:
                return await fn(*args, **kwargs)
        if value is not MISS:
            return value
        return await flight.run(full, lambda: fill(c, full, args, kwargs))

    async def invalidate(*args: Any, **kwargs: Any) -> bool:
        """Drop the entry these arguments would read; True if there was one."""
        c = given or default_cache("async")
        if versioned:
            head, tail = f"{c._kp}{maker.prefix}:v", ":" + maker.args_part(args, kwargs)
            version, _ = await c._call("get", c.backend.get_versioned,
                                       c._namespace_key(maker.prefix), head, tail)
            full = f"{head}{version}{tail}"
        else:
            full = c._kp + maker(args, kwargs)
        deleted = int(await c._call("delete", c.backend.delete, [full, full + _STALE]))
        c._m.deletes += deleted
        return deleted > 0

    return _attach(wrapper, fn, opts, maker, invalidate, "async")
