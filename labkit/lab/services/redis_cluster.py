"""A real Redis Cluster on loopback: 3 masters and 3 replicas of the lab's own redis-server binary.

Each node is a redis-server process (cluster mode, no persistence) on a free 127.0.0.1 port
whose bus port (+10000) is free too. The cluster is formed by `redis-cli --cluster create` when a
redis-cli is found (beside the binary, then on PATH), else by CLUSTER ADDSLOTS / MEET / REPLICATE
sent with redis-py. `redis_cluster()` yields it ready (every slot served, replicas in sync) and
stops every node on the way out; `kill()` ends a master abruptly to watch a failover.
"""

from __future__ import annotations

import atexit
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from labkit.lab.errors import ServiceError
from labkit.lab.services.embedded import _free_port, _redis_answers, _redis_binary
from labkit.lab.services.processes import stop_process

__all__ = ["ClusterNode", "LocalCluster", "redis_cluster", "redis_cli_binary", "SLOTS"]

SLOTS = 16384
_BUS_OFFSET = 10000


def redis_cli_binary() -> str | None:
    """The redis-cli beside the lab's redis-server, else one on PATH; None if there is none."""
    beside = Path(_redis_binary()).with_name("redis-cli")
    if beside.is_file():
        return str(beside)
    return shutil.which("redis-cli")


class ClusterNode:
    """One redis-server process of the cluster."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, folder: Path) -> None:
        self.process = process
        self.port = port
        self.folder = folder
        self.address = f"127.0.0.1:{port}"

    def client(self, timeout: float = 5.0) -> redis.Redis:
        """A plain redis-py client on this node alone (the caller closes it)."""
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=timeout,
                           socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0))

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def role(self) -> str:
        """`master` or `slave`, as the node itself says."""
        with self.client() as client:
            return str(client.info("replication")["role"])

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers."""
        stop_process(self.process, timeout=5)

    def __repr__(self) -> str:
        return f"ClusterNode({self.address}, alive={self.alive})"


class LocalCluster:
    """A Redis Cluster this process started and owns; `url` is what `Cache.from_url` takes."""

    def __init__(self, nodes: list[ClusterNode], folder: Path, node_timeout_ms: int) -> None:
        self.nodes = nodes
        self.folder = folder
        self.node_timeout_ms = node_timeout_ms
        self.created_with = ""

    @property
    def url(self) -> str:
        """`redis+cluster://host:port,host:port,...` naming every node as a startup node."""
        return "redis+cluster://" + ",".join(n.address for n in self.nodes)

    def client(self) -> redis.RedisCluster:
        """A plain redis-py cluster client (the caller closes it)."""
        first = self.alive_nodes()[0]
        return redis.RedisCluster(host="127.0.0.1", port=first.port, socket_timeout=5)

    def alive_nodes(self) -> list[ClusterNode]:
        return [n for n in self.nodes if n.alive]

    def masters(self) -> list[ClusterNode]:
        """The live nodes that are masters now (after a failover, a promoted replica is one)."""
        return [n for n in self.alive_nodes() if n.role() == "master"]

    def master_of(self, key: str) -> ClusterNode:
        """The live node serving `key`'s slot now."""
        with self.alive_nodes()[0].client() as client:
            slot = int(client.execute_command("CLUSTER KEYSLOT", key))
            for start, end, master, *_ in client.execute_command("CLUSTER SLOTS"):
                if int(start) <= slot <= int(end):
                    port = int(master[1])
                    return next(n for n in self.nodes if n.port == port)
        raise ServiceError(f"no node serves slot {slot} of key {key!r}")

    def kill(self, node: ClusterNode) -> None:
        """End a node at once (SIGKILL), as a crash would: no goodbye to its peers."""
        node.process.kill()
        node.process.wait(timeout=5)

    def wait_healthy(self, timeout: float = 30.0) -> None:
        """Wait until every live node reports every slot served by a live master."""
        deadline = time.monotonic() + timeout
        while not self.healthy():
            if time.monotonic() > deadline:
                raise ServiceError(f"Redis Cluster in {self.folder} not healthy after {timeout:.0f} s")
            time.sleep(0.05)

    def wait_replicated(self, timeout: float = 30.0) -> None:
        """Wait until every live replica has every write its master had when this was called."""
        targets: dict[int, int] = {}
        for node in self.alive_nodes():
            with node.client() as client:
                info = client.info("replication")
            if info["role"] == "master":
                targets[node.port] = int(info["master_repl_offset"])
        deadline = time.monotonic() + timeout
        for node in self.alive_nodes():
            while True:
                with node.client() as client:
                    info = client.info("replication")
                if info["role"] != "slave" or int(info.get("slave_repl_offset", -1)) >= targets.get(
                        int(info["master_port"]), 0):
                    break
                if time.monotonic() > deadline:
                    raise ServiceError(f"replica {node.address} still behind its master after {timeout:.0f} s")
                time.sleep(0.01)

    def healthy(self) -> bool:
        """Whether every live node reports every slot served by a live master, replicas linked."""
        live = {n.port for n in self.alive_nodes()}
        try:
            for node in self.alive_nodes():
                with node.client(timeout=1.0) as client:
                    if client.cluster("info")["cluster_state"] != "ok":
                        return False
                    served = 0
                    for start, end, master, *_ in client.execute_command("CLUSTER SLOTS"):
                        if int(master[1]) not in live:
                            return False
                        served += int(end) - int(start) + 1
                    if served != SLOTS:
                        return False
                    info = client.info("replication")
                    if info["role"] == "slave" and info.get("master_link_status") != "up":
                        return False
        except redis.RedisError:
            return False
        return True

    def stop(self) -> None:
        """Stop every node and remove the cluster's folder (again: nothing happens)."""
        for node in self.nodes:
            node.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
        atexit.unregister(self.stop)

    def __repr__(self) -> str:
        return f"LocalCluster({', '.join(n.address for n in self.nodes)})"


