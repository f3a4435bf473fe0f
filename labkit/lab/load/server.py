"""The demo service in a subprocess on 127.0.0.1: started, polled until ready (bounded), stopped."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from labkit.lab.app.config import AppConfig
from labkit.lab.errors import ServiceError
from labkit.secrets import mask_text, url_secrets

__all__ = ["ServiceProcess", "free_port"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServiceProcess:
    """`python -m labkit.lab.app` in `config.mode`, on a free loopback port; a context manager."""

    def __init__(self, config: AppConfig, *, port: int | None = None, ready_timeout: float = 90.0) -> None:
        self.config = config
        self.port = port or free_port()
        self.ready_timeout = ready_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self._log = tempfile.NamedTemporaryFile(prefix=f"labkit-app-{config.mode}-", suffix=".log", delete=False)
        self.started_at = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        if self.process is None:
            raise ServiceError("the service is not running")
        return self.process.pid

    def start(self) -> ServiceProcess:
        """Spawn the server; returns at once (see `wait_ready`)."""
        env = {**os.environ, **self.config.as_environ(), "PYTHONUNBUFFERED": "1"}
        command = [sys.executable, "-m", "labkit.lab.app", "--host", "127.0.0.1", "--port", str(self.port),
                   "--mode", self.config.mode]
        self.process = subprocess.Popen(command, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        self.started_at = time.monotonic()
        return self

    def wait_ready(self) -> ServiceProcess:
        """Poll /api/v1/health until it answers 200, the process dies, or `ready_timeout` passes."""
        deadline = self.started_at + self.ready_timeout
        with httpx.Client(timeout=2.0) as client:
            while True:
                if self.process is None or self.process.poll() is not None:
                    raise ServiceError(f"the {self.config.mode} service exited during start:\n{self.log_tail()}")
                try:
                    if client.get(f"{self.url}/api/v1/health").status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    self.stop()
                    raise ServiceError(f"the {self.config.mode} service did not answer within "
                                       f"{self.ready_timeout:g} s:\n{self.log_tail()}")
                time.sleep(0.05)  # polling interval, not waiting for time to pass

    def metrics(self) -> dict[str, Any]:
        """The service's /api/v1/metrics JSON."""
        return dict(httpx.get(f"{self.url}/api/v1/metrics", timeout=10.0).json())

    def log_tail(self, lines: int = 30) -> str:
        """The end of the server's output, passwords masked."""
        self._log.flush()
        text = Path(self._log.name).read_text(errors="replace").splitlines()[-lines:]
        secrets = url_secrets(self.config.settings.database_url) + url_secrets(self.config.settings.redis_url)
        return mask_text("\n".join(text), secrets)

    def interrupt(self) -> None:
        """Ask the server to shut down (SIGINT) without waiting: stop several at once, then `stop` each."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGINT (uvicorn shuts down cleanly), then SIGKILL if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        self.interrupt()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)

    def __enter__(self) -> ServiceProcess:
        return self.start().wait_ready()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
        self._log.close()
        Path(self._log.name).unlink(missing_ok=True)
