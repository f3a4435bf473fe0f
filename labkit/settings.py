"""One frozen `Settings`, read from the environment and an optional `.env` file.

Names and defaults follow the seed document (pool of 20 + 40 overflow, Redis pool of 50,
slow queries over 100 ms). A bad value fails at once with the variable's name.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

from dotenv import dotenv_values

from labkit.errors import SettingsError
from labkit.secrets import mask_url

__all__ = ["Settings", "SETTING_SPECS", "SettingSpec", "POSTGRES_SCHEMES", "REDIS_SCHEMES", "REDIS_CLUSTER_SCHEMES",
           "project_root"]

POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg", "postgresql+asyncpg")
REDIS_SCHEMES = ("redis", "rediss", "unix")
REDIS_CLUSTER_SCHEMES = ("redis+cluster", "rediss+cluster")  # host:port[,host:port...] of any nodes
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def project_root(start: Path | None = None) -> Path:
    """The labkit checkout around `start` (default: the working directory), else `start` itself.

    Notebooks run with their own folder as working directory; resolving relative paths
    against the checkout lets every kernel find the same `data/`, `reports/` and `.env`.
    """
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and 'name = "labkit"' in candidate.read_text(errors="replace"):
            return folder
    return here


def _int(minimum: int) -> Callable[[str, str], int]:
    def parse(variable: str, raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise SettingsError(variable, raw, f"an integer >= {minimum}") from None
        if value < minimum:
            raise SettingsError(variable, raw, f"an integer >= {minimum}")
        return value

    return parse


def _float(minimum: float) -> Callable[[str, str], float]:
    def parse(variable: str, raw: str) -> float:
        try:
            value = float(raw.strip())
        except ValueError:
            raise SettingsError(variable, raw, f"a number >= {minimum}") from None
        if value < minimum or value != value:
            raise SettingsError(variable, raw, f"a number >= {minimum}")
        return value

    return parse


def _bool(variable: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise SettingsError(variable, raw, "one of " + ", ".join(sorted(_TRUE | _FALSE)))


def _port_ok(parts: SplitResult) -> bool:
    """Whether a URL's port, when it gives one, is a number from 1 to 65535."""
    try:
        return parts.port != 0
    except ValueError:  # not a number, or beyond 65535
        return False


def _url(schemes: tuple[str, ...]) -> Callable[[str, str], str | None]:
    def parse(variable: str, raw: str) -> str | None:
        value = raw.strip()
        if not value:
            return None
        parts = urlsplit(value)
        scheme = parts.scheme.lower()
        if scheme not in schemes:
            raise SettingsError(
                variable, mask_url(value), "a URL with scheme " + ", ".join(f"{s}://" for s in schemes)
            )
        # A cluster URL names several nodes, host:port,host:port: each port is checked.
        nodes = parts.netloc.rpartition("@")[2].split(",") if scheme in REDIS_CLUSTER_SCHEMES else [parts.netloc]
        if not all(_port_ok(urlsplit(f"//{node.strip()}")) for node in nodes):
            raise SettingsError(variable, mask_url(value), "a URL whose port is a number from 1 to 65535")
        return value

    return parse


def _urls(schemes: tuple[str, ...]) -> Callable[[str, str], tuple[str, ...]]:
    one = _url(schemes)

    def parse(variable: str, raw: str) -> tuple[str, ...]:
        return tuple(url for part in raw.split(",") if (url := one(variable, part)))

    return parse


def _text(variable: str, raw: str) -> str:
    value = raw.strip()
    if not value:
        raise SettingsError(variable, raw, "a non-empty string")
    return value


def _path(variable: str, raw: str) -> Path:
    return Path(_text(variable, raw))


@dataclass(frozen=True)
class SettingSpec:
    """One environment variable: the field it fills, its parser, default and meaning."""

    variable: str
    field: str
    parse: Callable[[str, str], Any]
    default: str
    doc: str


