"""The near cache's staleness window: from another client's write to the local copy being dropped.

Each sample loads a key into a near cache, then has a second, plain redis-py client overwrite it,
timing from just before that write is sent to the moment the near cache's listener handles the
invalidation Redis pushed for it. The raw samples are returned; summarise them as you like.
"""

from __future__ import annotations

import threading
import time
import uuid

import numpy as np
import redis

from labkit.cache import Cache, NearCacheBackend
from labkit.cache.tracking import InvalidationListener
from labkit.lab.errors import MeasurementTimeout, ParameterError

__all__ = ["measure_staleness", "staleness_summary"]


def measure_staleness(url: str, samples: int = 200, timeout: float = 5.0) -> list[float]:
    """Seconds from a write by another client to the near cache's local copy being dropped."""
    prefix = f"labkit-staleness-{uuid.uuid4().hex[:10]}"
    near = NearCacheBackend(url, prefixes=(f"{prefix}:",), max_entries=16)
    listener = near.listener
    if not isinstance(listener, InvalidationListener):
        raise ParameterError(f"the staleness window is measured on one Redis server (redis://), not {near.name}")
    cache = Cache(near, key_prefix=prefix)
    writer = redis.Redis.from_url(url)
    dropped = threading.Event()
    stamp: list[float] = []
    handle = listener.on_keys

    def on_keys(keys: list[bytes] | None) -> None:
        handle(keys)
        stamp.append(time.perf_counter())
        dropped.set()

    listener.on_keys = on_keys
    full = cache.full_key("k")
    out: list[float] = []
    try:
        cache.get("k")  # starts tracking
        if not listener.wait_ready(timeout):
            raise MeasurementTimeout(f"tracking did not start on {near.name} within {timeout} s")
        for i in range(samples):
            dropped.clear()
            cache.set("k", i)
            if not dropped.wait(timeout):  # our own write's invalidation is in: it cannot be mistaken
                raise MeasurementTimeout(f"no invalidation within {timeout} s of a write to {full}")
            cache.get("k")  # read back: now held locally
            if near.local(full) is None:
                continue
            dropped.clear()
            stamp.clear()
            started = time.perf_counter()
            writer.set(full, b"\x00")
            if not dropped.wait(timeout):
                raise MeasurementTimeout(f"no invalidation within {timeout} s of a write to {full}")
            out.append(stamp[-1] - started)
    finally:
        writer.delete(full)
        writer.close()
        cache.close()
    return out


def staleness_summary(samples: list[float]) -> str:
    """`p50 … µs, p99 … µs over n writes`."""
    p50, p99 = np.percentile(np.asarray(samples) * 1e6, [50, 99])
    return f"p50 {p50:.0f} µs, p99 {p99:.0f} µs over {len(samples)} writes"