def _cluster_port() -> int:
    """A free loopback port whose cluster bus port is free as well."""
    for _ in range(50):
        port = _free_port()
        if port + _BUS_OFFSET > 65535:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port + _BUS_OFFSET))
            except OSError:
                continue
        return port
    raise ServiceError("no free loopback port with a free cluster bus port (+10000)")


def _start_node(folder: Path, node_timeout_ms: int, timeout: float) -> ClusterNode:
    port = _cluster_port()
    home = folder / str(port)
    home.mkdir(parents=True)
    args = [_redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--protected-mode", "yes", "--dir", str(home),
            "--logfile", str(home / "redis.log"), "--cluster-enabled", "yes",
            "--cluster-config-file", str(home / "nodes.conf"),
            "--cluster-node-timeout", str(node_timeout_ms),
            "--cluster-replica-validity-factor", "0"]  # a replica may always take over
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    node = ClusterNode(process, port, home)
    if _redis_answers(process, port, timeout):
        return node
    log = home / "redis.log"
    tail = log.read_text()[-1000:].strip() if log.is_file() else ""
    node.stop()
    raise ServiceError(f"cluster node did not start on 127.0.0.1:{port}: {tail}")


def _create_with_cli(cli: str, nodes: list[ClusterNode], replicas: int) -> None:
    args = [cli, "--cluster", "create", *(n.address for n in nodes),
            "--cluster-replicas", str(replicas), "--cluster-yes"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise ServiceError(f"redis-cli --cluster create failed: {done.stdout[-800:]}{done.stderr[-800:]}")


def _create_with_commands(nodes: list[ClusterNode], masters: int) -> None:
    """Slots split evenly over the first `masters` nodes; each other node replicates one of them."""
    heads, tails = nodes[:masters], nodes[masters:]
    clients = [n.client() for n in nodes]
    try:
        for i, client in enumerate(clients[:masters]):
            start, end = SLOTS * i // masters, SLOTS * (i + 1) // masters - 1
            client.execute_command("CLUSTER ADDSLOTS", *range(start, end + 1))
        for client in clients[1:]:
            client.execute_command("CLUSTER MEET", "127.0.0.1", nodes[0].port)
        ids = [bytes(c.execute_command("CLUSTER MYID")).decode() for c in clients[:masters]]
        deadline = time.monotonic() + 30
        for j, client in enumerate(clients[masters:]):
            while True:  # a node can only replicate a master it has heard of
                try:
                    client.execute_command("CLUSTER REPLICATE", ids[j % masters])
                    break
                except redis.ResponseError:
                    if time.monotonic() > deadline:
                        raise ServiceError(f"{tails[j].address} never learnt of "
                                           f"{heads[j % masters].address}") from None
                    time.sleep(0.05)
    finally:
        for client in clients:
            client.close()


def start_cluster(masters: int = 3, replicas: int = 1, *, node_timeout_ms: int = 1000,
                  use_cli: bool | None = None, timeout: float = 60.0) -> LocalCluster:
    """Start `masters * (1 + replicas)` nodes and form a cluster; the caller must `stop()` it.

    `use_cli`: None picks redis-cli when one is found, False forces the redis-py commands.
    """
    if masters < 3:
        raise ServiceError(f"a Redis Cluster needs at least 3 masters, got {masters}")
    folder = Path(tempfile.mkdtemp(prefix="labkit-redis-cluster-"))
    cluster = LocalCluster([], folder, node_timeout_ms)
    atexit.register(cluster.stop)  # a notebook kernel that ends without stopping it leaves no server behind
    try:
        for _ in range(masters * (1 + replicas)):
            cluster.nodes.append(_start_node(folder, node_timeout_ms, timeout=10))
        cli = redis_cli_binary() if use_cli is not False else None
        if cli:
            _create_with_cli(cli, cluster.nodes, replicas)
            cluster.created_with = "redis-cli"
        else:
            _create_with_commands(cluster.nodes, masters)
            cluster.created_with = "redis-py"
        cluster.wait_healthy(timeout)
        _wait_replicas(cluster, masters * replicas, timeout)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _wait_replicas(cluster: LocalCluster, expected: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        synced = 0
        for node in cluster.nodes:
            with node.client() as client:
                info = client.info("replication")
            if info["role"] == "slave" and info.get("master_link_status") == "up":
                synced += 1
        if synced >= expected:
            return
        if time.monotonic() > deadline:
            raise ServiceError(f"only {synced} of {expected} replicas in sync after {timeout:.0f} s")
        time.sleep(0.05)


@contextmanager
def redis_cluster(masters: int = 3, replicas: int = 1, *, node_timeout_ms: int = 1000,
                  use_cli: bool | None = None) -> Iterator[LocalCluster]:
    """A local Redis Cluster (3 masters + 3 replicas by default), stopped on the way out."""
    cluster = start_cluster(masters, replicas, node_timeout_ms=node_timeout_ms, use_cli=use_cli)
    try:
        yield cluster
    finally:
        cluster.stop()
