"""PgBouncer in front of a PostgreSQL server, on a free loopback port, for the lab's pooler measurements.

The binary is Debian's `pgbouncer` (`make pooler` installs it; CI does). Without it, `find_pgbouncer`
returns None and callers skip with that reason. PgBouncer runs as our child process with trust
authentication towards a server on 127.0.0.1; as root it runs as pgserver's `pgserver` user (it
refuses to run as root), like the lab's PostgreSQL servers.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from labkit.lab.errors import ServiceError
from labkit.lab.services.embedded import _free_port
from labkit.lab.services.processes import find_executable, stop_process

__all__ = ["PgBouncer", "POOL_MODES", "find_pgbouncer", "pgbouncer", "pgbouncer_version"]

POOL_MODES = ("session", "transaction", "statement")
_SEARCH = ("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer", "/usr/local/bin/pgbouncer")


def find_pgbouncer() -> str | None:
    """The pgbouncer binary on this machine, or None."""
    return find_executable("pgbouncer", _SEARCH)


def pgbouncer_version(binary: str | None = None) -> str | None:
    """`PgBouncer 1.18.0`, or None without a binary."""
    binary = binary or find_pgbouncer()
    if binary is None:
        return None
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout
    return out.splitlines()[0].strip() if out else None


class PgBouncer:
    """One PgBouncer process of ours: its URL for clients, its pool mode, its log."""

    def __init__(self, folder: Path, port: int, pool_mode: str, process: subprocess.Popen[bytes]) -> None:
        self.folder = folder
        self.port = port
        self.pool_mode = pool_mode
        self.process = process
        self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def url_for(self, database: str) -> str:
        """The URL of `database` through the pooler."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def log_tail(self, chars: int = 1500) -> str:
        """The end of PgBouncer's log."""
        log = self.folder / "pgbouncer.log"
        return log.read_text(errors="replace")[-chars:] if log.is_file() else ""

    def stop(self, timeout: float = 10.0) -> None:
        """Stop PgBouncer (SIGTERM, SIGKILL if it lingers) and wait for it."""
        stop_process(self.process, timeout)


def _user() -> str | None:
    if os.geteuid() != 0:
        return None
    from pgserver.utils import ensure_user_exists  # type: ignore[import-untyped]

    ensure_user_exists("pgserver")
    return "pgserver"


def _config(server_url: str, port: int, pool_mode: str, folder: Path, pool_size: int) -> str:
    target = urlsplit(server_url)
    host, server_port = target.hostname or "127.0.0.1", target.port or 5432
    user = target.username or "postgres"
    return "\n".join([
        "[databases]",
        f"* = host={host} port={server_port} user={user}",
        "[pgbouncer]",
        "listen_addr = 127.0.0.1",
        f"listen_port = {port}",
        "unix_socket_dir =",
        "auth_type = trust",
        f"auth_file = {folder / 'userlist.txt'}",
        f"pool_mode = {pool_mode}",
        "max_client_conn = 1000",
        f"default_pool_size = {pool_size}",
        "ignore_startup_parameters = extra_float_digits,options,statement_timeout",
        f"logfile = {folder / 'pgbouncer.log'}",
        "admin_users = postgres",
        "",
    ])


def start_pgbouncer(server_url: str, *, pool_mode: str = "transaction", pool_size: int = 20,
                    timeout: float = 15.0) -> PgBouncer:
    """Start PgBouncer in `pool_mode` in front of the server at `server_url` (trust auth, loopback)."""
    if pool_mode not in POOL_MODES:
        raise ServiceError(f"pool_mode={pool_mode!r} is not valid: expected one of {', '.join(POOL_MODES)}")
    binary = find_pgbouncer()
    if binary is None:
        raise ServiceError("pgbouncer is not installed: `make pooler` installs Debian's package")
    user = _user()
    folder = Path(tempfile.mkdtemp(prefix="labkit-pgbouncer-")).resolve()
    port = _free_port()
    (folder / "userlist.txt").write_text('"postgres" ""\n')
    (folder / "pgbouncer.ini").write_text(_config(server_url, port, pool_mode, folder, pool_size))
    if user is not None:
        for path in (folder, *folder.iterdir()):
            shutil.chown(path, user)
    process = subprocess.Popen([binary, str(folder / "pgbouncer.ini")], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, user=user)
    bouncer = PgBouncer(folder, port, pool_mode, process)
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return bouncer
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                tail = bouncer.log_tail()
                bouncer.stop()
                shutil.rmtree(folder, ignore_errors=True)
                raise ServiceError(f"pgbouncer did not start on 127.0.0.1:{port}:\n{tail}") from None
            time.sleep(0.02)  # polling for readiness, not waiting for time to pass


@contextmanager
def pgbouncer(server_url: str, *, pool_mode: str = "transaction", pool_size: int = 20) -> Iterator[PgBouncer]:
    """PgBouncer in front of `server_url` for the block; stopped and its folder removed after it."""
    bouncer = start_pgbouncer(server_url, pool_mode=pool_mode, pool_size=pool_size)
    try:
        yield bouncer
    finally:
        bouncer.stop()
        shutil.rmtree(bouncer.folder, ignore_errors=True)
