"""The pool-efficiency and SQLite-tuning claims, evaluated from synthetic saved runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from labkit.lab.bench import ExperimentRun, load_results
from labkit.lab.bench.results import Results
from labkit.lab.claims import evaluators
from labkit.lab.experiments.pooling.claims import pool_efficiency
from labkit.lab.experiments.sqlite_tuning.claims import sqlite_tuning


def _saved(tmp_path: Path, experiment: str, frame: pd.DataFrame) -> Results:
    run = ExperimentRun(experiment, results_dir=tmp_path)
    run.add_frame(frame)
    return load_results(run.save())


def _efficiency(case: str, workers: int, values: list[float], pool_size: int = 20) -> pd.DataFrame:
    return pd.DataFrame({"case": case, "label": case, "phase": "sample", "iteration": range(len(values)),
                         "value": values, "unit": "%", "kind": "load_efficiency", "workers": workers,
                         "pool_size": pool_size})


def test_both_claims_have_evaluators() -> None:
    found = evaluators()
    assert found["pool_efficiency"] is pool_efficiency and found["sqlite_tuning"] is sqlite_tuning


def test_pool_efficiency_depends_when_it_holds_only_at_low_concurrency(tmp_path: Path) -> None:
    frame = pd.concat([
        _efficiency("nullpool", 32, [0.0] * 5, 0),
        _efficiency("seed_pool", 1, [100.0] * 5),
        _efficiency("seed_pool", 32, [80.0, 82.0, 85.0, 79.0, 81.0]),
    ])
    finding = pool_efficiency(_saved(tmp_path, "04_pooling", frame))
    assert finding.verdict == "depends"
    assert "holds with 1 workers" in finding.detail and "fails with 32 workers" in finding.detail
    assert finding.after is not None and finding.after.value == 81.0
    assert finding.before is not None and finding.before.value == 0.0


def test_pool_efficiency_is_confirmed_when_it_holds_everywhere(tmp_path: Path) -> None:
    frame = pd.concat([_efficiency("queuepool_8", w, [100.0] * 4, 8) for w in (1, 4)])
    assert pool_efficiency(_saved(tmp_path, "04_pooling", frame)).verdict == "confirmed"


def _times(kind: str, case: str, median: float, n: int = 30) -> pd.DataFrame:
    values = median * (1 + 0.01 * np.linspace(-1, 1, n))
    return pd.DataFrame({"case": case, "label": case, "phase": "sample", "iteration": range(n), "value": values,
                         "unit": "s", "kind": kind, "workload": f"{kind}: what it does"})


def test_sqlite_tuning_depends_when_only_some_workloads_gain(tmp_path: Path) -> None:
    frame = pd.concat([
        _times("small_transactions", "default", 0.010), _times("small_transactions", "tuned", 0.001),
        _times("scan", "default", 0.050), _times("scan", "tuned", 0.050),
    ])
    finding = sqlite_tuning(_saved(tmp_path, "05_sqlite_tuning", frame))
    assert finding.verdict == "depends"
    assert finding.ratio is not None and abs(finding.ratio.value - 0.1) < 1e-9
    assert "small_transactions" in finding.detail and "scan" in finding.detail


def test_sqlite_tuning_is_confirmed_when_every_workload_gains(tmp_path: Path) -> None:
    frame = pd.concat([_times("point_reads", "default", 2e-5), _times("point_reads", "tuned", 1e-5)])
    assert sqlite_tuning(_saved(tmp_path, "05_sqlite_tuning", frame)).verdict == "confirmed"


def test_a_starved_default_reader_counts_as_a_gain_without_a_median(tmp_path: Path) -> None:
    frame = pd.concat([
        _times("scan", "default", 0.050), _times("scan", "tuned", 0.050),
        _times("reader", "default", 0.300, n=3), _times("reader", "tuned", 1e-5, n=200),
    ])
    finding = sqlite_tuning(_saved(tmp_path, "05_sqlite_tuning", frame))
    assert finding.verdict == "depends"
    assert "starved: 3 reads completed vs 200 tuned" in finding.detail
