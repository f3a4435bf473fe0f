"""The scale-out experiment's replication measurements, on the session's real replicas."""

from __future__ import annotations

from labkit.lab.experiments.db_scale_out.replication import replica_lag, stale_reads, write_load
from labkit.lab.services.replicas import ReplicaSet


def test_replica_lag_is_sampled_per_replica_under_a_write_load(all_replicas_up: ReplicaSet) -> None:
    with write_load(all_replicas_up):
        lag = replica_lag(all_replicas_up, samples=40, interval=0.005)
    assert set(lag["label"]) == {"replica1", "replica2"}
    assert (lag["value"] >= 0).all() and (lag["lag_bytes"] >= 0).all()


def test_stale_reads_are_counted_per_way_and_the_router_has_none(all_replicas_up: ReplicaSet) -> None:
    reads = stale_reads(all_replicas_up, writes=150)
    by_case = reads.groupby("case")
    assert by_case.size().to_dict() == {"lsn_router": 150, "naive_round_robin": 150}
    assert reads[reads["case"] == "lsn_router"]["stale"].sum() == 0
    assert reads[reads["case"] == "naive_round_robin"]["on_replica"].all()
    assert reads[reads["case"] == "lsn_router"]["on_replica"].any()


def test_read_throughput_is_measured_with_zero_one_and_two_replicas(all_replicas_up: ReplicaSet) -> None:
    from labkit.lab.experiments.db_scale_out.replication import read_throughput

    for replicas in (0, 1, 2):
        got = read_throughput(all_replicas_up, replicas=replicas, workers=2, seconds=0.3, rows=50)
        assert got["reads"] > 0 and got["errors"] == []
