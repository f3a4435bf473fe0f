# Generated from labkit/cache/_async/wrappers.py by `make unasync`: do not edit.
"""The call paths of `@cached`: a lean hit path, single-flight misses, locks, stale values.

Backend failures never reach the caller: the function is called and its result returned.
The wrapper talks to its cache through the region's interface of @cached (`lookup`, `store`...).
"""

from __future__ import annotations

import time
from functools import update_wrapper
from os import urandom
from time import monotonic
from typing import Any, ParamSpec, TypeVar, cast

from labkit.cache._sync.cache import Cache
from labkit.cache._sync.cached_function import CachedFunction, Function
from labkit.cache.base import MISS, UNAVAILABLE
from labkit.cache.defaults import default_cache
from labkit.cache.flight import SingleFlight
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


def wrap(fn: Function[_P, _R], opts: CachedOptions, maker: KeyMaker,
         given: Cache | None) -> CachedFunction[_P, _R]:
    """`fn` memoized in `given` (else the default cache, chosen at each call)."""
    flight = SingleFlight()
    call: Function[..., _R] = fn
    versioned = opts.versioned
    poll_s = min(0.05, opts.lock_wait / 10)

    def compute(c: Cache, full: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _R:
        value = call(*args, **kwargs)
        if value is None and not opts.cache_none:
            return value
        tags = _tags_for(opts, maker, args, kwargs) if opts.tags else ()
        stale = (full + _STALE, opts.stale_ttl) if opts.stale_ttl else None
        c.store(full, value, opts.none_ttl if value is None else opts.ttl, tags, stale)
        return value

    def fill(c: Cache, full: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if not opts.lock:
            return compute(c, full, args, kwargs)
        lock_key, token = full + _LOCK, urandom(16).hex().encode()
        owned = c.try_lock(lock_key, token, opts.lock_timeout)
        if owned is False:  # another process computes it: serve stale, or wait briefly
            if opts.stale_ttl:
                value = c.lookup_stale(full + _STALE)
                if value is not MISS:
                    return value
            deadline = monotonic() + opts.lock_wait
            while monotonic() < deadline:
                time.sleep(poll_s)
                value = c.poll(full)
                if value is UNAVAILABLE:
                    break
                if value is not MISS:
                    return value
        try:
            return compute(c, full, args, kwargs)
        finally:
            if owned is True:
                c.unlock(lock_key, token)

    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> Any:  # the value read is untyped
        c = given or default_cache("sync")
        if versioned:
            full, value = c.lookup_versioned(maker.prefix, maker.args_part(args, kwargs))
            if full is None:  # backend down: we cannot know the version, so just compute
                return fn(*args, **kwargs)
        else:
            full = c.key_head + maker(args, kwargs)
            value = c.lookup(full)
            if value is UNAVAILABLE:  # fail open, and do not wait on a write that would fail too
                return fn(*args, **kwargs)
        if value is not MISS:
            return value
        return flight.run(full, lambda: fill(c, full, args, kwargs))

    def invalidate(*args: _P.args, **kwargs: _P.kwargs) -> bool:
        c = given or default_cache("sync")
        if versioned:
            full = c.versioned_key(maker.prefix, maker.args_part(args, kwargs))
        else:
            full = c.key_head + maker(args, kwargs)
        return c.drop([full, full + _STALE]) > 0

    def key_for(*args: _P.args, **kwargs: _P.kwargs) -> str:
        return maker(args, kwargs)

    def cache() -> Cache:
        return given or default_cache("sync")

    update_wrapper(wrapper, fn)
    controls: Any = wrapper
    controls.invalidate, controls.key_for, controls.cache = invalidate, key_for, cache
    controls.uncached, controls.options = fn, opts
    return cast(CachedFunction[_P, _R], wrapper)
