"""Sync and async engines for PostgreSQL and SQLite, in an optimized and a baseline profile.

Nothing connects here until the engine is used. A server that does not answer surfaces as
`DatabaseUnreachable` naming host and port, with the password masked.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import Dialect, Engine, create_engine, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.engine.url import URL
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from labkit.db.pools import TimedAsyncQueuePool, TimedNullPool, TimedQueuePool
from labkit.db.sqlite import tune_sqlite, use_explicit_begin
from labkit.errors import DatabaseArgumentError, DatabaseUnreachable, SettingsError
from labkit.secrets import mask_text, mask_url, url_secrets
from labkit.settings import Settings

__all__ = ["EngineProfile", "Backend", "database_url", "make_engine", "make_async_engine"]

EngineProfile = Literal["optimized", "baseline"]
Backend = Literal["postgresql", "sqlite"]
_PROFILES = ("optimized", "baseline")


def database_url(
    settings: Settings | None = None,
    *,
    url: str | None = None,
    backend: Backend | None = None,
    asyncio: bool = False,
) -> URL:
    """The SQLAlchemy URL with the right driver: psycopg/asyncpg for PostgreSQL, aiosqlite async.

    `url` wins; otherwise `backend` picks `settings.database_url` or `settings.sqlite_path`.
    """
    if url is None:
        settings = settings or Settings.from_env()
        if backend == "sqlite":
            url = f"sqlite:///{Path(settings.sqlite_path)}"
        elif settings.database_url is None:
            raise SettingsError(
                "DATABASE_URL", "", "a PostgreSQL URL (or pass url= or backend=\"sqlite\")"
            )
        else:
            url = settings.database_url
    parsed = make_url(url)
    family = parsed.get_backend_name()
    if family in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg" if asyncio else "postgresql+psycopg")
    if family == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite" if asyncio else "sqlite+pysqlite")
    return parsed


def make_engine(
    settings: Settings | None = None,
    *,
    url: str | None = None,
    backend: Backend | None = None,
    profile: EngineProfile = "optimized",
    **engine_kw: Any,
) -> Engine:
    """A sync engine (psycopg or sqlite3) with the profile's pool and tuning."""
    settings = settings or Settings.from_env()
    target = database_url(settings, url=url, backend=backend)
    kw = _engine_kwargs(settings, target, profile, asyncio=False)
    kw.update(engine_kw)
    engine = create_engine(target, **kw)
    _configure(engine, target, profile)
    return engine


def make_async_engine(
    settings: Settings | None = None,
    *,
    url: str | None = None,
    backend: Backend | None = None,
    profile: EngineProfile = "optimized",
    **engine_kw: Any,
) -> AsyncEngine:
    """An async engine (asyncpg or aiosqlite) with the profile's pool and tuning."""
    settings = settings or Settings.from_env()
    target = database_url(settings, url=url, backend=backend, asyncio=True)
    kw = _engine_kwargs(settings, target, profile, asyncio=True)
    kw.update(engine_kw)
    engine = create_async_engine(target, **kw)
    _configure(engine.sync_engine, target, profile)
    return engine


def _engine_kwargs(settings: Settings, url: URL, profile: str, *, asyncio: bool) -> dict[str, Any]:
    if profile not in _PROFILES:
        raise DatabaseArgumentError(f"profile={profile!r} is not valid: expected one of {', '.join(_PROFILES)}")
    kw: dict[str, Any] = {}
    if url.get_backend_name() == "postgresql":
        if asyncio:
            kw["connect_args"] = {"timeout": settings.connect_timeout}
        else:  # libpq takes whole seconds (and treats 1 as 2)
            kw["connect_args"] = {"connect_timeout": max(1, math.ceil(settings.connect_timeout))}
    if profile == "baseline":
        kw["poolclass"] = TimedNullPool
        return kw
    kw.update(
        poolclass=TimedAsyncQueuePool if asyncio else TimedQueuePool,
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        pool_timeout=settings.pool_timeout,
        pool_recycle=settings.pool_recycle,
        pool_pre_ping=settings.pool_pre_ping,
    )
    return kw


def _configure(engine: Engine, url: URL, profile: str) -> None:
    if url.get_backend_name() == "sqlite":
        use_explicit_begin(engine)
        if profile == "optimized":
            tune_sqlite(engine)
        return
    if url.get_backend_name() == "postgresql":
        _translate_unreachable(engine, url)


def _translate_unreachable(engine: Engine, url: URL) -> None:
    """Connect through the dialect, turning 'no answer' failures into `DatabaseUnreachable`."""
    plain = url.render_as_string(hide_password=False)
    masked = mask_url(plain)
    secrets = url_secrets(plain)
    host = url.host or url.query.get("host") or "localhost"
    where = f"{host}:{url.port or 5432}"

    @event.listens_for(engine, "do_connect")
    def _connect(dialect: Dialect, _record: ConnectionPoolEntry, cargs: tuple[Any, ...],
                 cparams: dict[str, Any]) -> DBAPIConnection:
        try:
            return dialect.connect(*cargs, **cparams)
        except Exception as error:
            if not _is_no_answer(error):
                raise
            text = str(error).strip() or f"{type(error).__name__}: no answer within the connect timeout"
            reason = mask_text(text, secrets)
            raise DatabaseUnreachable("PostgreSQL", masked, where, reason) from None


def _is_no_answer(error: BaseException) -> bool:
    """True when the server never answered (refused, timed out, unknown host), not e.g. bad auth."""
    if isinstance(error, (OSError, TimeoutError)):
        return True
    if isinstance(error, psycopg.OperationalError) and error.sqlstate is None:
        return "FATAL:" not in str(error)  # a FATAL line is the server answering (auth, no db)
    return False
