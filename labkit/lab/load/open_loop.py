"""Open-loop load: requests sent at a fixed arrival rate, whatever the server's speed.

Each latency is timed from the request's *intended* send time, so a stalled server shows up as
high latency instead of as fewer requests (coordinated omission, which closed loops suffer).
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from dataclasses import dataclass

import httpx

from labkit.lab.errors import ParameterError
from labkit.lab.load.workload import Workload

__all__ = ["Sample", "run_open_loop"]


@dataclass(frozen=True)
class Sample:
    """One request: when it was due (s from the step's start), its endpoint, latency (s), status, ok."""

    start: float
    name: str
    latency: float
    status: int
    ok: bool


async def _open_loop(base_url: str, rate: float, duration_s: float, workload: Workload, seed: int,
                     max_in_flight: int, timeout: float, start_at: float | None) -> list[Sample]:
    rng = random.Random(seed)
    count = int(rate * duration_s)
    samples: list[Sample] = []
    limits = httpx.Limits(max_connections=max_in_flight, max_keepalive_connections=max_in_flight)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=timeout) as client:
        t0 = time.perf_counter() if start_at is None else start_at

        async def one(due: float, name: str, path: str, expected: int) -> None:
            status = 0  # no answer: a transport error, or no reply within `timeout` of its due time
            left = t0 + due + timeout - time.perf_counter()
            try:
                response = await asyncio.wait_for(client.get(path), max(left, 0.0))
                status = response.status_code
            except (httpx.HTTPError, asyncio.TimeoutError):
                pass
            latency = time.perf_counter() - (t0 + due)  # from the intended send time
            samples.append(Sample(due, name, latency, status, status == expected))

        tasks = []
        for i in range(count):
            due = i / rate
            request = workload.next(rng)
            delay = t0 + due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)  # pacing the arrivals, not waiting for a result
            tasks.append(asyncio.create_task(one(due, request.name, request.path, request.expected_status)))
        if tasks:
            await asyncio.wait(tasks)
    return samples


def run_open_loop(base_url: str, *, rate: float, duration_s: float, workload: Workload, seed: int = 0,
                  max_in_flight: int = 256, timeout: float = 30.0, start_at: float | None = None) -> list[Sample]:
    """Send `rate` requests/s for `duration_s` s; runs its own event loop in a thread (works in Jupyter).

    `start_at` (a `time.perf_counter()` value) is when the first request is due: loops started
    together share one clock, so their samples line up with events such as injected faults.

    A request not answered within `timeout` s of its intended send time fails with status 0, so an
    overloaded server costs at most `duration_s + timeout` s and shows as errors, not as a longer run.
    """
    if rate <= 0 or duration_s <= 0:
        raise ParameterError(f"rate={rate!r}, duration_s={duration_s!r}: both must be > 0")
    out: list[list[Sample]] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            out.append(asyncio.run(_open_loop(base_url, rate, duration_s, workload, seed, max_in_flight, timeout,
                                                 start_at)))
        except BaseException as exc:  # handed to the caller below
            errors.append(exc)

    thread = threading.Thread(target=target, name="labkit-open-loop")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return out[0]
