"""nginx as a caching reverse proxy in front of the demo service, from the config the lab ships.

`caching_proxy(upstream)` writes `nginx.conf` (beside this module) into a temporary folder, runs
`nginx -c <conf> -p <folder>` in the foreground on a free 127.0.0.1 port, waits until it listens,
and stops it and removes the folder on the way out. nginx is a system package (Debian's `nginx`;
`make nginx` installs it): where it is missing, `nginx_missing()` says so, for a test or an
experiment to skip with that reason.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path
from urllib.parse import urlsplit

from labkit.lab.errors import ParameterError, ServiceError
from labkit.lab.services.embedded import _free_port
from labkit.lab.services.processes import find_executable, stop_process

__all__ = ["NGINX_PACKAGE", "CachingProxy", "caching_proxy", "nginx_binary", "nginx_missing", "proxy_config"]

NGINX_PACKAGE = "nginx"  # the Debian package; `make nginx` installs it
_SBIN = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")


def nginx_binary() -> str | None:
    """The nginx executable: on PATH, else where Debian and source builds put it (sbin is not always on PATH)."""
    return find_executable("nginx", _SBIN)


def nginx_missing() -> str | None:
    """None when nginx can run here; else why not, naming the package that provides it."""
    if nginx_binary() is None:
        return (f"nginx is not installed: the caching proxy needs Debian's `{NGINX_PACKAGE}` package "
                f"(`make nginx`, or `apt-get install {NGINX_PACKAGE}`)")
    return None


def _host_port(upstream: str) -> str:
    """`127.0.0.1:8003` from `http://127.0.0.1:8003` or `127.0.0.1:8003`."""
    parts = urlsplit(upstream if "://" in upstream else f"http://{upstream}")
    if parts.scheme != "http" or not parts.hostname or parts.port is None or parts.path not in ("", "/"):
        raise ParameterError(f"upstream={upstream!r} is not valid: expected http://host:port or host:port")
    return f"{parts.hostname}:{parts.port}"


def proxy_config(folder: Path, port: int, upstream: str, max_age: int) -> str:
    """The shipped nginx.conf with its @names@ filled in: every path under `folder`.

    Its `user` is whoever runs it, so that nginx's workers can write the cache in `folder` (as root they
    would otherwise drop to `nobody`; for anyone else nginx ignores the directive).
    """
    if not 0 <= max_age <= 86400:
        raise ParameterError(f"max_age={max_age!r} is not valid: expected whole seconds from 0 to 86400")
    text = files("labkit.lab.services").joinpath("nginx.conf").read_text()
    values = {"folder": str(folder), "port": str(port), "upstream": _host_port(upstream),
              "max_age": str(max_age), "user": pwd.getpwuid(os.getuid()).pw_name}
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    return text


class CachingProxy:
    """A running nginx this process started: its URL, folder (config, logs, cache) and process."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, folder: Path) -> None:
        self.process = process
        self.port = port
        self.folder = folder

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def error_log(self, chars: int = 2000) -> str:
        """The end of nginx's error log (no secrets: it logs no headers or bodies)."""
        log = self.folder / "error.log"
        return log.read_text(errors="replace")[-chars:].strip() if log.is_file() else ""

    def stop(self, timeout: float = 10.0) -> None:
        """SIGQUIT (nginx finishes open requests), SIGKILL if it lingers; then remove the folder."""
        stop_process(self.process, timeout, signal.SIGQUIT)
        shutil.rmtree(self.folder, ignore_errors=True)


class _PortTaken(ServiceError):
    """Another process bound the free port first: try another."""


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _start(binary: str, upstream: str, max_age: int, timeout: float) -> CachingProxy:
    folder = Path(tempfile.mkdtemp(prefix="labkit-nginx-"))
    port = _free_port()
    conf = folder / "nginx.conf"
    conf.write_text(proxy_config(folder, port, upstream, max_age))
    command = [binary, "-c", str(conf), "-p", str(folder), "-e", str(folder / "error.log")]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proxy = CachingProxy(process, port, folder)
    deadline = time.monotonic() + timeout
    while not _listening(port):
        if process.poll() is not None or time.monotonic() > deadline:
            tail = proxy.error_log()
            proxy.stop()
            error = _PortTaken if "Address already in use" in tail else ServiceError
            raise error(f"nginx did not start on 127.0.0.1:{port}: {tail or 'no error logged'}")
        time.sleep(0.02)  # polling interval, not waiting for time to pass
    return proxy


@contextmanager
def caching_proxy(upstream: str, *, max_age: int = 10, timeout: float = 10.0) -> Iterator[CachingProxy]:
    """nginx caching `upstream` (`http://127.0.0.1:8003`) on a free loopback port; stopped on the way out.

    `max_age` only matters for a 200 without `Cache-Control` (the demo service always sends one).
    Raises `ServiceError` when nginx is missing (see `nginx_missing`) or does not start.
    """
    binary = nginx_binary()
    if binary is None:
        raise ServiceError(str(nginx_missing()))
    attempts = 3  # a free port may be taken between choosing it and binding it
    for attempt in range(attempts):
        try:
            proxy = _start(binary, upstream, max_age, timeout)
            break
        except _PortTaken:
            if attempt == attempts - 1:
                raise
    try:
        yield proxy
    finally:
        proxy.stop()
