"""The call paths of `@cached`: a lean hit path, single-flight misses, locks, stale values.

Backend failures never reach the caller: the function is called and its result returned.
The wrapper talks to its cache through the region's interface of @cached (`lookup`, `store`...).
"""

from __future__ import annotations

import asyncio
from functools import update_wrapper
from os import urandom
from time import monotonic
from typing import Any, ParamSpec, TypeVar, cast

from labkit.cache._async.cache import AsyncCache
from labkit.cache._async.cached_function import AsyncCachedFunction, AsyncFunction
from labkit.cache.base import MISS, UNAVAILABLE
from labkit.cache.defaults import default_cache
from labkit.cache.flight import AsyncSingleFlight
from labkit.cache.keys import KeyMaker
from labkit.cache.options import CachedOptions

__all__ = ["wrap"]

_P = ParamSpec("_P")
_R = TypeVar("_R")
_LOCK, _STALE = "#lock", "#stale"


def _tags_for(opts: CachedOptions, maker: KeyMaker, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[str]:
    tags = opts.tags
    if not tags:
        return []
    if callable(tags):
        return list(tags(*args, **kwargs))
    arguments = maker.arguments(args, kwargs)
    return [t.format(**arguments) for t in tags]


def wrap(fn: AsyncFunction[_P, _R], opts: CachedOptions, maker: KeyMaker,
         given: AsyncCache | None) -> AsyncCachedFunction[_P, _R]:
    """`fn` memoized in `given` (else the default cache, chosen at each call)."""
    flight = AsyncSingleFlight()
    call: AsyncFunction[..., _R] = fn
    versioned = opts.versioned
    poll_s = min(0.05, opts.lock_wait / 10)

    async def compute(c: AsyncCache, full: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _R:
        value = await call(*args, **kwargs)
        if value is None and not opts.cache_none:
            return value
        tags = _tags_for(opts, maker, args, kwargs) if opts.tags else ()
        stale = (full + _STALE, opts.stale_ttl) if opts.stale_ttl else None
        await c.store(full, value, opts.none_ttl if value is None else opts.ttl, tags, stale)
        return value

    async def fill(c: AsyncCache, full: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if not opts.lock:
            return await compute(c, full, args, kwargs)
        lock_key, token = full + _LOCK, urandom(16).hex().encode()
        owned = await c.try_lock(lock_key, token, opts.lock_timeout)
        if owned is False:  # another process computes it: serve stale, or wait briefly
            if opts.stale_ttl:
                value = await c.lookup_stale(full + _STALE)
                if value is not MISS:
                    return value
            deadline = monotonic() + opts.lock_wait
            while monotonic() < deadline:
                await asyncio.sleep(poll_s)
                value = await c.poll(full)
                if value is UNAVAILABLE:
                    break
                if value is not MISS:
                    return value
        try:
            return await compute(c, full, args, kwargs)
        finally:
            if owned is True:
                await c.unlock(lock_key, token)

    async def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> Any:  # the value read is untyped
        c = given or default_cache("async")
        if versioned:
            full, value = await c.lookup_versioned(maker.prefix, maker.args_part(args, kwargs))
            if full is None:  # backend down: we cannot know the version, so just compute
                return await fn(*args, **kwargs)
        else:
            full = c.key_head + maker(args, kwargs)
            value = await c.lookup(full)
            if value is UNAVAILABLE:  # fail open, and do not wait on a write that would fail too
                return await fn(*args, **kwargs)
        if value is not MISS:
            return value
        return await flight.run(full, lambda: fill(c, full, args, kwargs))

    async def invalidate(*args: _P.args, **kwargs: _P.kwargs) -> bool:
        c = given or default_cache("async")
        if versioned:
            full = await c.versioned_key(maker.prefix, maker.args_part(args, kwargs))
        else:
            full = c.key_head + maker(args, kwargs)
        return await c.drop([full, full + _STALE]) > 0

    def key_for(*args: _P.args, **kwargs: _P.kwargs) -> str:
        return maker(args, kwargs)

    def cache() -> AsyncCache:
        return given or default_cache("async")

    update_wrapper(wrapper, fn)
    controls: Any = wrapper
    controls.invalidate, controls.key_for, controls.cache = invalidate, key_for, cache
    controls.uncached, controls.options = fn, opts
    return cast(AsyncCachedFunction[_P, _R], wrapper)
