"""What the sync and asyncio caches share: key layout, TTLs with jitter, metrics, the breaker."""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from labkit.cache.breaker import CircuitBreaker
from labkit.cache.metrics import CacheMetrics
from labkit.cache.serializer import DecodeError, loads
from labkit.errors import CacheArgumentError, CacheUnavailable
from labkit.secrets import mask_text

if TYPE_CHECKING:
    from labkit.cache._async.backend import AsyncBackend
    from labkit.cache._sync.backend import Backend

__all__ = ["CacheBase", "MISS", "CORRUPT", "UNAVAILABLE", "validate_ttl"]


class _Miss:
    """The marker of a cache miss, distinct from a cached None."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISS"


MISS: Any = _Miss()
CORRUPT: Any = object()  # bytes under a key that do not decode: counted, then deleted
UNAVAILABLE: Any = object()  # the backend failed or its breaker is open: do not write either
_TAG = "__tag__:"
_NAMESPACE = "__ns__:"


def validate_ttl(ttl: Any, name: str = "ttl") -> float:
    """`ttl` as positive seconds, or CacheArgumentError (a ValueError) naming the bad value."""
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)):
        raise CacheArgumentError(f"{name} must be a positive number of seconds, got {ttl!r}")
    if not (ttl > 0 and math.isfinite(ttl)):
        raise CacheArgumentError(f"{name} must be a positive number of seconds, got {ttl!r}")
    return float(ttl)


_B = TypeVar("_B", bound="Backend | AsyncBackend")


class CacheBase(Generic[_B]):
    """Settings and bookkeeping common to `Cache` and `AsyncCache` (no I/O here)."""

    def __init__(
        self,
        backend: _B,
        *,
        key_prefix: str = "labkit",
        default_ttl: float = 300,
        jitter: float = 0.0,
        breaker: CircuitBreaker | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if not isinstance(key_prefix, str) or not key_prefix:
            raise CacheArgumentError(f"key_prefix must be a non-empty string, got {key_prefix!r}")
        if isinstance(jitter, bool) or not isinstance(jitter, (int, float)) or not 0 <= jitter < 1:
            raise CacheArgumentError(f"jitter must be a fraction in [0, 1), got {jitter!r}")
        self.backend = backend
        self.key_prefix = key_prefix
        self.default_ttl = validate_ttl(default_ttl, "default_ttl")
        self.jitter = float(jitter)
        self.breaker = breaker if breaker is not None else CircuitBreaker()
        self._rng = rng if rng is not None else random.Random()
        self.key_head = key_prefix + ":"  # what every stored key starts with
        self._errors = backend.errors
        self._server_errors = backend.server_errors
        self._m = CacheMetrics()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.backend.name}, key_prefix={self.key_prefix!r})"

    # -- keys and TTLs --------------------------------------------------------------------

    def full_key(self, key: str) -> str:
        """The key as stored: `key_prefix:key`."""
        if type(key) is str and key:
            return self.key_head + key
        if isinstance(key, str) and key:
            return self.key_head + str(key)
        raise CacheArgumentError(f"a cache key must be a non-empty string, got {key!r}")

    def _tag_keys(self, tags: Iterable[str]) -> list[str]:
        if isinstance(tags, str):
            tags = (tags,)
        out: list[str] = []
        for tag in tags:
            if not isinstance(tag, str) or not tag:
                raise CacheArgumentError(f"a tag must be a non-empty string, got {tag!r}")
            out.append(f"{self.key_head}{_TAG}{tag}")
        return out

    def _namespace_key(self, prefix: str) -> str:
        if not isinstance(prefix, str) or not prefix:
            raise CacheArgumentError(f"a namespace must be a non-empty string, got {prefix!r}")
        return f"{self.key_head}{_NAMESPACE}{prefix}"

    def _ttl_ms(self, ttl: float | None) -> int:
        seconds = self.default_ttl if ttl is None else validate_ttl(ttl)
        if self.jitter:
            seconds *= 1.0 + self._rng.uniform(-self.jitter, self.jitter)
        return max(1, round(seconds * 1000))

    def _decode(self, data: bytes | None, count: bool = True) -> Any:
        """The value in `data`; MISS if None; CORRUPT (counted) if it does not decode."""
        m = self._m
        if data is None:
            if count:
                m.misses += 1
            return MISS
        try:
            value = loads(data)
        except DecodeError:
            m.decode_errors += 1
            m.misses += 1
            return CORRUPT
        if count:
            m.hits += 1
        m.bytes_read += len(data)
        return value

    def _full_keys(self, keys: list[str]) -> list[str]:
        head = self.key_head
        try:
            full = [head + k for k in keys]
        except TypeError:
            full = []
        if len(full) != len(keys) or "" in keys:
            full = [self.full_key(k) for k in keys]  # raises, naming the bad key
        return full

    def _decode_many(self, keys: list[str], full: list[str],
                     datas: list[bytes | None]) -> tuple[dict[str, Any], list[str]]:
        """Found values by key, and the full keys whose bytes did not decode."""
        try:
            out = {k: loads(d) for k, d in zip(keys, datas, strict=True) if d is not None}
        except DecodeError:
            out, corrupt = {}, []
            for key, full_key, data in zip(keys, full, datas, strict=True):
                value = self._decode(data)
                if value is CORRUPT:
                    corrupt.append(full_key)
                elif value is not MISS:
                    out[key] = value
            return out, corrupt
        m = self._m
        missing = datas.count(None)
        m.misses += missing
        m.hits += len(datas) - missing
        m.bytes_read += sum([len(d) for d in datas if d is not None])
        return out, []

    def _ttls_ms(self, ttl: float | None, n: int) -> list[int]:
        """`n` TTLs in ms: one value, or each jittered on its own."""
        if not self.jitter:
            return [self._ttl_ms(ttl)] * n
        return [self._ttl_ms(ttl) for _ in range(n)]

    # -- failures and metrics -------------------------------------------------------------

    def _foreign(self, exc: BaseException) -> bool:
        """Whether a failed read found a key of another Redis type (a list, a set, ...)."""
        return isinstance(exc, self._server_errors) and str(exc).startswith("WRONGTYPE")

    def _failure(self, operation: str, exc: BaseException) -> CacheUnavailable:
        self._m.errors += 1
        if not isinstance(exc, self._server_errors):  # an answer is not an outage
            self.breaker.failure()
        reason = mask_text(f"{type(exc).__name__}: {exc}")
        return CacheUnavailable(self.backend.name, operation, reason)

    def _blocked(self) -> bool:
        breaker = self.breaker
        if breaker.opened_at is None or breaker.allow():
            return False
        self._m.bypassed += 1
        return True

    def _open_error(self, operation: str) -> CacheUnavailable:
        reason = f"circuit open after {self.breaker.failures} failures in a row"
        return CacheUnavailable(self.backend.name, operation, reason)

    def metrics(self) -> dict[str, Any]:
        """Counters, hit rate, payload bytes and latency percentiles, as a plain dict."""
        out = self._m.as_dict()
        out["backend"] = self.backend.name
        out["breaker"] = self.breaker.state
        out["breaker_opens"] = self.breaker.opens
        out["breaker_closes"] = self.breaker.closes
        return out

    def reset_metrics(self) -> None:
        """Zero every counter and histogram."""
        self._m.reset()
