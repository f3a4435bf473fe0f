"""The concurrent-load driver: counts, errors, extras and time slices, without timing anything."""

from __future__ import annotations

import itertools
import threading

import numpy as np
import pytest

from labkit.lab.bench import run_load


def test_an_operation_budget_runs_exactly_that_many_operations() -> None:
    calls = itertools.count()
    load = run_load(lambda: next(calls), 4, operations=37)
    assert load.operations == 37 and next(calls) == 37
    assert set(load.worker) <= {0, 1, 2, 3}


def test_every_worker_runs_in_its_own_thread() -> None:
    seen: set[str] = set()
    lock = threading.Lock()
    barrier = threading.Barrier(3)

    def op() -> None:
        with lock:
            first = threading.current_thread().name not in seen
            seen.add(threading.current_thread().name)
        if first:
            barrier.wait(timeout=10)  # only returns once all three workers run at once

    run_load(op, 3, operations=30)
    assert len(seen) == 3


def test_failures_are_recorded_and_the_load_goes_on() -> None:
    calls = itertools.count()

    def op() -> None:
        if next(calls) % 3 == 0:
            raise TimeoutError("pool empty")

    load = run_load(op, 2, operations=30)
    assert load.operations == 30
    assert sum(e == "TimeoutError" for e in load.error) == 10
    assert load.ok.sum() == 20
    assert load.messages == {"TimeoutError": "pool empty"}


def test_a_returned_mapping_becomes_per_operation_columns() -> None:
    load = run_load(lambda: {"checkout": 0.5, "fresh": 1.0}, 2, operations=6)
    frame = load.frame()
    assert list(frame["checkout"]) == [0.5] * 6 and list(frame["fresh"]) == [1.0] * 6
    assert {"start", "latency", "worker", "error"} <= set(frame.columns)


def test_time_slices_partition_the_operations() -> None:
    load = run_load(lambda: None, 2, operations=50)
    masks = load.windows(5)
    assert len(masks) == 5
    assert np.sum([m.sum() for m in masks]) == 50
    assert load.window_throughput(5).shape == (5,)


def test_a_time_limit_stops_the_load() -> None:
    load = run_load(lambda: None, 2, seconds=0.05)
    assert load.operations > 0 and load.elapsed > 0


@pytest.mark.parametrize("kwargs", [dict(workers=0, operations=1), dict(workers=1), dict(workers=1, seconds=0),
                                    dict(workers=1, operations=0), dict(workers=1, operations=1, interval=-1)])
def test_bad_arguments_are_refused(kwargs: dict) -> None:
    workers = kwargs.pop("workers")
    with pytest.raises(ValueError):
        run_load(lambda: None, workers, **kwargs)
