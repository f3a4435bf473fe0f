"""The lab's replica set: real streaming replicas of a real primary, stopped and started at will."""

from __future__ import annotations

from pathlib import Path

from labkit.lab.services.replicas import ReplicaSet, replica_set


def test_a_write_on_the_primary_is_replayed_on_every_replica(all_replicas_up: ReplicaSet) -> None:
    with all_replicas_up.primary.connect() as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS service_probe (id int)")
        conn.execute("INSERT INTO service_probe VALUES (42)")
    all_replicas_up.wait_caught_up()
    for node in all_replicas_up.replicas:
        with node.connect() as conn:
            row = conn.execute("SELECT pg_is_in_recovery(), count(*) FROM service_probe WHERE id = 42").fetchone()
        assert row is not None and row[0] is True and row[1] >= 1


def test_a_stopped_replica_shows_no_lag_and_catches_up_when_started(all_replicas_up: ReplicaSet) -> None:
    node = all_replicas_up.replicas[1]
    node.stop()
    with all_replicas_up.primary.connect() as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS service_gap (id int)")
        conn.execute("INSERT INTO service_gap SELECT generate_series(1, 1000)")
    assert all_replicas_up.lag_bytes()[1] is None
    node.start()
    all_replicas_up.wait_caught_up()
    with node.connect() as conn:
        row = conn.execute("SELECT count(*) FROM service_gap").fetchone()
    assert row is not None and row[0] >= 1000


def test_closing_stops_every_server_and_removes_the_folder(tmp_path: Path) -> None:
    with replica_set(1, parent=tmp_path) as servers:
        nodes = [servers.primary, *servers.replicas]
        folder = servers.folder
        assert all(node.running() for node in nodes)
    assert not any(node.running() for node in nodes)
    assert not folder.exists()
