"""10_cache_cluster's claims (Redis Cluster, warming, preloading), judged from a saved run's samples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from labkit.lab.bench import ExperimentRun, Measurement, load_results
from labkit.lab.bench.results import Results
from labkit.lab.experiments.cache_cluster.claims import EVALUATORS


def _results(tmp_path: Path, *, cluster_s: float, recovered: bool) -> Results:
    run = ExperimentRun("10_cache_cluster", results_dir=tmp_path, parameters={"batch": 100})
    run.add([Measurement("server_get_many", np.full(20, 100e-6)),
             Measurement("cluster_get_many", np.full(20, cluster_s)),
             Measurement("cluster_set", np.full(20, 30e-6)),
             Measurement("cluster_set_many", np.full(20, 900e-6))], part="batch of 100")
    outcomes = ["hit", "computed", "computed", "hit" if recovered else "computed"]
    run.add_frame(pd.DataFrame({"case": "failover", "label": "call", "phase": "sample", "iteration": range(4),
                                "value": 1e-5, "unit": "s", "part": "failover", "t_s": [0.0, 1.0, 2.0, 3.0],
                                "outcome": outcomes, "keys": "keys of the dead master"}))
    run.add_frame(pd.DataFrame({"case": ["warm_cold", "warm_warmed"], "label": ["cold start", "warmed start"],
                                "phase": "sample", "iteration": [0, 1], "value": [20.0, 60.0], "unit": "%",
                                "part": "warming", "t_end": [100.0, 100.0]}))
    return load_results(run.save())


def test_a_cluster_batch_within_the_limit_and_a_recovered_failover_confirm_the_cluster(tmp_path: Path) -> None:
    finding = EVALUATORS["redis_cluster"](_results(tmp_path, cluster_s=140e-6, recovered=True))
    assert finding.verdict == "confirmed" and "hits again 2.0 s after the kill" in finding.detail


def test_a_failover_without_hits_again_leaves_the_cluster_depending(tmp_path: Path) -> None:
    assert EVALUATORS["redis_cluster"](_results(tmp_path, cluster_s=140e-6, recovered=False)).verdict == "depends"


def test_warming_is_judged_by_the_first_reads_and_preloading_by_the_cost_per_key(tmp_path: Path) -> None:
    results = _results(tmp_path, cluster_s=140e-6, recovered=True)
    warming, preloading = EVALUATORS["cache_warming"](results), EVALUATORS["cache_preloading"](results)
    assert (warming.verdict, warming.before.value, warming.after.value) == ("confirmed", 20.0, 60.0)
    assert preloading.verdict == "confirmed" and preloading.after.value < preloading.before.value
