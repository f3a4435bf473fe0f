"""`@cached(prefix=..., ttl=...)`: memoize sync and async functions and methods in a cache.

The cache is chosen when the function is first called (nothing connects at import): the one
given, else the default set by `set_default_cache`, else one built from `Settings.from_env()`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, ParamSpec, Protocol, TypeVar, overload

from labkit.cache._async import wrappers as async_wrappers
from labkit.cache._async.cache import AsyncCache
from labkit.cache._async.cached_function import AsyncCachedFunction
from labkit.cache._sync import wrappers as sync_wrappers
from labkit.cache._sync.cache import Cache
from labkit.cache._sync.cached_function import CachedFunction
from labkit.cache.defaults import default_cache, set_default_cache
from labkit.cache.keys import KeyMaker
from labkit.cache.options import CachedOptions, check_options
from labkit.errors import CacheArgumentError

__all__ = ["cached", "set_default_cache", "default_cache", "CachedOptions", "CacheDecorator"]

_P = ParamSpec("_P")
_R = TypeVar("_R")


class CacheDecorator(Protocol):
    """What `cached(...)` gives: applied to a coroutine function it makes an async wrapper."""

    @overload
    def __call__(  # type: ignore[overload-overlap]  # a coroutine function is a function too
        self, fn: Callable[_P, Coroutine[Any, Any, _R]]
    ) -> AsyncCachedFunction[_P, _R]: ...

    @overload
    def __call__(self, fn: Callable[_P, _R]) -> CachedFunction[_P, _R]: ...


@overload
def cached(  # type: ignore[overload-overlap]  # a coroutine function is a function too
    prefix: Callable[_P, Coroutine[Any, Any, _R]],
) -> AsyncCachedFunction[_P, _R]: ...


@overload
def cached(prefix: Callable[_P, _R]) -> CachedFunction[_P, _R]: ...


@overload
def cached(
    prefix: str | None = None,
    ttl: float | None = None,
    key: str | Callable[..., str] | None = None,
    tags: Iterable[str] | Callable[..., Iterable[str]] | None = None,
    *,
    cache: Cache | AsyncCache | None = None,
    none_ttl: float = 60.0,
    cache_none: bool = True,
    versioned: bool = False,
    lock: bool = False,
    lock_timeout: float = 10.0,
    lock_wait: float = 1.0,
    stale_ttl: float | None = None,
) -> CacheDecorator: ...


def cached(
    prefix: str | Callable[..., Any] | None = None,
    ttl: float | None = None,
    key: str | Callable[..., str] | None = None,
    tags: Iterable[str] | Callable[..., Iterable[str]] | None = None,
    *,
    cache: Cache | AsyncCache | None = None,
    none_ttl: float = 60.0,
    cache_none: bool = True,
    versioned: bool = False,
    lock: bool = False,
    lock_timeout: float = 10.0,
    lock_wait: float = 1.0,
    stale_ttl: float | None = None,
) -> Any:
    """Cache a function's results under `prefix:args` for `ttl` seconds.

    `key`: a template like "{user_id}" or a callable giving the argument part of the key.
    `tags`: templates like "student:{student_id}" (or a callable); see `Cache.invalidate_tags`.
    `versioned`: keys carry the prefix's version, so `Cache.bump_namespace(prefix)` drops all.
    `lock`: a Redis lock makes one process compute a missing entry; the others wait up to
    `lock_wait` s, or get the last value kept for `stale_ttl` s after expiry.
    A None result is cached for `none_ttl` s (unless `cache_none=False`). On backend failure
    the function is called and its result returned.
    """
    if callable(prefix) and not isinstance(prefix, str):  # bare @cached
        return cached()(prefix)
    options = check_options(
        prefix, ttl, key, tags, cache=cache, none_ttl=none_ttl, cache_none=cache_none,
        versioned=versioned, lock=lock, lock_timeout=lock_timeout, lock_wait=lock_wait,
        stale_ttl=stale_ttl,
    )

    def decorate(fn: Callable[..., Any]) -> Any:
        opts = CachedOptions(prefix=prefix or f"{fn.__module__}.{fn.__qualname__}", **options)
        maker = KeyMaker(fn, opts.prefix, opts.key)
        if inspect.iscoroutinefunction(fn):
            if isinstance(cache, Cache):
                raise CacheArgumentError(f"async function {fn.__qualname__} needs an AsyncCache")
            return async_wrappers.wrap(fn, opts, maker, cache)
        if isinstance(cache, AsyncCache):
            raise CacheArgumentError(f"sync function {fn.__qualname__} needs a Cache")
        return sync_wrappers.wrap(fn, opts, maker, cache)

    return decorate
