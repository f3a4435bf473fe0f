"""Hit rate over time: a key workload replayed through a real cache, read-through, hit or miss per request.

The memory backend runs on a simulated clock, so an hour of traffic with its TTLs takes only as
long as the requests themselves. Redis runs in a private server with `maxmemory` and an eviction
policy; each request there is one atomic get-or-set script, pipelined, which Redis executes in
order, so every hit and miss is exactly what a read-through client would have seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import redis

from labkit.cache import MemoryBackend, resp
from labkit.cache.serializer import dumps
from labkit.errors import CacheArgumentError
from labkit.lab.experiments.cache.payloads import RECORD
from labkit.lab.experiments.cache.workload import ZipfWorkload
from labkit.lab.services.private_redis import PrivateRedis

__all__ = [
    "SimulatedClock",
    "HitTrace",
    "replay_memory",
    "replay_redis",
    "hit_rate_frame",
    "memory_hit_rates",
    "redis_hit_rates",
    "REDIS_POLICIES",
]

REDIS_POLICIES = ("allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu", "volatile-ttl")

# KEYS[1] the entry; ARGV[1] the value, ARGV[2] its TTL in ms. 1 on a hit; on a miss, write it and 0.
_GET_OR_SET = resp.Script(
    """
if redis.call('GET', KEYS[1]) then return 1 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 0
"""
)


class SimulatedClock:
    """A clock that reads whatever time the simulation set (seconds)."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@dataclass(frozen=True)
class HitTrace:
    """One replay: whether each request hit, when it came, and how many entries the cache held at the end."""

    hits: np.ndarray
    times: np.ndarray
    held: int

    def hit_rate(self, from_fraction: float = 0.0) -> float:
        """Share of hits among the requests after the first `from_fraction` of them."""
        start = int(len(self.hits) * from_fraction)
        tail = self.hits[start:]
        return float(tail.mean()) if len(tail) else float("nan")


def _check(requests: np.ndarray, cache_size: int) -> None:
    if len(requests) == 0:
        raise CacheArgumentError("need at least one request to replay")
    if cache_size < 1:
        raise CacheArgumentError(f"cache_size must be >= 1 entry, got {cache_size!r}")


def replay_memory(
    requests: np.ndarray, *, cache_size: int, ttl: float, rate: float, value: Any = RECORD
) -> HitTrace:
    """Replay key ranks through a bounded `MemoryBackend` (LRU + TTL), `rate` requests per simulated second.

    The backend is driven directly with the value's msgpack bytes: hits and misses are the
    same as through `Cache`, at a third of the cost per request.
    """
    _check(requests, cache_size)
    if rate <= 0 or ttl <= 0:
        raise CacheArgumentError(f"rate and ttl must be positive, got rate={rate!r}, ttl={ttl!r}")
    clock = SimulatedClock()
    backend = MemoryBackend(cache_size, clock=clock)
    data, ttl_ms = dumps(value), max(1, round(ttl * 1000))
    names = {int(k): f"k{k}" for k in np.unique(requests)}
    times = np.arange(len(requests), dtype=float) / rate
    hits = np.zeros(len(requests), dtype=bool)
    get, put = backend.get, backend.set
    for i, (rank, now) in enumerate(zip(requests.tolist(), times.tolist())):
        clock.now = now
        name = names[rank]
        if get(name) is None:
            put(name, data, ttl_ms)
        else:
            hits[i] = True
    held = len(backend)
    backend.close()
    return HitTrace(hits, times, held)


