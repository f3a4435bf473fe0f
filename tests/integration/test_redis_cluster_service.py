"""The lab's Redis Cluster: real redis-server processes on loopback, 3 masters + 3 replicas."""

from __future__ import annotations

import socket
import subprocess
import sys

from labkit.lab.services.redis_cluster import SLOTS, LocalCluster, redis_cluster


def _answers(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _served_slots(cluster: LocalCluster) -> int:
    with cluster.nodes[0].client() as client:
        return sum(int(end) - int(start) + 1 for start, end, *_ in client.execute_command("CLUSTER SLOTS"))


def test_it_has_three_masters_each_with_one_replica_and_serves_every_slot(local_cluster) -> None:
    assert len(local_cluster.nodes) == 6
    assert len(local_cluster.masters()) == 3
    assert _served_slots(local_cluster) == SLOTS
    with local_cluster.client() as client:
        assert len(client.get_replicas()) == 3


def test_its_url_names_every_node_on_loopback(local_cluster) -> None:
    assert local_cluster.url == "redis+cluster://" + ",".join(
        f"127.0.0.1:{n.port}" for n in local_cluster.nodes)


def test_without_redis_cli_it_is_formed_with_cluster_commands_and_survives_a_dead_master() -> None:
    with redis_cluster(use_cli=False) as cluster:
        assert cluster.created_with == "redis-py"
        assert _served_slots(cluster) == SLOTS
        dead = cluster.master_of("k")
        with dead.client() as client:
            client.set("k", "v")
            assert client.execute_command("WAIT", 1, 5000) == 1  # the replica has it
        cluster.kill(dead)
        cluster.wait_healthy()
        assert cluster.master_of("k") is not dead
        assert len(cluster.masters()) == 3
        with cluster.client() as client:
            assert client.get("k") == b"v"


def test_every_node_is_stopped_and_its_folder_removed_on_the_way_out() -> None:
    with redis_cluster() as cluster:
        ports, folder = [n.port for n in cluster.nodes], cluster.folder
    assert not any(_answers(p) for p in ports)
    assert not folder.exists()


def test_a_process_that_exits_without_stopping_it_leaves_no_node_running() -> None:
    code = ("from labkit.lab.services.redis_cluster import start_cluster\n"
            "c = start_cluster()\nprint(','.join(str(n.port) for n in c.nodes))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    ports = [int(p) for p in done.stdout.strip().split(",")]
    assert len(ports) == 6 and not any(_answers(p) for p in ports)
