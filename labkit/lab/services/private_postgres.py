"""A throwaway PostgreSQL of our own, for experiments that stop, restart or lock a server.

Fault injection must never touch a server someone else uses (the shared one, or one given by URL).
This runs pgserver's PostgreSQL binaries on a fresh data folder and a free 127.0.0.1 port, with
trust authentication, and removes everything after. As root it runs as pgserver's `pgserver` user.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from labkit.lab.errors import ServiceError
from labkit.lab.services.embedded import _free_port

__all__ = ["PrivatePostgres", "private_postgres"]

_STOP_SIGNALS = {"smart": signal.SIGTERM, "fast": signal.SIGINT, "immediate": signal.SIGQUIT}


def _pgserver() -> tuple[Path, str | None]:
    """The folder of pgserver's binaries and the system user to run them as (None: ourselves)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver._commands import POSTGRES_BIN_PATH  # type: ignore[import-untyped]

    user = None
    if os.geteuid() == 0:  # postgres refuses to run as root
        from pgserver.utils import ensure_user_exists  # type: ignore[import-untyped]

        user = "pgserver"
        ensure_user_exists(user)
    return Path(POSTGRES_BIN_PATH), user


class PrivatePostgres:
    """A PostgreSQL server this process initialised and owns: stop, start, kill or lock it freely."""

    def __init__(self, folder: Path, port: int, binaries: Path, user: str | None, password: str | None = None) -> None:
        self.folder = folder
        self.pgdata = folder / "data"
        self.port = port
        self._bin = binaries
        self._user = user
        self.password = password
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"postgresql://postgres{':' + password if password else ''}@127.0.0.1:{port}/postgres"

    def _run(self, program: str, *args: str, timeout: float = 60.0) -> None:
        command = [str(self._bin / program), *args]
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=timeout, user=self._user)
        except subprocess.CalledProcessError as exc:
            detail = (exc.stderr or b"").decode(errors="replace").strip()[-800:]
            raise ServiceError(f"private PostgreSQL: {program} {' '.join(args[:3])} failed: {detail}\n"
                               f"{self.log_tail()}") from None
        except subprocess.TimeoutExpired:
            raise ServiceError(f"private PostgreSQL: {program} did not finish within {timeout:g} s\n"
                               f"{self.log_tail()}") from None

    def log_tail(self, chars: int = 1500) -> str:
        """The end of the server's log."""
        log = self.folder / "postgres.log"
        return log.read_text(errors="replace")[-chars:] if log.is_file() else ""

    def init(self) -> PrivatePostgres:
        """initdb (a second or two): trust authentication, or scram-sha-256 when there is a password."""
        auth = ["--auth=trust"]
        if self.password:
            pwfile = self.folder / "pwfile"
            pwfile.write_text(self.password + "\n")
            if self._user is not None:
                shutil.chown(pwfile, self._user)
            auth = ["--auth=scram-sha-256", f"--pwfile={pwfile}"]
        self._run("initdb", "-D", str(self.pgdata), *auth, "--encoding=utf8", "-U", "postgres", "--no-sync")
        return self

    def start(self, timeout: float = 30.0) -> PrivatePostgres:
        """Start the postmaster as our child and wait until it accepts connections.

        A child, not a daemon (`pg_ctl start` would detach it): it shares our process group, so a
        kernel or command killed with its group takes the server along instead of leaking it.
        """
        args = [str(self._bin / "postgres"), "-D", str(self.pgdata), "-h", "127.0.0.1", "-p", str(self.port),
                "-k", str(self.folder), "-c", "fsync=off", "-c", "max_connections=200"]
        log = open(self.folder / "postgres.log", "ab")  # the child keeps its own handle
        try:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, user=self._user)
        finally:
            log.close()
        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg.connect(self.url, autocommit=True, connect_timeout=1).close()
                return self
            except psycopg.Error:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise ServiceError(f"private PostgreSQL did not start on 127.0.0.1:{self.port}:\n"
                                       f"{self.log_tail()}") from None
                time.sleep(0.05)  # polling for readiness, not waiting for time to pass

    def stop(self, mode: str = "fast", timeout: float = 30.0) -> None:
        """Stop the server: `smart` waits for clients, `fast` rolls back open transactions, `immediate` is a crash."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(_STOP_SIGNALS[mode])
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)

    def restart(self, mode: str = "fast") -> None:
        """Stop, then start again on the same port and data."""
        self.stop(mode)
        self.start()

    def pid(self) -> int | None:
        """The postmaster's process id, or None when it is not running."""
        return None if self.process is None or self.process.poll() is not None else self.process.pid

    def running(self) -> bool:
        """Whether the postmaster runs."""
        return self.pid() is not None

    def connect(self) -> psycopg.Connection:
        """A new autocommit psycopg connection (the caller closes it)."""
        return psycopg.connect(self.url, autocommit=True, connect_timeout=5)

    def close(self) -> None:
        """Stop the server at once and remove its folder."""
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def private_postgres(password: str | None = None) -> Iterator[PrivatePostgres]:
    """Initialise and start a private PostgreSQL on a free port (checking `password` if given); stop and remove it
    on the way out."""
    binaries, user = _pgserver()
    folder = Path(tempfile.mkdtemp(prefix="labkit-private-pg-"))
    if user is not None:
        import pwd

        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    server = PrivatePostgres(folder, _free_port(), binaries, user, password)
    try:
        server.init().start()
        yield server
    finally:
        server.close()