def replay_redis(
    server: PrivateRedis, requests: np.ndarray, *, cache_size: int, policy: str = "allkeys-lru",
    value: Any = RECORD, ttl: float = 3600.0, chunk: int = 32,
) -> HitTrace:
    """Replay key ranks through the private server, its `maxmemory` sized for about `cache_size` entries.

    The server is flushed first; `held` is the median number of keys it kept over the second half
    of the run (the size it really had once full).
    """
    _check(requests, cache_size)
    if policy not in REDIS_POLICIES:
        raise CacheArgumentError(f"unknown eviction policy {policy!r}; choose from {', '.join(REDIS_POLICIES)}")
    data, ttl_ms = dumps(value), round(ttl * 1000)
    server.flush()
    server.configure(maxmemory=0, maxmemory_policy=policy)
    # One connection does everything, so the client buffers Redis counts are the same when
    # maxmemory is measured and during the replay (an idle second client would free ~32 KB later).
    conn = redis.Connection(host="127.0.0.1", port=server.port, socket_timeout=10)
    ttl_arg = b"%d" % ttl_ms

    def send(commands: list[bytes]) -> list[Any]:
        """One pipelined chunk of commands; their replies in order."""
        conn.send_packed_command((b"".join(commands),), check_health=False)
        return [conn.read_response() for _ in commands]

    def requests_of(keys: list[bytes]) -> list[bytes]:
        return [_GET_OR_SET.evalsha([k], [data, ttl_arg]) for k in keys] + [resp.pack(b"DBSIZE")]

    try:
        send([resp.pack(b"SCRIPT", b"LOAD", _GET_OR_SET.source)])
        send(requests_of([b"warm:%d" % i for i in range(chunk)]))
        send([resp.pack(b"FLUSHALL")])
        # maxmemory: what the server uses holding `cache_size` such entries, written as the replay writes
        for start in range(0, cache_size, chunk):
            send([resp.pack_set_px(b"k%d" % i, data, ttl_ms) for i in range(start, min(cache_size, start + chunk))])
        info = send([resp.pack(b"INFO", b"memory")])[0]
        used = info.split(b"used_memory:")[1].split(b"\r\n")[0]
        send([resp.pack(b"FLUSHALL"), resp.pack(b"CONFIG", b"SET", b"maxmemory", used)])
        keys = [b"k%d" % k for k in requests.tolist()]
        hits = np.zeros(len(keys), dtype=bool)
        sizes = []
        for start in range(0, len(keys), chunk):
            replies = send(requests_of(keys[start:start + chunk]))
            hits[start:start + len(replies) - 1] = np.asarray(replies[:-1]) == 1
            if start >= len(keys) // 2:
                sizes.append(int(replies[-1]))
        held = int(np.median(sizes)) if sizes else int(send([resp.pack(b"DBSIZE")])[0])
    finally:
        conn.disconnect()
    return HitTrace(hits, np.full(len(hits), np.nan), held)


def hit_rate_frame(
    trace: HitTrace, *, windows: int, case: str, label: str, warmup_fraction: float = 0.5, **columns: Any
) -> pd.DataFrame:
    """Tidy rows, one per window of requests: hit rate in %; windows in the first `warmup_fraction` are warmups."""
    n = len(trace.hits)
    edges = np.linspace(0, n, min(windows, n) + 1).round().astype(int)
    rows = []
    for i, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
        hit = int(trace.hits[lo:hi].sum())
        rows.append({
            "case": case, "label": label, "phase": "warmup" if hi <= warmup_fraction * n else "sample",
            "iteration": i, "value": 100.0 * hit / (hi - lo), "unit": "%", "requests": hi - lo, "hits": hit,
            "requests_end": int(hi), "t_end": float(trace.times[hi - 1]), "held": trace.held, **columns,
        })
    return pd.DataFrame(rows)


def memory_hit_rates(
    skews: Sequence[float], key_spaces: Sequence[int], cache_sizes: Sequence[int], ttls: Sequence[float], *,
    requests: int, rate: float, windows: int, seed: int = 0,
) -> pd.DataFrame:
    """Every combination replayed through the memory backend; the same request stream for each cache size and TTL."""
    frames = []
    for n_keys in key_spaces:
        for skew in skews:
            workload = ZipfWorkload(int(n_keys), float(skew))
            stream = workload.requests(requests, seed=seed)
            for size in cache_sizes:
                for ttl in ttls:
                    trace = replay_memory(stream, cache_size=int(size), ttl=float(ttl), rate=rate)
                    frames.append(hit_rate_frame(
                        trace, windows=windows, case=f"memory s={skew:g} keys={n_keys} size={size} ttl={ttl:g}s",
                        label=f"memory LRU, skew {skew:g}, {size} of {n_keys} keys, TTL {ttl:g} s",
                        backend="memory", policy="lru", skew=float(skew), n_keys=int(n_keys), cache_size=int(size),
                        ttl=float(ttl), rate=float(rate),
                    ))
    return pd.concat(frames, ignore_index=True)


def redis_hit_rates(
    server: PrivateRedis, skews: Sequence[float], n_keys: int, cache_sizes: Sequence[int],
    policies: Sequence[str], *, requests: int, windows: int, seed: int = 0, ttl: float = 3600.0,
) -> pd.DataFrame:
    """Every combination replayed through the private Redis; TTL `ttl` real seconds, longer than the run."""
    frames = []
    for skew in skews:
        stream = ZipfWorkload(int(n_keys), float(skew)).requests(requests, seed=seed)
        for size in cache_sizes:
            for policy in policies:
                trace = replay_redis(server, stream, cache_size=int(size), policy=policy, ttl=ttl)
                frames.append(hit_rate_frame(
                    trace, windows=windows, case=f"redis {policy} s={skew:g} keys={n_keys} size={size}",
                    label=f"Redis {policy}, skew {skew:g}, maxmemory for {size} of {n_keys} keys",
                    backend="redis", policy=policy, skew=float(skew), n_keys=int(n_keys), cache_size=int(size),
                    ttl=float(ttl), rate=float("nan"),
                ))
    return pd.concat(frames, ignore_index=True)
