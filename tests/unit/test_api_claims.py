"""The service claims are judged from raw request samples of a saved 08_api_load run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from labkit.lab.bench.metadata import new_run_id
from labkit.lab.bench.results import load_results, save_results
from labkit.lab.claims import evaluators
from labkit.lab.experiments.api_load.claims import EVALUATORS, headline
from labkit.lab.load.driver import LoadPlan, Step, _step_rows
from labkit.lab.load.open_loop import Sample


def _results(tmp_path: Path, users: int, base_ms: float, opt_ms: float, opt_errors: int = 0,  # type: ignore[no-untyped-def]
             base_gap: float = 0.1, think_s: float = 0.0):
    plan = LoadPlan(users=(users,), rates=(), duration_s=6.0, settle_s=1.0)
    rows = []
    for mode, ms, gap in (("baseline", base_ms, base_gap), ("optimized", opt_ms, 0.02)):
        rng = np.random.default_rng(0)
        samples = [Sample(float(t), "student", ms / 1e3 * float(rng.uniform(0.9, 1.1)), 200, True)
                   for t in np.arange(0.0, 5.9, gap)]
        if mode == "optimized":
            samples += [Sample(2.0, "student", 1.0, 500, False)] * opt_errors
        rows += _step_rows(mode, Step("closed", users=users), samples, plan)
    meta = {"experiment": "08_api_load", "run_id": new_run_id(), "parameters": {"think_s": think_s}}
    return load_results(save_results(pd.DataFrame(rows), meta, tmp_path))


def test_every_service_claim_has_an_evaluator() -> None:
    assert set(EVALUATORS) == {"api_response_time", "concurrent_requests", "target_api_response",
                               "target_concurrent_users"}
    assert all(evaluators()[k] is fn for k, fn in EVALUATORS.items())


def test_a_fast_optimized_mode_confirms_response_time_and_throughput(tmp_path: Path) -> None:
    results = _results(tmp_path, 150, base_ms=300, opt_ms=60)
    rt = EVALUATORS["api_response_time"](results)
    assert rt.verdict == "confirmed" and rt.ratio is not None and rt.ratio.value == pytest.approx(0.2, rel=0.1)
    assert "-80% change" in rt.detail
    assert EVALUATORS["concurrent_requests"](results).verdict == "confirmed"  # 5x the requests per second
    assert EVALUATORS["target_api_response"](results).verdict == "confirmed"
    assert EVALUATORS["target_concurrent_users"](results).verdict == "confirmed"
    assert "150 users" in headline(results)


def test_a_slow_optimized_mode_does_not_reproduce_them(tmp_path: Path) -> None:
    results = _results(tmp_path, 150, base_ms=300, opt_ms=280, opt_errors=3)
    assert EVALUATORS["api_response_time"](results).verdict == "not reproduced"
    assert EVALUATORS["target_api_response"](results).verdict == "not reproduced"
    assert EVALUATORS["target_concurrent_users"](results).verdict == "not reproduced"


def test_concurrent_users_is_pending_below_a_hundred_users(tmp_path: Path) -> None:
    from labkit.lab.errors import ResultsError

    with pytest.raises(ResultsError, match="more than 100"):
        EVALUATORS["target_concurrent_users"](_results(tmp_path, 50, base_ms=300, opt_ms=60))


def test_throughput_short_of_the_claim_depends_when_the_users_offered_no_more(tmp_path: Path) -> None:
    """150 users thinking 3 s offer 50 req/s: an optimized mode serving all 50 was never pushed to its limit."""
    capped = EVALUATORS["concurrent_requests"](_results(tmp_path, 150, 300, 60, base_gap=0.05, think_s=3.0))
    assert capped.verdict == "depends" and "is a floor" in capped.detail
    assert capped.ratio is not None and capped.ratio.value == pytest.approx(2.5, rel=0.1)
    saturated = EVALUATORS["concurrent_requests"](_results(tmp_path, 150, 300, 60, base_gap=0.05, think_s=1.0))
    assert saturated.verdict == "not reproduced"  # 150 req/s offered, 50 served: the optimized mode was the limit
