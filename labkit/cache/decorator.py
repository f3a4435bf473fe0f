"""`@cached(prefix=..., ttl=...)`: memoize sync and async functions and methods in a cache.

The cache is chosen when the function is first called (nothing connects at import): the one
given, else the default set by `set_default_cache`, else one built from `Settings.from_env()`.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from labkit.cache.async_cache import AsyncCache
from labkit.cache.base import validate_ttl
from labkit.cache.cache import Cache
from labkit.cache.keys import KeyMaker
from labkit.errors import CacheArgumentError

__all__ = ["cached", "set_default_cache", "default_cache", "CachedOptions"]

F = TypeVar("F", bound=Callable[..., Any])
_defaults: dict[str, Any] = {}
_defaults_lock = threading.Lock()


def set_default_cache(cache: Cache | AsyncCache | None, *, kind: str | None = None) -> None:
    """Make `cache` the one `@cached` uses when given none (None forgets the default)."""
    if cache is None:
        for k in (kind,) if kind else ("sync", "async"):
            _defaults.pop(k, None)
        return
    if not isinstance(cache, (Cache, AsyncCache)):
        raise CacheArgumentError(f"expected a Cache or AsyncCache, got {type(cache).__qualname__}")
    _defaults["async" if isinstance(cache, AsyncCache) else "sync"] = cache


def default_cache(kind: str = "sync") -> Any:
    """The default cache of `kind` ('sync' or 'async'), built from the environment on first use."""
    found = _defaults.get(kind)
    if found is not None:
        return found
    from labkit.settings import Settings

    with _defaults_lock:
        if kind not in _defaults:
            settings = Settings.from_env()
            factory = AsyncCache if kind == "async" else Cache
            _defaults[kind] = factory.from_settings(settings)
        return _defaults[kind]


@dataclass(frozen=True)
class CachedOptions:
    """Everything `@cached` was told, checked once at decoration time."""

    prefix: str
    ttl: float | None
    key: str | Callable[..., str] | None
    tags: tuple[str, ...] | Callable[..., Iterable[str]] | None
    cache: Cache | AsyncCache | None
    none_ttl: float
    cache_none: bool
    versioned: bool
    lock: bool
    lock_timeout: float
    lock_wait: float
    stale_ttl: float | None


def _tags(tags: Any) -> tuple[str, ...] | Callable[..., Iterable[str]] | None:
    if tags is None or callable(tags):
        return tags
    if isinstance(tags, str):
        tags = (tags,)
    tags = tuple(tags)
    for tag in tags:
        if not isinstance(tag, str) or not tag:
            raise CacheArgumentError(f"tags must be non-empty strings or templates, got {tag!r}")
    return tags


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
    if prefix is not None and (not isinstance(prefix, str) or not prefix):
        raise CacheArgumentError(f"prefix must be a non-empty string, got {prefix!r}")
    if key is not None and not (callable(key) or (isinstance(key, str) and key)):
        raise CacheArgumentError(f"key must be a template string or a callable, got {key!r}")
    if cache is not None and not isinstance(cache, (Cache, AsyncCache)):
        raise CacheArgumentError(f"cache must be a Cache or AsyncCache, got {cache!r}")
    options: dict[str, Any] = dict(
        ttl=None if ttl is None else validate_ttl(ttl),
        key=key,
        tags=_tags(tags),
        cache=cache,
        none_ttl=validate_ttl(none_ttl, "none_ttl"),
        cache_none=bool(cache_none),
        versioned=bool(versioned),
        lock=bool(lock),
        lock_timeout=validate_ttl(lock_timeout, "lock_timeout"),
        lock_wait=validate_ttl(lock_wait, "lock_wait"),
        stale_ttl=None if stale_ttl is None else validate_ttl(stale_ttl, "stale_ttl"),
    )

    def decorate(fn: F) -> F:
        from labkit.cache import wrappers

        opts = CachedOptions(prefix=prefix or f"{fn.__module__}.{fn.__qualname__}", **options)
        maker = KeyMaker(fn, opts.prefix, opts.key)
        if inspect.iscoroutinefunction(fn):
            if isinstance(cache, Cache):
                raise CacheArgumentError(f"async function {fn.__qualname__} needs an AsyncCache")
            wrapper = wrappers.async_wrapper(fn, opts, maker)
        else:
            if isinstance(cache, AsyncCache):
                raise CacheArgumentError(f"sync function {fn.__qualname__} needs a Cache")
            wrapper = wrappers.sync_wrapper(fn, opts, maker)
        return wrapper  # type: ignore[return-value]

    return decorate