SETTING_SPECS: tuple[SettingSpec, ...] = (
    SettingSpec("DATABASE_URL", "database_url", _url(POSTGRES_SCHEMES), "",
                "PostgreSQL server to measure; empty starts an embedded PostgreSQL 16"),
    SettingSpec("DATABASE_REPLICA_URLS", "database_replica_urls", _urls(POSTGRES_SCHEMES), "",
                "streaming replicas of DATABASE_URL, comma-separated, for read routing; empty: none"),
    SettingSpec("SQLITE_PATH", "sqlite_path", _path, "data/labkit.sqlite3",
                "SQLite database file used by the SQLite backend"),
    SettingSpec("DATABASE_POOL_SIZE", "pool_size", _int(1), "20",
                "connections kept open by the QueuePool"),
    SettingSpec("DATABASE_MAX_OVERFLOW", "max_overflow", _int(0), "40",
                "extra connections the pool may open under load"),
    SettingSpec("DATABASE_POOL_TIMEOUT", "pool_timeout", _float(0), "10",
                "seconds to wait for a pooled connection before failing"),
    SettingSpec("DATABASE_POOL_RECYCLE", "pool_recycle", _int(-1), "1800",
                "seconds after which a pooled connection is replaced (-1: never)"),
    SettingSpec("DATABASE_POOL_PRE_PING", "pool_pre_ping", _bool, "true",
                "test each connection with a ping when it leaves the pool"),
    SettingSpec("DATABASE_CONNECT_TIMEOUT", "connect_timeout", _float(0.1), "3",
                "seconds to wait for a database server before reporting it unreachable"),
    SettingSpec("REDIS_URL", "redis_url", _url(REDIS_SCHEMES + REDIS_CLUSTER_SCHEMES), "",
                "Redis server to measure (redis+cluster://host:port,... for a Redis Cluster); "
                "empty starts an embedded Redis"),
    SettingSpec("REDIS_MAX_CONNECTIONS", "redis_max_connections", _int(1), "50",
                "size of the Redis connection pool"),
    SettingSpec("REDIS_SOCKET_TIMEOUT", "redis_socket_timeout", _float(0.001), "0.5",
                "seconds a Redis command may take before it counts as failed"),
    SettingSpec("REDIS_CONNECT_TIMEOUT", "redis_connect_timeout", _float(0.001), "0.5",
                "seconds to wait for a Redis connection"),
    SettingSpec("CACHE_DEFAULT_TTL", "cache_default_ttl", _int(1), "300",
                "seconds a cache entry lives when no TTL is given"),
    SettingSpec("CACHE_KEY_PREFIX", "cache_key_prefix", _text, "labkit",
                "namespace put before every cache key"),
    SettingSpec("SLOW_QUERY_MS", "slow_query_ms", _float(0), "100",
                "statements slower than this many milliseconds go to the slow-query log"),
    SettingSpec("LABKIT_DATA_DIR", "data_dir", _path, "data",
                "where generated data, results and embedded servers live"),
    SettingSpec("LABKIT_REPORTS_DIR", "reports_dir", _path, "reports",
                "where executed notebooks and HTML reports are written"),
    SettingSpec("LABKIT_LOG_DIR", "log_dir", _path, "logs",
                "where the slow-query log and other logs are written"),
)


@dataclass(frozen=True)
class Settings:
    """Every knob of the lab in one immutable value; build it with `Settings.from_env()`."""

    database_url: str | None = None
    database_replica_urls: tuple[str, ...] = ()
    sqlite_path: Path = Path("data/labkit.sqlite3")
    pool_size: int = 20
    max_overflow: int = 40
    pool_timeout: float = 10.0
    pool_recycle: int = 1800
    pool_pre_ping: bool = True
    connect_timeout: float = 3.0
    redis_url: str | None = None
    redis_max_connections: int = 50
    redis_socket_timeout: float = 0.5
    redis_connect_timeout: float = 0.5
    cache_default_ttl: int = 300
    cache_key_prefix: str = "labkit"
    slow_query_ms: float = 100.0
    data_dir: Path = Path("data")
    reports_dir: Path = Path("reports")
    log_dir: Path = Path("logs")

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        env_file: str | os.PathLike[str] | None = ".env",
        root: Path | None = None,
    ) -> Settings:
        """Read every setting from `environ` (default `os.environ`), falling back to `env_file`.

        Relative paths (the `.env` file, data, reports, logs, SQLite) are taken from `root`,
        by default the labkit checkout around the working directory.
        """
        root = root or project_root()
        values: dict[str, str] = {}
        if env_file is not None and not Path(env_file).is_absolute():
            env_file = root / env_file
        if env_file is not None and Path(env_file).is_file():
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        values.update(os.environ if environ is None else environ)
        kwargs = {}
        for spec in SETTING_SPECS:
            raw = values.get(spec.variable, spec.default)
            value = spec.parse(spec.variable, raw if raw != "" else spec.default)
            if isinstance(value, Path) and not value.is_absolute():
                value = root / value
            kwargs[spec.field] = value
        return cls(**kwargs)

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with some fields replaced (settings themselves never change)."""
        return replace(self, **changes)

    def describe(self) -> dict[str, Any]:
        """Every setting by variable name, URLs with passwords masked: safe to print or save."""
        by_field = {f.name: getattr(self, f.name) for f in fields(self)}
        out: dict[str, Any] = {}
        for spec in SETTING_SPECS:
            value = by_field[spec.field]
            if spec.variable.endswith("_URL"):
                value = mask_url(value) if value else None
            elif spec.variable.endswith("_URLS"):
                value = [mask_url(url) for url in value]
            elif isinstance(value, Path):
                value = str(value)
            out[spec.variable] = value
        return out

    def as_environ(self) -> dict[str, str]:
        """Every setting as the environment variable that would rebuild it (secrets included:
        for handing to a child process such as a notebook kernel, never for printing)."""
        out = {}
        for spec in SETTING_SPECS:
            value = getattr(self, spec.field)
            if value is None:
                out[spec.variable] = ""
            elif isinstance(value, bool):
                out[spec.variable] = "true" if value else "false"
            elif isinstance(value, tuple):
                out[spec.variable] = ",".join(value)
            else:
                out[spec.variable] = str(value)
        return out

    @property
    def results_dir(self) -> Path:
        """Where tidy result files of every experiment are saved."""
        return self.data_dir / "results"

    @property
    def services_dir(self) -> Path:
        """Where embedded PostgreSQL and Redis keep their data, sockets and state file."""
        return self.data_dir / "services"
