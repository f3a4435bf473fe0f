"""The 06_async and 07_memory claims, evaluated from synthetic saved runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from labkit.lab.bench import ExperimentRun, Measurement, load_results
from labkit.lab.bench.results import Results
from labkit.lab.claims import evaluate_claims
from labkit.lab.experiments.async_ops.claims import async_10_ops
from labkit.lab.experiments.memory.claims import memory_usage, target_memory


def _spread(center: float, n: int = 20) -> np.ndarray:
    return center * (1 + np.linspace(-0.01, 0.01, n))


def _async_run(tmp_path: Path, head_speedup: float, grid: dict[float, float]) -> Results:
    run = ExperimentRun("06_async", results_dir=tmp_path)
    run.add([Measurement("sync_sequential", _spread(0.004)),
             Measurement("async_gather", _spread(0.004 / head_speedup))],
            section="kinds", kind="mix", n_ops=10, latency_ms=0.0)
    for latency, speedup in grid.items():
        sync = 0.0004 * 10 + latency / 1000 * 10
        run.add([Measurement("sync_sequential", _spread(sync)), Measurement("async_gather", _spread(sync / speedup))],
                section="grid", kind="db", n_ops=10, latency_ms=latency)
    return load_results(run.save())


def test_async_claim_depends_on_latency_when_only_the_grid_reaches_5x(tmp_path: Path) -> None:
    finding = async_10_ops(_async_run(tmp_path, 1.5, {0.0: 1.5, 1.0: 3.0, 10.0: 7.0}))
    assert finding.verdict == "depends"
    assert "≥ 10 ms" in finding.detail
    assert finding.ratio is not None and finding.ratio.value == pytest.approx(1 / 1.5, rel=0.01)


def test_async_claim_is_confirmed_when_the_headline_batch_reaches_5x(tmp_path: Path) -> None:
    assert async_10_ops(_async_run(tmp_path, 6.0, {})).verdict == "confirmed"


def test_async_claim_is_not_reproduced_when_nothing_reaches_5x(tmp_path: Path) -> None:
    assert async_10_ops(_async_run(tmp_path, 1.2, {0.0: 1.2, 10.0: 3.0})).verdict == "not reproduced"


def _memory_run(tmp_path: Path, orm_mb: float, rows_mb: float, base_mb: float = 80.0) -> Results:
    run = ExperimentRun("07_memory", results_dir=tmp_path)
    records = []
    for case, mb in (("orm_objects", orm_mb), ("orm_yield_per", 2.0), ("labkit_rows", rows_mb)):
        for i in range(5):
            wobble = 1 + 0.01 * i
            for metric, value, unit in (("rss_growth", mb * 1e6 * wobble, "bytes"),
                                        ("rss_peak", (base_mb + mb) * 1e6 * wobble, "bytes"),
                                        ("seconds", 0.1 * wobble, "s")):
                records.append({"case": case, "label": case, "phase": "sample", "iteration": i, "value": value,
                                "unit": unit, "metric": metric, "backend": "postgresql", "rows": 100_000})
    run.add_frame(pd.DataFrame(records))
    return load_results(run.save())


def test_memory_claim_is_confirmed_when_rows_cut_memory_by_30_percent(tmp_path: Path) -> None:
    finding = memory_usage(_memory_run(tmp_path, orm_mb=200.0, rows_mb=40.0))
    assert finding.verdict == "confirmed"
    assert finding.before is not None and finding.before.value == pytest.approx(204, rel=0.02)
    assert "100,000 students" in finding.detail


def test_memory_claim_is_not_reproduced_when_the_saving_is_small(tmp_path: Path) -> None:
    assert memory_usage(_memory_run(tmp_path, orm_mb=100.0, rows_mb=90.0)).verdict == "not reproduced"


def test_memory_target_compares_the_process_peak_with_400_mb(tmp_path: Path) -> None:
    assert target_memory(_memory_run(tmp_path, orm_mb=500.0, rows_mb=100.0)).verdict == "confirmed"
    over = target_memory(_memory_run(tmp_path / "b", orm_mb=900.0, rows_mb=600.0))
    assert over.verdict == "not reproduced" and "crosses 400 MB near" in over.detail


def test_the_summary_picks_up_the_new_evaluators(tmp_path: Path) -> None:
    _memory_run(tmp_path, orm_mb=200.0, rows_mb=40.0)
    _async_run(tmp_path, 1.5, {0.0: 1.5, 10.0: 7.0})
    found = {claim.id: finding.verdict for claim, finding in evaluate_claims(tmp_path, origins=None)}
    assert found["memory_usage"] == "confirmed" and found["target_memory"] == "confirmed"
    assert found["async_10_ops"] == "depends"
