"""Resident memory of another process over time, sampled by a thread (psutil on its pid)."""

from __future__ import annotations

import threading
import time

import psutil

from labkit.lab.errors import ParameterError

__all__ = ["MemorySampler"]


class MemorySampler:
    """Samples the RSS of `pid` every `interval` s until stopped; `samples` holds (seconds, bytes, mark)."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        if interval <= 0:
            raise ParameterError(f"interval={interval!r} is not valid: expected a number > 0")
        self.process = psutil.Process(pid)
        self.interval = interval
        self.samples: list[tuple[float, int, str]] = []
        self.mark = "start"  # what the load driver is doing now, stored with each sample
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"labkit-rss-{pid}", daemon=True)
        self._t0 = time.monotonic()

    def _sample(self) -> None:
        try:
            rss = self.process.memory_info().rss
        except psutil.Error:
            self._done.set()
            return
        self.samples.append((time.monotonic() - self._t0, rss, self.mark))

    def _run(self) -> None:
        self._sample()
        while not self._done.wait(self.interval):
            self._sample()

    def start(self) -> MemorySampler:
        self._thread.start()
        return self

    def stop(self) -> list[tuple[float, int, str]]:
        """Stop sampling (one last sample first) and return every sample."""
        if not self._done.is_set():
            self._sample()
        self._done.set()
        if self._thread.is_alive():
            self._thread.join()
        return self.samples
