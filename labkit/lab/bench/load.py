"""A concurrent load: N worker threads run one operation for T seconds or K operations, every latency kept raw."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from labkit.lab.errors import ParameterError

__all__ = ["LoadResult", "run_load"]

Operation = Callable[[], object]  # a returned mapping becomes per-operation extras


@dataclass
class LoadResult:
    """Every operation of one load: when it started, how long it took, which worker, and how it ended.

    `extras` holds per-operation values the operation returned (e.g. checkout seconds).
    """

    workers: int
    elapsed: float
    start: np.ndarray
    latency: np.ndarray
    worker: np.ndarray
    error: list[str | None]
    extras: dict[str, list[Any]] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)  # first message of each error type

    @property
    def operations(self) -> int:
        return int(self.latency.size)

    @property
    def ok(self) -> np.ndarray:
        """True for each operation that raised nothing."""
        return np.array([e is None for e in self.error], dtype=bool)

    @property
    def throughput(self) -> float:
        """Successful operations per second over the whole load."""
        return float(self.ok.sum() / self.elapsed) if self.elapsed > 0 else 0.0

    def frame(self) -> pd.DataFrame:
        """One row per operation: start, latency (s), worker, error type (None when it succeeded), extras."""
        data: dict[str, Any] = {"start": self.start, "latency": self.latency, "worker": self.worker,
                                "error": self.error}
        data.update(self.extras)
        return pd.DataFrame(data)

    def windows(self, count: int) -> list[np.ndarray]:
        """Boolean masks that cut the load into `count` equal time slices by when operations ended."""
        if count < 1:
            raise ParameterError(f"count must be >= 1, got {count}")
        end = self.start + self.latency
        edges = np.linspace(0.0, max(self.elapsed, float(end.max(initial=0.0))), count + 1)
        index = np.clip(np.searchsorted(edges, end, side="right") - 1, 0, count - 1)
        return [index == i for i in range(count)]

    def window_throughput(self, count: int) -> np.ndarray:
        """Successful operations per second in each of `count` equal time slices."""
        width = self.elapsed / count if self.elapsed > 0 else 1.0
        ok = self.ok
        return np.array([(ok & mask).sum() / width for mask in self.windows(count)], dtype=float)


def run_load(
    operation: Operation,
    workers: int,
    *,
    seconds: float | None = None,
    operations: int | None = None,
    interval: float = 0.0,
) -> LoadResult:
    """Run `operation` from `workers` threads released together, until `seconds` pass or `operations` ran.

    An operation that raises is recorded with its error type and the load goes on. With `interval`,
    each worker starts its operations at least that many seconds apart (the pause is not timed).
    """
    if workers < 1:
        raise ParameterError(f"workers must be >= 1, got {workers}")
    if seconds is None and operations is None:
        raise ParameterError("give seconds, operations, or both")
    if seconds is not None and seconds <= 0:
        raise ParameterError(f"seconds must be > 0, got {seconds}")
    if interval < 0:
        raise ParameterError(f"interval must be >= 0, got {interval}")
    if operations is not None and operations < 1:
        raise ParameterError(f"operations must be >= 1, got {operations}")

    budget = itertools.count() if operations is not None else None
    lock = threading.Lock()
    per_worker: list[list[tuple[float, float, str | None, Mapping[str, Any] | None]]] = [[] for _ in range(workers)]
    messages: dict[str, str] = {}
    barrier = threading.Barrier(workers + 1)
    origin = [0.0]
    deadline = [float("inf")]

    def work(index: int) -> None:
        out = per_worker[index]
        barrier.wait()
        t0 = origin[0]
        while True:
            if budget is not None:
                with lock:
                    if next(budget) >= operations:  # type: ignore[operator]
                        return
            begin = time.perf_counter()
            if begin >= deadline[0]:
                return
            error: str | None = None
            extra: Mapping[str, Any] | None = None
            try:
                returned = operation()
                extra = returned if isinstance(returned, Mapping) else None
            except Exception as exc:  # recorded, and the load goes on
                error = type(exc).__name__
                with lock:
                    messages.setdefault(error, str(exc))
            end = time.perf_counter()
            out.append((begin - t0, end - begin, error, extra))
            if interval > 0:
                pause = begin + interval - time.perf_counter()
                if pause > 0:
                    time.sleep(min(pause, max(0.0, deadline[0] - time.perf_counter())))

    threads = [threading.Thread(target=work, args=(i,), daemon=True, name=f"load-{i}") for i in range(workers)]
    for thread in threads:
        thread.start()
    origin[0] = time.perf_counter()
    if seconds is not None:
        deadline[0] = origin[0] + seconds
    barrier.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - origin[0]
    return _collect(workers, elapsed, per_worker, messages)


def _collect(
    workers: int, elapsed: float, per_worker: list[list[tuple[float, float, str | None, Mapping[str, Any] | None]]],
    messages: dict[str, str],
) -> LoadResult:
    rows = [(w, *op) for w, ops in enumerate(per_worker) for op in ops]
    rows.sort(key=lambda r: r[1])
    keys = sorted({k for r in rows if r[4] for k in r[4]})
    extras = {k: [(r[4] or {}).get(k) for r in rows] for k in keys}
    return LoadResult(
        workers=workers,
        elapsed=elapsed,
        start=np.array([r[1] for r in rows], dtype=float),
        latency=np.array([r[2] for r in rows], dtype=float),
        worker=np.array([r[0] for r in rows], dtype=int),
        error=[r[3] for r in rows],
        extras=extras,
        messages=messages,
    )
