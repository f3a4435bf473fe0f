"""The default caches of `@cached`: one sync and one asyncio, set by the application or built
from `Settings.from_env()` on first use (nothing connects at import)."""

from __future__ import annotations

import threading
from typing import Literal, overload

from labkit.cache._async.cache import AsyncCache
from labkit.cache._sync.cache import Cache
from labkit.errors import CacheArgumentError

__all__ = ["set_default_cache", "default_cache"]

Kind = Literal["sync", "async"]
_defaults: dict[str, Cache | AsyncCache] = {}
_defaults_lock = threading.Lock()


def set_default_cache(cache: Cache | AsyncCache | None, *, kind: Kind | None = None) -> None:
    """Make `cache` the one `@cached` uses when given none (None forgets the default)."""
    if cache is None:
        for k in (kind,) if kind else ("sync", "async"):
            _defaults.pop(k, None)
        return
    if not isinstance(cache, (Cache, AsyncCache)):
        raise CacheArgumentError(f"expected a Cache or AsyncCache, got {type(cache).__qualname__}")
    _defaults["async" if isinstance(cache, AsyncCache) else "sync"] = cache


@overload
def default_cache(kind: Literal["sync"] = "sync") -> Cache: ...


@overload
def default_cache(kind: Literal["async"]) -> AsyncCache: ...


def default_cache(kind: Kind = "sync") -> Cache | AsyncCache:
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
