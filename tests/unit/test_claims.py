"""The claims registry and the summary built from saved runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from labkit.lab.bench import ExperimentRun, Measurement, load_results
from labkit.lab.claims import SEED_CLAIMS, claims_table, evaluate_claims, figure_of, findings_frame, ratio_of
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
    evaluated = evaluate_claims(tmp_path)
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
