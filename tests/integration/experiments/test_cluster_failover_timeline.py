"""The failover timeline: a master dies under load, the cache fails open, then hits again."""

from __future__ import annotations

from labkit.lab.experiments.cache_cluster.failover import failover_timeline


def test_calls_fail_open_during_the_switch_and_hit_again_after_promotion(own_cluster) -> None:
    run = failover_timeline(own_cluster, keys=60, max_s=30)
    assert run.errors_raised == 0
    assert run.promoted_s is not None and run.recovered_s is not None
    assert (run.calls["outcome"] == "computed").any()
    after = run.calls[(run.calls["t_s"] > run.recovered_s) & run.calls["on_dead"]]
    assert len(after) > 0 and (after["outcome"] == "hit").all()
    assert set(run.summary()) >= {"calls", "computed (fail-open)", "hits again after (s)"}
