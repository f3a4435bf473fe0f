"""Cache speed: labkit's cache against raw redis-py and other caching libraries, same run.

Each row is B's median time over A's from one interleaved run (A B C, B C A, ...). Hits read
one msgpack'd user record; batches are 100 of them. cashews, aiocache and dogpile.cache are
measured the same way, informationally. The fail-open rows compare a time with its budget.
"""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import numpy as np

from labkit.cache import Cache, CircuitBreaker, cached
from labkit.lab.bench import BenchRow, Measurement, Ratio, ratio, run_interleaved, run_interleaved_async
from labkit.lab.bench.stats import ratio_of_medians
from labkit.lab.experiments.cache.contenders import (
    RAW_GET,
    async_batch_cases,
    async_hit_cases,
    sync_batch_cases,
    sync_hit_cases,
)
from labkit.lab.experiments.cache.namespace import scratch_namespace
from labkit.lab.experiments.cache.payloads import RECORD
from labkit.settings import Settings

__all__ = ["run", "RECORD"]

SUITE = "cache"


def _params(quick: bool, hits: bool = True) -> dict[str, Any]:
    if quick:
        return {"repeats": 15, "warmups": 3, "inner": 5 if hits else 1}
    return {"repeats": 200, "warmups": 20, "inner": 40 if hits else 4}


def _row(name: str, ms: dict[str, Measurement], a: str, b: str, target: float | None) -> BenchRow:
    return BenchRow(SUITE, name, ratio(ms[a], ms[b]), target)


def _budget_row(name: str, samples: list[float], budget_s: float) -> BenchRow:
    """Measured time over a fixed budget: <= 1.0 means within budget."""
    r: Ratio = ratio_of_medians(np.full(len(samples), budget_s), np.asarray(samples))
    return BenchRow(SUITE, name, r, 1.0)


def _closed_port() -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# -- sync ---------------------------------------------------------------------------------


def _sync_rows(url: str, ns: str, quick: bool) -> list[BenchRow]:
    with sync_hit_cases(url, ns) as cases:
        ms = run_interleaved(cases, **_params(quick))
    rows = [
        _row("@cached hit vs raw GET+decode (sync)", ms, RAW_GET, "labkit", 1.10),
        _row("dogpile.cache hit vs raw GET+decode (sync)", ms, RAW_GET, "dogpile", None),
    ]
    with sync_batch_cases(url, ns) as cases:
        ms = run_interleaved(cases, **_params(quick, hits=False))
    rows += [
        _row("get_many(100) vs raw MGET+decode (sync)", ms, "mget", "get_many", 1.10),
        _row("set_many(100) with TTL vs redis-py pipeline of SET EX (sync)", ms, "pipeline",
             "set_many", 0.5),
    ]
    return rows


# -- asyncio ------------------------------------------------------------------------------


async def _async_rows(url: str, ns: str, quick: bool) -> list[BenchRow]:
    async with async_hit_cases(url, ns) as cases:
        ms = await run_interleaved_async(cases, **_params(quick))
    rows = [
        _row("@cached hit vs raw GET+decode (asyncio)", ms, RAW_GET, "labkit", 1.10),
        _row("aiocache hit vs raw GET+decode (asyncio)", ms, RAW_GET, "aiocache", None),
        _row("cashews hit vs raw GET+decode (asyncio)", ms, RAW_GET, "cashews", None),
    ]
    async with async_batch_cases(url, ns) as cases:
        ms = await run_interleaved_async(cases, **_params(quick, hits=False))
    rows += [
        _row("get_many(100) vs raw MGET+decode (asyncio)", ms, "mget", "get_many", 1.10),
        _row("set_many(100) with TTL vs redis-py pipeline of SET EX (asyncio)", ms, "pipeline",
             "set_many", 0.5),
    ]
    return rows


# -- Redis unreachable --------------------------------------------------------------------


def _first_calls(url: str, settings: Settings, n: int) -> list[float]:
    """Seconds taken by the first @cached call of `n` fresh caches on `url`."""
    samples = []
    for _ in range(n):
        cache = Cache.from_url(url, socket_timeout=settings.redis_socket_timeout,
                               connect_timeout=settings.redis_connect_timeout)
        f = cached(prefix="down", ttl=60, cache=cache)(_identity)
        started = time.perf_counter()
        f(1)
        samples.append(time.perf_counter() - started)
        cache.close()
    return samples


def _identity(x: int) -> int:
    return x


def _fail_open_rows(settings: Settings, quick: bool) -> list[BenchRow]:
    connect, read = settings.redis_connect_timeout, settings.redis_socket_timeout
    refused = _first_calls(f"redis://127.0.0.1:{_closed_port()}/0", settings, 10 if quick else 50)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(64)  # connections complete in the kernel; nothing ever answers
        silent = _first_calls(f"redis://127.0.0.1:{hung.getsockname()[1]}/0", settings,
                              2 if quick else 8)

    cache = Cache.from_url(f"redis://127.0.0.1:{_closed_port()}/0",
                           breaker=CircuitBreaker(threshold=3))
    f = cached(prefix="down", ttl=60, cache=cache)(_identity)
    for i in range(3):
        f(i)  # three failures open the breaker
    open_calls = []
    for i in range(100 if quick else 1000):
        started = time.perf_counter()
        f(i)
        open_calls.append(time.perf_counter() - started)
    cache.close()

    def median_ms(xs: list[float]) -> str:
        seconds = float(np.median(xs))
        return f"median {seconds * 1e6:.3g} µs" if seconds < 1e-3 else f"median {seconds * 1e3:.3g} ms"

    return [
        _budget_row(f"Redis refusing: first @cached call vs connect timeout {connect:g} s "
                    f"({median_ms(refused)})", refused, connect),
        _budget_row(f"Redis silent: first @cached call vs connect + socket timeout "
                    f"{connect + read:g} s ({median_ms(silent)})", silent, connect + read),
        _budget_row(f"Redis down, breaker open: @cached call vs 5 ms ({median_ms(open_calls)})",
                    open_calls, 0.005),
    ]


def run(settings: Settings, *, quick: bool = False) -> list[BenchRow]:
    """Every cache row: hits, batches and fail-open, sync and asyncio."""
    url = str(settings.redis_url)
    with scratch_namespace(url) as ns:
        rows = _sync_rows(url, ns, quick)
        rows += asyncio.run(_async_rows(url, ns, quick))
    rows += _fail_open_rows(settings, quick)
    return rows
