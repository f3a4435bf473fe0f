"""The claims registry and the summary built from saved runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from labkit.lab.bench import ExperimentRun, Measurement, load_results
from labkit.lab.claims import SEED_CLAIMS, Figure, claims_table, evaluate_claims, figure_of, findings_frame, ratio_of
from labkit.lab.claims.base import before_after, ci_verdict, count_verdict, preferred_backends
from labkit.lab.errors import ResultsError


def test_claim_ids_are_unique_and_tables_known() -> None:
    ids = [c.id for c in SEED_CLAIMS]
    assert len(ids) == len(set(ids))
    assert {c.table for c in SEED_CLAIMS} == {"before_after", "targets", "detail"}


def test_the_seed_before_after_table_is_complete() -> None:
    metrics = [c.metric for c in SEED_CLAIMS if c.table == "before_after"]
    assert metrics == [
        "API Response Time", "Database Query Time", "Cache Hit Rate", "N+1 Queries",
        "Bulk Insert (1000 records)", "Memory Usage", "Concurrent Requests",
    ]


def test_without_saved_runs_every_claim_is_pending(tmp_path: Path) -> None:
    evaluated = evaluate_claims(tmp_path, origins=None)
    assert {f.verdict for _, f in evaluated} == {"pending"}
    table = claims_table(evaluated)
    assert len(table) == len(SEED_CLAIMS) and set(table["verdict"]) == {"pending"}
    assert findings_frame(evaluated)["value"].isna().all()


@pytest.fixture
def saved(tmp_path: Path):
    run = ExperimentRun("demo", results_dir=tmp_path)
    run.add([Measurement("slow", np.full(50, 0.010)), Measurement("fast", np.full(50, 0.002))], kind="x")
    return load_results(run.save())


def test_figures_and_ratios_come_from_the_raw_samples(saved) -> None:
    assert figure_of(saved, unit="ms", case="slow").value == pytest.approx(10.0)
    assert ratio_of(saved, {"case": "slow"}, {"case": "fast"}).value == pytest.approx(0.2)


def test_missing_figure_is_named(saved) -> None:
    with pytest.raises(ResultsError, match="no samples where"):
        figure_of(saved, case="nosuch")


def test_before_after_gives_both_figures_and_their_ratio_from_one_run(saved) -> None:
    before, after, ratio = before_after(saved, {"case": "slow"}, {"case": "fast"}, unit="ms")
    assert (before.value, after.value) == (pytest.approx(10.0), pytest.approx(2.0))
    assert ratio.value == pytest.approx(0.2)


@pytest.mark.parametrize(("low", "high", "verdict"), [
    (0.3, 0.4, "confirmed"), (0.5, 0.7, "not reproduced"), (0.3, 0.5, "depends"),
])
def test_a_ci_is_judged_against_a_bound_that_lower_values_meet(low: float, high: float, verdict: str) -> None:
    assert ci_verdict(Figure(0.4, low, high, "ms"), 0.45) == verdict


@pytest.mark.parametrize(("low", "high", "verdict"), [
    (96.0, 99.0, "confirmed"), (80.0, 90.0, "not reproduced"), (90.0, 99.0, "depends"),
])
def test_a_ci_is_judged_against_a_bound_that_higher_values_meet(low: float, high: float, verdict: str) -> None:
    assert ci_verdict(Figure(95.0, low, high, "%"), 95.0, higher_is_better=True) == verdict


def test_a_claim_holding_in_some_conditions_depends_on_them() -> None:
    assert [count_verdict(held, 3) for held in (3, 0, 2)] == ["confirmed", "not reproduced", "depends"]


def test_postgresql_is_the_preferred_backend(saved) -> None:
    frame = pd.DataFrame({"backend": ["sqlite", "redis", "postgresql"]})
    assert preferred_backends(frame, saved) == ["postgresql", "redis", "sqlite"]
    with pytest.raises(ResultsError, match="no rows for this claim"):
        preferred_backends(frame.iloc[:0], saved)
