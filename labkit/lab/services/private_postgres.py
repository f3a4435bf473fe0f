"""A throwaway PostgreSQL of our own, for experiments that stop, restart or lock a server.

Fault injection must never touch a server someone else uses (the shared one, or one given by URL).
This runs the lab's PostgreSQL binaries on a fresh data folder and a free 127.0.0.1 port, with
trust authentication (or a password), and removes everything after.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from labkit.lab.services.embedded import _free_port
from labkit.lab.services.postgres_node import PostgresNode, find_binaries

__all__ = ["PrivatePostgres", "private_postgres"]


class PrivatePostgres(PostgresNode):
    """A PostgreSQL server this process initialised and owns: stop, start, kill or lock it freely."""

    server_options = ("-c", "fsync=off", "-c", "max_connections=200")

    def __init__(self, folder: Path, port: int, binaries: Path, user: str | None, password: str | None = None) -> None:
        super().__init__("private PostgreSQL", folder, port, binaries, user)
        self.password = password
        if password:
            self.url = f"postgresql://postgres:{password}@127.0.0.1:{port}/postgres"

    def init(self) -> PrivatePostgres:
        """initdb (a second or two): trust authentication, or scram-sha-256 when there is a password."""
        auth = ["--auth=trust"]
        if self.password:
            pwfile = self.folder / "pwfile"
            pwfile.write_text(self.password + "\n")
            if self._user is not None:
                shutil.chown(pwfile, self._user)
            auth = ["--auth=scram-sha-256", f"--pwfile={pwfile}"]
        self.run("initdb", "-D", str(self.pgdata), *auth, "--encoding=utf8", "-U", "postgres", "--no-sync")
        return self

    def restart(self, mode: str = "fast") -> None:
        """Stop, then start again on the same port and data."""
        self.stop(mode)
        self.start()

    def pid(self) -> int | None:
        """The postmaster's process id, or None when it is not running."""
        return self.process.pid if self.process is not None and self.running() else None

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
    binaries, user = find_binaries()
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
