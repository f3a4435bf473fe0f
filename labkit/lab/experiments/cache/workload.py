"""A Zipf-distributed key workload, and the hit rates it allows a cache (analytic models).

Key `k` (1-based rank) is requested with probability proportional to `1 / k**skew`, each
request drawn independently (the independent reference model). The models say what any cache
can reach on such a stream, so a measured hit rate can be set beside what was possible.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from labkit.errors import CacheArgumentError

__all__ = ["ZipfWorkload"]

_BISECTIONS = 60  # halvings of the search interval: far below any hit rate we report


def _check_fraction(hit_rate: float) -> None:
    if not 0 < hit_rate <= 1:
        raise CacheArgumentError(f"hit_rate must be a fraction in (0, 1], got {hit_rate!r}")


@dataclass(frozen=True)
class ZipfWorkload:
    """`n_keys` keys, the k-th most popular requested with weight `1 / k**skew`."""

    n_keys: int
    skew: float

    def __post_init__(self) -> None:
        if isinstance(self.n_keys, bool) or not isinstance(self.n_keys, int) or self.n_keys < 1:
            raise CacheArgumentError(f"n_keys must be an integer >= 1, got {self.n_keys!r}")
        if not (isinstance(self.skew, (int, float)) and 0 <= self.skew <= 10):
            raise CacheArgumentError(f"skew must be a number in [0, 10], got {self.skew!r}")

    @cached_property
    def probabilities(self) -> np.ndarray:
        """Request probability of each key, most popular first (sums to 1)."""
        weights = np.arange(1, self.n_keys + 1, dtype=float) ** -float(self.skew)
        return weights / weights.sum()

    def requests(self, n: int, seed: int = 0) -> np.ndarray:
        """`n` independent requests: key ranks 0..n_keys-1, reproducible from `seed`."""
        if n < 0:
            raise CacheArgumentError(f"the number of requests must be >= 0, got {n!r}")
        cdf = np.cumsum(self.probabilities)
        cdf[-1] = 1.0
        draws = np.random.default_rng(seed).random(n)
        return np.searchsorted(cdf, draws, side="right").astype(np.int64)

    def top_k_hit_rate(self, cache_size: int) -> float:
        """The best any cache of `cache_size` entries can do here: the `cache_size` hottest keys' share."""
        return float(self.probabilities[: max(0, cache_size)].sum())

    def ttl_hit_rate(self, rate: float, ttl: float) -> float:
        """Hit rate of an unbounded cache whose entries live `ttl` s, at `rate` requests/s.

        A key requested `r` times a second hits unless its entry expired: `r*ttl / (1 + r*ttl)`
        (a renewal argument: after each miss the entry serves every request for `ttl` s).
        """
        if rate <= 0 or ttl <= 0:
            raise CacheArgumentError(f"rate and ttl must be positive, got rate={rate!r}, ttl={ttl!r}")
        p = self.probabilities
        x = p * rate * ttl
        return float(np.sum(p * x / (1.0 + x)))

    def lru_hit_rate(self, cache_size: int) -> float:
        """An LRU cache of `cache_size` entries without expiry, by Che's approximation."""
        if cache_size >= self.n_keys:
            return 1.0
        if cache_size <= 0:
            return 0.0
        p = self.probabilities
        low, high = 0.0, 1.0
        while np.sum(-np.expm1(-p * high)) < cache_size:  # grow until the window holds enough keys
            high *= 2.0
        for _ in range(_BISECTIONS):
            mid = (low + high) / 2
            if np.sum(-np.expm1(-p * mid)) < cache_size:
                low = mid
            else:
                high = mid
        return float(np.sum(p * -np.expm1(-p * high)))

    def lru_cache_for(self, hit_rate: float) -> int:
        """The fewest entries an LRU cache without expiry needs to reach `hit_rate` (Che's approximation)."""
        _check_fraction(hit_rate)
        p = self.probabilities
        if hit_rate >= 1:
            return self.n_keys
        low, high = 0.0, 1.0
        while np.sum(p * -np.expm1(-p * high)) < hit_rate:
            high *= 2.0
        for _ in range(_BISECTIONS):
            mid = (low + high) / 2
            if np.sum(p * -np.expm1(-p * mid)) < hit_rate:
                low = mid
            else:
                high = mid
        return min(self.n_keys, int(np.ceil(np.sum(-np.expm1(-p * high)))))

    def ttl_for(self, hit_rate: float, rate: float) -> float:
        """The shortest TTL (s) with which an unbounded cache reaches `hit_rate` at `rate` requests/s."""
        _check_fraction(hit_rate)
        if hit_rate >= 1:
            return float("inf")
        low, high = 0.0, 1.0
        while self.ttl_hit_rate(rate, high) < hit_rate:
            high *= 2.0
        for _ in range(_BISECTIONS):
            mid = (low + high) / 2
            if self.ttl_hit_rate(rate, mid) < hit_rate:
                low = mid
            else:
                high = mid
        return high

    def smallest_cache_for(self, hit_rate: float) -> int:
        """The fewest entries that can reach `hit_rate` (a fraction): those holding the hottest keys."""
        _check_fraction(hit_rate)
        covered = np.cumsum(self.probabilities)
        index = int(np.searchsorted(covered, hit_rate - 1e-12, side="left"))
        return min(index + 1, self.n_keys)
