"""The database scale-out claims (read replicas, partitioning, load balancing), judged from synthetic runs of 11."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from labkit.lab.bench import ExperimentRun, Measurement, load_results
from labkit.lab.bench.results import Results
from labkit.lab.errors import ResultsError
from labkit.lab.experiments.db_scale_out.claims import EVALUATORS


def _reads(router_stale: int, naive_stale: int, n: int = 50) -> pd.DataFrame:
    rows = []
    for case, label, stale in (("lsn_router", "LSN-aware router", router_stale),
                               ("naive_round_robin", "naive round-robin", naive_stale)):
        for i in range(n):
            rows.append({"case": case, "label": label, "phase": "sample", "iteration": i, "value": 0.001,
                         "unit": "s", "kind": "read_after_write", "stale": i < stale, "on_replica": i % 5 != 0})
    return pd.DataFrame(rows)


def _spread(reads_per_s: dict[int, float]) -> pd.DataFrame:
    return pd.DataFrame([{"case": f"replicas_{n}", "label": f"{n} replica(s)", "phase": "sample", "iteration": 0,
                          "value": v, "unit": "reads/s", "kind": "read_spread", "replicas": n}
                         for n, v in reads_per_s.items()])


def _saved(tmp_path: Path, *, router_stale: int = 0, plain_s: float = 0.02, partitioned_s: float = 0.005,
           spread: dict[int, float] | None = None) -> Results:
    run = ExperimentRun("11_db_scale_out", results_dir=tmp_path)
    run.add_frame(_reads(router_stale, naive_stale=7))
    rng = np.random.default_rng(1)
    run.add([Measurement("plain", plain_s * (1 + 0.02 * rng.random(30))),
             Measurement("partitioned", partitioned_s * (1 + 0.02 * rng.random(30)))], kind="pruning")
    run.add_frame(_spread(spread or {0: 2700.0, 1: 2300.0, 2: 2100.0}))
    return load_results(run.save())


def test_the_lsn_router_with_no_stale_read_confirms_read_replicas_and_one_stale_read_does_not(tmp_path: Path) -> None:
    good = EVALUATORS["read_replicas"](_saved(tmp_path))
    assert good.verdict == "confirmed" and "with 0 stale" in good.detail
    assert "naive round-robin read 7 stale" in good.detail
    bad = EVALUATORS["read_replicas"](_saved(tmp_path, router_stale=1))
    assert bad.verdict == "not reproduced"


def test_partitioning_is_judged_by_the_range_query_ratio(tmp_path: Path) -> None:
    assert EVALUATORS["horizontal_partitioning"](_saved(tmp_path)).verdict == "confirmed"
    slower = EVALUATORS["horizontal_partitioning"](_saved(tmp_path, plain_s=0.005, partitioned_s=0.02))
    assert slower.verdict == "not reproduced" and slower.ratio is not None and slower.ratio.value > 1


def test_load_balancing_depends_when_replicas_share_the_cores_and_is_confirmed_when_reads_scale(tmp_path: Path) -> None:
    shared = EVALUATORS["load_balancing"](_saved(tmp_path))
    assert shared.verdict == "depends" and "2,100 reads/s with 2 replica(s)" in shared.detail
    assert EVALUATORS["load_balancing"](_saved(tmp_path, spread={0: 1000.0, 2: 2500.0})).verdict == "confirmed"


def test_a_run_without_the_reads_cannot_judge_read_replicas(tmp_path: Path) -> None:
    run = ExperimentRun("11_db_scale_out", results_dir=tmp_path)
    run.add([Measurement("plain", np.full(5, 0.01))], kind="pruning")
    with pytest.raises(ResultsError, match="no reads-after-write"):
        EVALUATORS["read_replicas"](load_results(run.save()))
