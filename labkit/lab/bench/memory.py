"""Memory of a case: peak RSS growth (sampled by a watcher thread) and the tracemalloc peak."""

from __future__ import annotations

import threading
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import psutil

__all__ = ["MemoryUsage", "measure_memory"]

T = TypeVar("T")


@dataclass(frozen=True)
class MemoryUsage(Generic[T]):
    """How much memory a call needed, in bytes, and what it returned."""

    rss_before: int
    rss_peak: int
    python_peak: int
    result: T

    @property
    def rss_growth(self) -> int:
        """Peak resident set size during the call minus the RSS just before it."""
        return max(0, self.rss_peak - self.rss_before)


def measure_memory(
    fn: Callable[[], T], *, interval: float = 0.002, trace_python: bool = True
) -> MemoryUsage[T]:
    """Run `fn` once and report its peak RSS growth and (optionally) its Python allocation peak.

    RSS is what the operating system charges the process; tracemalloc counts only Python
    objects but sees short peaks that a sampler may miss. Tracing slows the call down.
    """
    process = psutil.Process()
    done = threading.Event()
    before = process.memory_info().rss
    peak = [before]

    def watch() -> None:
        while not done.wait(interval):
            peak[0] = max(peak[0], process.memory_info().rss)

    watcher = threading.Thread(target=watch, name="labkit-rss-watch", daemon=True)
    was_tracing = tracemalloc.is_tracing()
    if trace_python and not was_tracing:
        tracemalloc.start()
    if trace_python:
        tracemalloc.reset_peak()
    watcher.start()
    try:
        result = fn()
    finally:
        done.set()
        watcher.join()
        peak[0] = max(peak[0], process.memory_info().rss)
        python_peak = tracemalloc.get_traced_memory()[1] if trace_python else 0
        if trace_python and not was_tracing:
            tracemalloc.stop()
    return MemoryUsage(rss_before=before, rss_peak=peak[0], python_peak=python_peak, result=result)
