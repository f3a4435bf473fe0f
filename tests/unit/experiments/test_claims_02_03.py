"""The verdicts of 02_n_plus_one and 03_bulk_writes, from saved runs built to order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from labkit.lab.bench import ExperimentRun, Results, load_results
from labkit.lab.claims import evaluate_run
from labkit.lab.experiments.bulk_writes.claims import bulk_insert_1000, bulk_operations
from labkit.lab.experiments.n_plus_one.claims import (
    db_query_time,
    join_query,
    n_plus_one,
    simple_select,
    target_db_query,
)


def _timed(case: str, seconds: float, **columns: Any) -> list[dict[str, Any]]:
    jitter = np.linspace(0.98, 1.02, 21)
    return [{"case": case, "label": case, "phase": "sample", "iteration": i, "value": seconds * j, "unit": "s",
             **columns} for i, j in enumerate(jitter)]


def _count(case: str, n: int, value: int, flagged: bool, backend: str = "postgresql") -> dict[str, Any]:
    return {"case": case, "label": case, "phase": "sample", "iteration": 0, "value": float(value),
            "unit": "statements", "kind": "statements", "backend": backend, "students": n, "n_plus_one": flagged}


def _saved(tmp_path: Path, experiment: str, rows: list[dict[str, Any]]) -> Results:
    run = ExperimentRun(experiment, results_dir=tmp_path)
    run.add_frame(pd.DataFrame(rows))
    return load_results(run.save())


def _loading(tmp_path: Path, times: dict[int, tuple[float, float]], *, lazy_flagged: bool = True,
             backend: str = "postgresql") -> Results:
    rows: list[dict[str, Any]] = []
    for n, (lazy, eager) in times.items():
        rows += [_count("lazy", n, 2 * n + 1, lazy_flagged and n >= 10, backend),
                 _count("find_all", n, 2, False, backend)]
        rows += _timed("lazy", lazy, kind="time", backend=backend, students=n)
        rows += _timed("find_all", eager, kind="time", backend=backend, students=n)
    return _saved(tmp_path, "02_n_plus_one", rows)


def test_n_plus_one_is_confirmed_when_only_lazy_loading_trips_the_detector(tmp_path: Path) -> None:
    finding = n_plus_one(_loading(tmp_path, {10: (0.02, 0.01), 1000: (1.0, 0.02)}))
    assert finding.verdict == "confirmed"
    assert (finding.before.value, finding.after.value) == (2001, 2)  # type: ignore[union-attr]
    assert "N=1000: 2001 → 2" in finding.detail


def test_n_plus_one_depends_on_n_when_lazy_loading_never_repeats_enough(tmp_path: Path) -> None:
    finding = n_plus_one(_loading(tmp_path, {3: (0.02, 0.01)}, lazy_flagged=False))
    assert finding.verdict == "depends" and "measure larger N" in finding.detail


def test_query_time_depends_on_n_and_says_where_it_holds(tmp_path: Path) -> None:
    finding = db_query_time(_loading(tmp_path, {10: (0.010, 0.008), 1000: (0.8, 0.04)}))
    assert finding.verdict == "depends"
    assert "holds at N=1000, not at N=10" in finding.detail
    assert finding.ratio.value == pytest.approx(0.05)  # type: ignore[union-attr]


@pytest.mark.parametrize(("times", "verdict"),
                         [({10: (0.1, 0.01)}, "confirmed"), ({10: (0.1, 0.09)}, "not reproduced")])
def test_query_time_verdict_follows_the_claimed_ratio(tmp_path: Path, times: dict, verdict: str) -> None:
    assert db_query_time(_loading(tmp_path, times)).verdict == verdict


def test_the_50_ms_target_holds_up_to_some_n(tmp_path: Path) -> None:
    finding = target_db_query(_loading(tmp_path, {100: (0.1, 0.010), 1000: (1.0, 0.090)}))
    assert finding.verdict == "depends" and "under the goal up to N=100" in finding.detail
    assert finding.after.value == pytest.approx(10.0)  # type: ignore[union-attr]


def test_postgresql_decides_when_both_backends_ran(tmp_path: Path) -> None:
    rows = []
    for backend, eager in (("sqlite", 0.09), ("postgresql", 0.01)):
        rows += _timed("lazy", 0.1, kind="time", backend=backend, students=10)
        rows += _timed("find_all", eager, kind="time", backend=backend, students=10)
    assert db_query_time(_saved(tmp_path, "02_n_plus_one", rows)).verdict == "confirmed"


def _profiles(tmp_path: Path, baseline: float, optimized: float) -> Results:
    rows = []
    for query in ("simple_select", "join_query"):
        for backend in ("sqlite", "postgresql"):
            rows += _timed("baseline", baseline, kind="profile", query=query, backend=backend)
            rows += _timed("optimized", optimized, kind="profile", query=query, backend=backend)
    return _saved(tmp_path, "02_n_plus_one", rows)


def test_simple_select_and_join_query_compare_the_engine_profiles(tmp_path: Path) -> None:
    assert simple_select(_profiles(tmp_path, 0.004, 0.0005)).verdict == "confirmed"
    finding = join_query(_profiles(tmp_path, 0.004, 0.002))
    assert finding.verdict == "not reproduced"
    assert "on postgresql" in finding.detail and "sqlite 0.50×" in finding.detail


def _writes(tmp_path: Path, sizes: dict[int, dict[str, float]]) -> Results:
    rows = []
    for rows_n, cases in sizes.items():
        for case, seconds in cases.items():
            kind = "update" if case in ("orm_per_row", "labkit_bulk_update") else "insert"
            rows += _timed(case, seconds, kind=kind, backend="postgresql", rows=rows_n)
    return _saved(tmp_path, "03_bulk_writes", rows)


def test_the_seed_1000_record_row_compares_a_commit_per_row_with_bulk_insert(tmp_path: Path) -> None:
    results = _writes(tmp_path, {1000: {"commit_per_row": 2.5, "labkit_bulk_insert": 0.005, "add_all": 0.1}})
    finding = bulk_insert_1000(results)
    assert finding.verdict == "confirmed"
    assert finding.ratio.speedup == pytest.approx(500)  # type: ignore[union-attr]
    assert "2.5 s → 5 ms" in finding.detail


def test_the_1000_record_row_is_pending_without_a_1000_row_run(tmp_path: Path) -> None:
    results = _writes(tmp_path, {500: {"commit_per_row": 1.0, "labkit_bulk_insert": 0.01}})
    verdicts = {claim.id: finding for claim, finding in evaluate_run(results)}
    assert verdicts["bulk_insert_1000"].verdict == "pending"
    assert "include 1000 in sizes" in verdicts["bulk_insert_1000"].detail


def test_bulk_operations_depends_when_only_one_operation_is_90_percent_faster(tmp_path: Path) -> None:
    results = _writes(tmp_path, {1000: {"add_all": 0.1, "labkit_bulk_insert": 0.005, "orm_per_row": 0.1,
                                        "labkit_bulk_update": 0.05},
                                 10000: {"add_all": 1.0, "labkit_bulk_insert": 0.05}})
    finding = bulk_operations(results)
    assert finding.verdict == "depends" and "holds for insert only" in finding.detail
    assert "at 10,000 rows" in finding.detail  # the largest size with both sides


def test_a_ratio_whose_ci_spans_the_claim_is_called_too_close() -> None:
    from labkit.lab.bench.stats import Ratio
    from labkit.lab.claims.base import close_call

    assert "too close to call" in close_call(Ratio(0.097, 0.04, 0.13), 0.1)
    assert close_call(Ratio(0.01, 0.008, 0.02), 0.1) == ""
