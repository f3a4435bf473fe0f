"""What the service served: requests, errors, a latency histogram and requests/s over a sliding window."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from labkit.cache.metrics import LatencyHistogram
from labkit.lab.errors import ParameterError

__all__ = ["RequestStats"]


class RequestStats:
    """Counts and times every request the middleware reports; `clock` is injectable for tests."""

    def __init__(self, window_s: int = 10, clock: Callable[[], float] = time.monotonic) -> None:
        if window_s < 1:
            raise ParameterError(f"window_s={window_s!r} is not valid: expected an integer >= 1")
        self.window_s = window_s
        self._clock = clock
        self._lock = threading.Lock()
        self.started = clock()
        self.requests = 0
        self.errors = 0
        self.by_status: dict[int, int] = {}
        self.latency = LatencyHistogram()
        self._seconds: deque[list[int]] = deque()  # [second, count], newest last

    def record(self, status: int, seconds: float) -> None:
        """One finished request with its status code and duration."""
        now = int(self._clock())
        with self._lock:
            self.requests += 1
            if status >= 500:
                self.errors += 1
            self.by_status[status] = self.by_status.get(status, 0) + 1
            self.latency.record(seconds)
            if self._seconds and self._seconds[-1][0] == now:
                self._seconds[-1][1] += 1
            else:
                self._seconds.append([now, 1])
            while self._seconds and self._seconds[0][0] <= now - self.window_s:
                self._seconds.popleft()

    def requests_per_second(self) -> float:
        """Requests finished per second over the last `window_s` full seconds (or since start)."""
        now = self._clock()
        with self._lock:
            span = min(float(self.window_s), max(now - self.started, 1e-9))
            recent = sum(c for s, c in self._seconds if s > now - self.window_s)
        return recent / span

    def snapshot(self) -> dict[str, Any]:
        """Plain counters and latency percentiles (seconds) for the metrics endpoints."""
        with self._lock:
            summary = self.latency.summary()
            out = {"requests": self.requests, "errors": self.errors,
                   "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
                   "latency_sum_s": self.latency.sum_s}
        out["requests_per_second"] = self.requests_per_second()
        for key in ("mean", "p50", "p95", "p99"):
            value = summary[f"{key}_ms"]
            out[f"{key}_s"] = None if value is None else value / 1e3
        return out
