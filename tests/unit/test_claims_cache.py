"""The cache claims of the seed, judged from synthetic saved runs of 01_cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from labkit.lab.bench import ExperimentRun, Measurement, load_results
from labkit.lab.bench.results import Results
from labkit.lab.claims import evaluate_claims
from labkit.lab.claims.registry import SEED_CLAIMS
from labkit.lab.errors import ResultsError
from labkit.lab.experiments.cache.claims import EVALUATORS


def _ops(run: ExperimentRun, seconds: dict[str, float], batch: int = 100) -> None:
    rng = np.random.default_rng(0)
    for case, s in seconds.items():
        samples = s * (1 + 0.01 * rng.random(40))
        run.add([Measurement(case, samples)], study="operations", backend="redis", batch=batch)


def _hit_rates(run: ExperimentRun, rates: dict[tuple[float, int], float]) -> None:
    rows = []
    for (skew, size), rate in rates.items():
        for i in range(6):
            rows.append({"case": f"memory s={skew} size={size}", "label": f"skew {skew}, {size} entries",
                         "phase": "warmup" if i < 2 else "sample", "iteration": i, "value": rate + (i % 2),
                         "unit": "%", "requests": 100, "hits": int(rate), "study": "hit_rate", "backend": "memory",
                         "policy": "lru", "skew": skew, "n_keys": 10_000, "cache_size": size, "ttl": 300.0})
    run.add_frame(pd.DataFrame(rows))


def _saved(tmp_path: Path, ops: dict[str, float] | None, rates: dict[tuple[float, int], float] | None) -> Results:
    run = ExperimentRun("01_cache", results_dir=tmp_path)
    if ops:
        _ops(run, ops)
    if rates:
        _hit_rates(run, rates)
    return load_results(run.save())


FAST = {"get": 5e-5, "set": 6e-5, "get_many": 3e-4, "set_many": 4e-4, "get_loop": 5e-3, "set_loop": 6e-3}


def test_every_cache_claim_of_the_registry_has_an_evaluator() -> None:
    ours = {c.id for c in SEED_CLAIMS if c.experiment == "01_cache"}
    assert set(EVALUATORS) == ours


def test_latencies_below_the_seed_figures_are_confirmed(tmp_path: Path) -> None:
    results = _saved(tmp_path, FAST, None)
    finding = EVALUATORS["cache_get"](results)
    assert finding.verdict == "confirmed"
    assert finding.after is not None and finding.after.value == pytest.approx(0.05, rel=0.02)
    assert "10× under the seed's 0.5 ms" in finding.detail


def test_a_batch_is_set_beside_the_same_keys_one_by_one(tmp_path: Path) -> None:
    finding = EVALUATORS["cache_batch_get_100"](_saved(tmp_path, FAST, None))
    assert finding.before is not None and finding.before.value == pytest.approx(5.0, rel=0.02)
    assert finding.ratio is not None and finding.ratio.value == pytest.approx(0.3 / 5.0, rel=0.03)
    assert "one by one" in finding.detail


def test_latencies_above_the_seed_figures_are_not_reproduced(tmp_path: Path) -> None:
    finding = EVALUATORS["cache_set"](_saved(tmp_path, dict(FAST, set=2e-3), None))
    assert finding.verdict == "not reproduced" and "2.5× the seed's 0.8 ms" in finding.detail


def test_hit_rate_reached_by_some_workloads_depends_on_them(tmp_path: Path) -> None:
    results = _saved(tmp_path, None, {(0.8, 1000): 40.0, (1.2, 1000): 86.0, (1.2, 100): 70.0})
    finding = EVALUATORS["cache_hit_rate"](results)
    assert finding.verdict == "depends"
    assert "1 of 3 Zipf workloads reach 85%" in finding.detail
    assert "skew 1.2: from 1,000 of 10,000 keys cached (10%)" in finding.detail
    assert "skew 0.8: never" in finding.detail
    assert finding.after is not None and finding.after.unit == "%" and finding.after.value == pytest.approx(86.5)


def test_hit_rate_verdicts_when_all_or_none_reach_it(tmp_path: Path) -> None:
    high = _saved(tmp_path / "a", None, {(1.2, 1000): 90.0, (1.4, 1000): 95.0})
    low = _saved(tmp_path / "b", None, {(0.6, 1000): 20.0})
    assert EVALUATORS["cache_hit_rate"](high).verdict == "confirmed"
    assert EVALUATORS["cache_hit_rate"](low).verdict == "not reproduced"
    assert EVALUATORS["target_cache_hit_rate"](_saved(tmp_path / "c", None, {(1.0, 1): 82.0})).verdict == "confirmed"


def test_a_run_without_the_study_is_pending_with_the_reason(tmp_path: Path) -> None:
    results = _saved(tmp_path, None, {(1.0, 10): 50.0})
    with pytest.raises(ResultsError, match="no 'operations' rows"):
        EVALUATORS["cache_get"](results)
    evaluated = {c.id: f for c, f in evaluate_claims(tmp_path, origins=None)}
    assert evaluated["cache_get"].verdict == "pending" and "no 'operations' rows" in evaluated["cache_get"].detail
    assert evaluated["cache_hit_rate"].verdict == "not reproduced"


def test_the_headline_sets_our_latencies_beside_the_seed_figures(tmp_path: Path) -> None:
    from labkit.lab.experiments.cache.claims import headline

    text = headline(_saved(tmp_path, FAST, {(1.2, 1000): 90.0, (0.8, 1000): 40.0}))
    assert text == ("Redis GET / SET / batch GET / batch SET of 100: 0.05 / 0.06 / 0.3 / 0.4 ms "
                    "(seed: 0.5 / 0.8 / 5 / 8 ms); 85% hit rate in 1 of 2 Zipf workloads")
    assert headline(_saved(tmp_path / "none", None, {(1.0, 1): 10.0})).startswith("85% hit rate in 0 of 1")
