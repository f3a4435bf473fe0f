"""A PostgreSQL server as a child process of ours, from the binaries the lab already uses.

A child, not a `pg_ctl` daemon: it shares our process group, so a killed test, kernel or command takes
it along instead of leaking it. As root it runs as pgserver's `pgserver` user (postgres refuses root).
Private servers for fault injection and the replica sets both start their servers from here.
"""

from __future__ import annotations

import glob
import os
import signal
import subprocess
import time
import warnings
from pathlib import Path

import psycopg

from labkit.lab.errors import ServiceError
from labkit.lab.services.processes import stop_process

__all__ = ["STOP_SIGNALS", "PostgresNode", "find_binaries"]

STOP_SIGNALS = {"smart": signal.SIGTERM, "fast": signal.SIGINT, "immediate": signal.SIGQUIT}


def find_binaries() -> tuple[Path, str | None]:
    """The folder holding `initdb`, `postgres` and `pg_basebackup`, and the user to run them as.

    pgserver's wheel first (the embedded server's binaries), else the newest system PostgreSQL.
    As root the user is pgserver's `pgserver` (created if missing); otherwise None (ourselves).
    """
    folder: Path | None = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from pgserver._commands import POSTGRES_BIN_PATH  # type: ignore[import-untyped]
        folder = Path(POSTGRES_BIN_PATH)
    except ImportError:
        system = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
        folder = Path(system[-1]) if system else None
    if folder is None or not all((folder / name).exists() for name in ("initdb", "postgres", "pg_basebackup")):
        raise ServiceError("no PostgreSQL binaries (initdb, postgres, pg_basebackup): install the pgserver "
                           "wheel (pip install 'labkit[lab]') or the postgresql Debian package, "
                           "or give DATABASE_REPLICA_URLS")
    user = None
    if os.geteuid() == 0:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from pgserver.utils import ensure_prefix_permissions, ensure_user_exists  # type: ignore[import-untyped]
        user = "pgserver"
        ensure_user_exists(user)
        ensure_prefix_permissions(folder)
    return folder, user


class PostgresNode:
    """One PostgreSQL server the lab runs as a child process of its own: start, stop, run its programs."""

    server_options: tuple[str, ...] = ()  # -c name=value pairs each server of this kind starts with

    def __init__(self, name: str, folder: Path, port: int, binaries: Path, user: str | None) -> None:
        self.name = name
        self.folder = folder
        self.pgdata = folder / "data"
        self.port = port
        self._bin = binaries
        self._user = user
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def run(self, program: str, *args: str, timeout: float = 120.0) -> None:
        """Run one of the PostgreSQL programs as the server's user; a failure names it and the log."""
        try:
            subprocess.run([str(self._bin / program), *args], check=True, capture_output=True,
                           timeout=timeout, user=self._user)
        except subprocess.CalledProcessError as exc:
            detail = (exc.stderr or b"").decode(errors="replace").strip()[-800:]
            raise ServiceError(f"{self.name}: {program} failed: {detail}\n{self.log_tail()}") from None
        except subprocess.TimeoutExpired:
            raise ServiceError(f"{self.name}: {program} did not finish within {timeout:g} s") from None

    def log_tail(self, chars: int = 1500) -> str:
        """The end of the server's log."""
        log = self.folder / "postgres.log"
        return log.read_text(errors="replace")[-chars:] if log.is_file() else ""

    def start(self, timeout: float = 60.0) -> PostgresNode:
        """Start the postmaster as our child and wait until it accepts connections."""
        # TCP only (-k ""): a socket path under a deep folder may be too long. The cluster name is the
        # application_name a replica's WAL receiver shows in the primary's pg_stat_replication.
        args = [str(self._bin / "postgres"), "-D", str(self.pgdata), "-h", "127.0.0.1", "-p", str(self.port),
                "-k", "", "-c", f"cluster_name={self.name.replace(' ', '')}", *self.server_options]
        with open(self.folder / "postgres.log", "ab") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, user=self._user)
        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg.connect(self.url, autocommit=True, connect_timeout=1).close()
                return self
            except psycopg.Error:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop("immediate")
                    raise ServiceError(f"{self.name} did not start on 127.0.0.1:{self.port}:\n"
                                       f"{self.log_tail()}") from None
                time.sleep(0.05)  # polling for readiness, not waiting for time to pass

    def stop(self, mode: str = "fast", timeout: float = 30.0) -> None:
        """Stop the server: `fast` rolls back open transactions, `immediate` is a crash."""
        if self.process is not None:
            stop_process(self.process, timeout, STOP_SIGNALS[mode])

    def running(self) -> bool:
        """Whether the postmaster runs."""
        return self.process is not None and self.process.poll() is None

    def connect(self) -> psycopg.Connection[tuple[object, ...]]:
        """A new autocommit psycopg connection (the caller closes it)."""
        return psycopg.connect(self.url, autocommit=True, connect_timeout=5)
