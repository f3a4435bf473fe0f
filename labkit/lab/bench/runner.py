"""Running cases: warmups kept apart, repeats kept raw, several cases interleaved round-robin."""

from __future__ import annotations

import gc
import inspect
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from labkit.lab.bench.stats import Ratio, Summary, ratio_of_medians, summarize
from labkit.lab.errors import ParameterError

__all__ = [
    "Measurement",
    "Comparison",
    "label_of",
    "run_case",
    "run_interleaved",
    "run_interleaved_async",
    "compare",
    "ratio",
]


def label_of(fn: Callable[..., object], default: str | None = None) -> str:
    """A case's label: the first line of its docstring, else `default`, else its name."""
    doc = inspect.getdoc(fn)
    if doc:
        return doc.strip().splitlines()[0]
    return default or str(getattr(fn, "__name__", repr(fn)))


@dataclass
class Measurement:
    """Raw timings of one case: seconds per call for each repeat, warmups stored apart."""

    name: str
    samples: np.ndarray
    warmups: np.ndarray = field(default_factory=lambda: np.empty(0))
    inner: int = 1
    label: str = ""

    @property
    def summary(self) -> Summary:
        """Statistics of the samples (never of the warmups)."""
        return summarize(self.samples)

    @property
    def median(self) -> float:
        return float(np.median(self.samples))


@dataclass(frozen=True)
class Comparison:
    """A and B measured interleaved in one run, and B's time relative to A's."""

    a: Measurement
    b: Measurement
    ratio: Ratio


def _check_counts(repeats: int, warmups: int, inner: int) -> None:
    if repeats < 1:
        raise ParameterError(f"repeats must be >= 1, got {repeats}")
    if warmups < 0:
        raise ParameterError(f"warmups must be >= 0, got {warmups}")
    if inner < 1:
        raise ParameterError(f"inner must be >= 1, got {inner}")


def _time_sync(fn: Callable[[], object], inner: int) -> float:
    # As timeit does: the collector stays off while timing, so a pass it starts on
    # garbage left by another case is not charged to this one.
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter_ns()
        for _ in range(inner):
            fn()
        return (time.perf_counter_ns() - start) / 1e9 / inner
    finally:
        if enabled:
            gc.enable()


async def _time_async(fn: Callable[[], Awaitable[object]], inner: int) -> float:
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter_ns()
        for _ in range(inner):
            await fn()
        return (time.perf_counter_ns() - start) / 1e9 / inner
    finally:
        if enabled:
            gc.enable()


def _rounds(names: list[str], warmups: int, repeats: int, desc: str | None):
    """Yield (phase, name) in rotating round-robin order: A B C, B C A, C A B, ..."""
    total = (warmups + repeats) * len(names)
    bar = tqdm(total=total, desc=desc, leave=False, disable=desc is None)
    try:
        for r in range(warmups + repeats):
            phase = "warmup" if r < warmups else "sample"
            shift = r % len(names)
            for name in names[shift:] + names[:shift]:
                yield phase, name
                bar.update()
    finally:
        bar.close()


def _collect(
    cases: Mapping[str, Callable[..., object]], inner: int, timings: dict[str, dict[str, list[float]]]
) -> dict[str, Measurement]:
    return {
        name: Measurement(
            name=name,
            samples=np.asarray(timings[name]["sample"]),
            warmups=np.asarray(timings[name]["warmup"]),
            inner=inner,
            label=label_of(fn, name),
        )
        for name, fn in cases.items()
    }


def run_interleaved(
    cases: Mapping[str, Callable[[], object]],
    *,
    repeats: int = 30,
    warmups: int = 3,
    inner: int = 1,
    progress: str | None = None,
) -> dict[str, Measurement]:
    """Time each zero-argument case `repeats` times, rotating the order every round.

    Interleaving spreads a noisy neighbour's bursts over every case alike, so the ratios
    between cases stay fair on a shared machine. The garbage collector is paused during each timed call.
    """
    _check_counts(repeats, warmups, inner)
    if not cases:
        raise ParameterError("need at least one case")
    timings: dict[str, dict[str, list[float]]] = {name: {"warmup": [], "sample": []} for name in cases}
    for phase, name in _rounds(list(cases), warmups, repeats, progress):
        timings[name][phase].append(_time_sync(cases[name], inner))
    return _collect(cases, inner, timings)


async def run_interleaved_async(
    cases: Mapping[str, Callable[[], Awaitable[object]]],
    *,
    repeats: int = 30,
    warmups: int = 3,
    inner: int = 1,
    progress: str | None = None,
) -> dict[str, Measurement]:
    """`run_interleaved` for coroutine functions, awaited on the running event loop."""
    _check_counts(repeats, warmups, inner)
    if not cases:
        raise ParameterError("need at least one case")
    timings: dict[str, dict[str, list[float]]] = {name: {"warmup": [], "sample": []} for name in cases}
    for phase, name in _rounds(list(cases), warmups, repeats, progress):
        timings[name][phase].append(await _time_async(cases[name], inner))
    return _collect(cases, inner, timings)


def run_case(
    fn: Callable[[], object], *, repeats: int = 30, warmups: int = 3, inner: int = 1, name: str | None = None
) -> Measurement:
    """Time one case on its own (use `run_interleaved` whenever two cases are to be compared)."""
    key = name or label_of(fn)
    return run_interleaved({key: fn}, repeats=repeats, warmups=warmups, inner=inner)[key]


def ratio(a: Measurement, b: Measurement) -> Ratio:
    """B's median time over A's, with a bootstrap 95% CI."""
    return ratio_of_medians(a.samples, b.samples)


def compare(
    a: Callable[[], object],
    b: Callable[[], object],
    *,
    repeats: int = 30,
    warmups: int = 3,
    inner: int = 1,
    names: tuple[str, str] | None = None,
) -> Comparison:
    """Measure A and B interleaved (A B A B ...) and return B's time relative to A's."""
    name_a, name_b = names or (getattr(a, "__name__", "A"), getattr(b, "__name__", "B"))
    if name_a == name_b:
        name_a, name_b = f"A: {name_a}", f"B: {name_b}"
    ms = run_interleaved({name_a: a, name_b: b}, repeats=repeats, warmups=warmups, inner=inner)
    return Comparison(ms[name_a], ms[name_b], ratio(ms[name_a], ms[name_b]))
