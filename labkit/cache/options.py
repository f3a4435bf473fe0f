"""The options of `@cached`, checked once at decoration time so that calls need not check them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from labkit.cache._async.cache import AsyncCache
from labkit.cache._sync.cache import Cache
from labkit.cache.base import validate_ttl
from labkit.errors import CacheArgumentError

__all__ = ["CachedOptions", "check_options"]

Tags = tuple[str, ...] | Callable[..., Iterable[str]] | None


@dataclass(frozen=True)
class CachedOptions:
    """Everything `@cached` was told, checked once at decoration time."""

    prefix: str
    ttl: float | None
    key: str | Callable[..., str] | None
    tags: Tags
    cache: Cache | AsyncCache | None
    none_ttl: float
    cache_none: bool
    versioned: bool
    lock: bool
    lock_timeout: float
    lock_wait: float
    stale_ttl: float | None


def _tags(tags: Iterable[str] | Callable[..., Iterable[str]] | None) -> Tags:
    if tags is None or callable(tags):
        return tags
    checked = (tags,) if isinstance(tags, str) else tuple(tags)
    for tag in checked:
        if not isinstance(tag, str) or not tag:
            raise CacheArgumentError(f"tags must be non-empty strings or templates, got {tag!r}")
    return checked


def check_options(
    prefix: str | None,
    ttl: float | None,
    key: str | Callable[..., str] | None,
    tags: Iterable[str] | Callable[..., Iterable[str]] | None,
    *,
    cache: Cache | AsyncCache | None,
    none_ttl: float,
    cache_none: bool,
    versioned: bool,
    lock: bool,
    lock_timeout: float,
    lock_wait: float,
    stale_ttl: float | None,
) -> dict[str, Any]:
    """The options of `CachedOptions` but the prefix (known once the function is), checked;
    CacheArgumentError (a ValueError) names the first bad one."""
    if prefix is not None and (not isinstance(prefix, str) or not prefix):
        raise CacheArgumentError(f"prefix must be a non-empty string, got {prefix!r}")
    if key is not None and not (callable(key) or (isinstance(key, str) and key)):
        raise CacheArgumentError(f"key must be a template string or a callable, got {key!r}")
    if cache is not None and not isinstance(cache, (Cache, AsyncCache)):
        raise CacheArgumentError(f"cache must be a Cache or AsyncCache, got {cache!r}")
    return dict(
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
