"""A real primary and N streaming replicas on loopback, for measuring read routing and lag.

The primary is initialised with `initdb` from the PostgreSQL binaries the lab already uses
(pgserver's wheel, else the system's `/usr/lib/postgresql/*/bin`); each replica is a
`pg_basebackup -R` copy of it (which writes `primary_conninfo` and `standby.signal`) started on a
port of its own. Every server is a child process of ours (not a `pg_ctl` daemon), so a killed
test or kernel takes them along; as root they run as pgserver's `pgserver` user, since postgres
refuses to run as root. `ReplicaSet.close()` stops them and removes their folders.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from labkit.lab.errors import ServiceError
from labkit.lab.services.embedded import _free_port
from labkit.lab.services.postgres_node import PostgresNode, find_binaries
from labkit.settings import Settings

__all__ = ["PostgresNode", "ReplicaSet", "find_binaries", "replica_set", "replica_urls"]  # node: re-exported

_SERVER_OPTIONS = ("-c", "fsync=off", "-c", "max_connections=100", "-c", "wal_level=replica",
                   "-c", "max_wal_senders=10", "-c", "hot_standby=on", "-c", "hot_standby_feedback=on",
                   "-c", "shared_buffers=32MB")


class _ReplicationNode(PostgresNode):
    """A primary or a standby: WAL for streaming, hot standby reads."""

    server_options = _SERVER_OPTIONS


class ReplicaSet:
    """A primary and its streaming replicas: URLs for the router, and stop/start for failure tests."""

    def __init__(self, folder: Path, primary: PostgresNode, replicas: list[PostgresNode]) -> None:
        self.folder = folder
        self.primary = primary
        self.replicas = replicas

    @property
    def primary_url(self) -> str:
        """The primary's URL (database `postgres`, trust authentication on 127.0.0.1)."""
        return self.primary.url

    @property
    def replica_urls(self) -> list[str]:
        """The replicas' URLs, in order."""
        return [node.url for node in self.replicas]

    def lag_bytes(self) -> list[int | None]:
        """How far each replica's replay is behind the primary's WAL, in bytes (None: replica down)."""
        with self.primary.connect() as conn:
            row = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()
        head = str(row[0]) if row else "0/0"
        out: list[int | None] = []
        for node in self.replicas:
            try:
                with node.connect() as conn:
                    got = conn.execute("SELECT pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn())::bigint",
                                       (head,)).fetchone()
                out.append(max(0, int(str(got[0]))) if got and got[0] is not None else None)
            except psycopg.Error:
                out.append(None)
        return out

    def wait_caught_up(self, timeout: float = 30.0, *, only: list[int] | None = None) -> None:
        """Return once every running replica (or those indexed by `only`) has replayed the primary's WAL."""
        deadline = time.monotonic() + timeout
        chosen = set(range(len(self.replicas)) if only is None else only)
        while True:
            lags = [lag for index, (node, lag) in enumerate(zip(self.replicas, self.lag_bytes()))
                    if node.running() and index in chosen]
            if all(lag == 0 for lag in lags):
                return
            if time.monotonic() > deadline:
                raise ServiceError(f"replicas did not catch up within {timeout:g} s (lag in bytes: {lags})")
            time.sleep(0.02)  # polling for replay, not waiting for time to pass

    def close(self) -> None:
        """Stop every server at once and remove the folder."""
        try:
            for node in [*self.replicas, self.primary]:
                node.stop("immediate")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def _make_folder(parent: Path | None, user: str | None) -> Path:
    if parent is not None:
        parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="labkit-replicas-", dir=parent)).resolve()
    if user is not None:
        import pwd

        from pgserver.utils import ensure_prefix_permissions

        entry = pwd.getpwnam(user)
        ensure_prefix_permissions(folder)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    return folder


def _subfolder(folder: Path, name: str, user: str | None) -> Path:
    path = folder / name
    path.mkdir()
    if user is not None:
        shutil.chown(path, user)
    return path


def start_replica_set(replicas: int = 2, *, parent: Path | None = None) -> ReplicaSet:
    """Initialise and start a primary and `replicas` streaming replicas on free loopback ports."""
    if replicas < 0:
        raise ServiceError(f"replicas={replicas} is not valid: expected an integer >= 0")
    binaries, user = find_binaries()
    folder = _make_folder(parent, user)
    primary = _ReplicationNode("primary", _subfolder(folder, "primary", user), _free_port(), binaries, user)
    standby: list[PostgresNode] = []
    try:
        primary.run("initdb", "-D", str(primary.pgdata), "--auth=trust", "--encoding=utf8", "-U", "postgres",
                    "--no-sync")
        primary.start()
        for index in range(1, replicas + 1):
            node = _ReplicationNode(f"replica {index}", _subfolder(folder, f"replica{index}", user), _free_port(),
                                binaries, user)
            node.run("pg_basebackup", "-D", str(node.pgdata), "-h", "127.0.0.1", "-p", str(primary.port),
                     "-U", "postgres", "-R", "-X", "stream", "-c", "fast", "--no-sync")
            standby.append(node)
            node.start()
    except BaseException:
        ReplicaSet(folder, primary, standby).close()
        raise
    return ReplicaSet(folder, primary, standby)


@contextmanager
def replica_set(replicas: int = 2, *, parent: Path | None = None) -> Iterator[ReplicaSet]:
    """A primary and `replicas` streaming replicas for the block; stopped and removed after it."""
    servers = start_replica_set(replicas, parent=parent)
    try:
        yield servers
    finally:
        servers.close()


def replica_urls(settings: Settings) -> list[str]:
    """The replicas the user gave (`DATABASE_REPLICA_URLS`), in order; empty when none."""
    return list(settings.database_replica_urls)
