"""A database of the experiment's own: a PostgreSQL schema or an SQLite file, dropped at the end.

The notebook hands in the live URL of a backend; the scratch database gives labkit engines in
either profile and a raw driver connection (psycopg or sqlite3) set up the same way, so
raw-driver cases and labkit cases read and write the same tables.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Table
from sqlalchemy.engine import Engine, make_url

from labkit.db import EngineProfile, database_url, make_engine
from labkit.db.sqlite import SQLITE_PRAGMAS
from labkit.lab.errors import ParameterError
from labkit.settings import Settings

__all__ = ["ScratchDatabase", "scratch_database", "backend_of"]


def backend_of(url: str) -> str:
    """`postgresql` or `sqlite`, from a URL's scheme (driver suffixes ignored)."""
    family = make_url(url).get_backend_name()
    if family in ("postgresql", "postgres"):
        return "postgresql"
    if family == "sqlite":
        return "sqlite"
    raise ParameterError(f"backend of {make_url(url).render_as_string(hide_password=True)!r} is {family!r}; "
                         "experiments run on postgresql or sqlite")


class ScratchDatabase:
    """The experiment's own schema (PostgreSQL) or file (SQLite): engines on it, and raw connections."""

    def __init__(self, url: str, name: str, settings: Settings, profile: EngineProfile) -> None:
        self.backend = backend_of(url)
        self.name = name
        self.profile = profile
        self._settings = settings
        self._url = url
        if self.backend == "postgresql":
            self._raw = database_url(url=url).set(drivername="postgresql").render_as_string(hide_password=False)
        else:
            folder = Path(make_url(url).database or settings.sqlite_path).parent
            self._raw = str(folder / f"{name}.sqlite3")
        self._engines: list[Engine] = []

    @property
    def engine(self) -> Engine:
        """The engine in the scratch database's own profile (made on first use)."""
        if not self._engines:
            self.make_engine(self.profile)
        return self._engines[0]

    def make_engine(self, profile: EngineProfile, **engine_kw: Any) -> Engine:
        """An engine on the same tables in `profile`; disposed of with the scratch database."""
        if self.backend == "postgresql":
            timeout = max(1, round(self._settings.connect_timeout))
            engine_kw.setdefault("connect_args", {"connect_timeout": timeout,
                                                  "options": f"-c search_path={self.name}"})
            engine = make_engine(self._settings, url=self._url, profile=profile, **engine_kw)
        else:
            engine = make_engine(self._settings, url=f"sqlite:///{self._raw}", profile=profile, **engine_kw)
        self._engines.append(engine)
        return engine

    def raw_connection(self) -> Any:
        """A plain driver connection: psycopg (search_path set), or sqlite3 in autocommit mode with
        the profile's pragmas (the caller writes BEGIN and COMMIT)."""
        if self.backend == "postgresql":
            return psycopg.connect(self._raw, options=f"-c search_path={self.name}")
        conn = sqlite3.connect(self._raw, isolation_level=None)
        if self.profile == "optimized":
            for pragma, value in SQLITE_PRAGMAS.items():
                conn.execute(f"PRAGMA {pragma}={value}")
        return conn

    def empty(self, tables: Sequence[Table]) -> None:
        """Delete every row of `tables`, referencing tables first (PostgreSQL: one TRUNCATE that also
        restarts the key sequences); for use outside any timing."""
        with self.engine.begin() as conn:
            if self.backend == "postgresql":
                names = ", ".join(conn.dialect.identifier_preparer.format_table(t) for t in tables)
                conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY")
            else:
                for table in tables:
                    conn.execute(table.delete())

    def _create(self) -> None:
        if self.backend == "postgresql":
            with psycopg.connect(self._raw, autocommit=True) as admin:
                admin.execute(f"DROP SCHEMA IF EXISTS {self.name} CASCADE")
                admin.execute(f"CREATE SCHEMA {self.name}")
        else:
            Path(self._raw).parent.mkdir(parents=True, exist_ok=True)
            self._remove_files()

    def _drop(self) -> None:
        for engine in self._engines:
            engine.dispose()
        self._engines.clear()
        if self.backend == "postgresql":
            with psycopg.connect(self._raw, autocommit=True) as admin:
                admin.execute(f"DROP SCHEMA IF EXISTS {self.name} CASCADE")
        else:
            self._remove_files()

    def _remove_files(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self._raw}{suffix}").unlink(missing_ok=True)


@contextmanager
def scratch_database(
    url: str, name: str, *, settings: Settings | None = None, profile: EngineProfile = "optimized",
) -> Iterator[ScratchDatabase]:
    """Schema `name` (PostgreSQL) or file `<name>.sqlite3` beside the SQLite database, dropped afterwards."""
    if not name.isidentifier():
        raise ParameterError(f"scratch database name {name!r} must be an identifier (letters, digits, _)")
    scratch = ScratchDatabase(url, name, settings or Settings.from_env(), profile)
    scratch._create()
    try:
        yield scratch
    finally:
        scratch._drop()
