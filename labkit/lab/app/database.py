"""The service's engines and its data: demo tables in a schema of their own, seeded deterministically.

The service reads a dedicated PostgreSQL schema (search_path), so load runs never touch the
demo tables other experiments keep in the public schema of the same database.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from labkit.db import make_async_engine, make_engine, unit_of_work
from labkit.db.sessions import session_factory
from labkit.lab.app.config import AppConfig
from labkit.lab.demo import create_schema, demo_data, write_demo_data
from labkit.lab.demo.models import Base
from labkit.lab.errors import ParameterError

__all__ = ["sync_engine", "async_engine", "prepare_database", "drop_database", "student_count"]


def _url(config: AppConfig) -> str:
    if not config.settings.database_url:
        raise ParameterError("DATABASE_URL is not set: the service needs a PostgreSQL URL")
    return config.settings.database_url


def sync_engine(config: AppConfig, *, profile: str = "baseline", serving: bool = False) -> Engine:
    """A psycopg engine on the service's schema; `baseline` has no pool (a connection per session).

    `serving` adds the service's statement timeout (seeding may take longer).
    """
    timeout = max(1, math.ceil(config.settings.connect_timeout))
    options = f"-c search_path={config.schema}"
    if serving:
        options += f" -c statement_timeout={round(config.statement_timeout_s * 1000)}"
    connect_args = {"connect_timeout": timeout, "options": options}
    return make_engine(config.settings, url=_url(config), profile=profile,  # type: ignore[arg-type]
                       connect_args=connect_args)


def async_engine(config: AppConfig) -> AsyncEngine:
    """An asyncpg engine with the seed's pool on the service's schema and its statement timeout."""
    server_settings = {"search_path": config.schema,
                       "statement_timeout": str(round(config.statement_timeout_s * 1000))}
    connect_args: dict[str, Any] = {"timeout": config.settings.connect_timeout, "server_settings": server_settings}
    return make_async_engine(config.settings, url=_url(config), profile="optimized", connect_args=connect_args)


def prepare_database(config: AppConfig, *, students: int = 2000, courses: int = 60,
                     enrollments_per_student: int = 5, seed: int = 0) -> dict[str, int]:
    """(Re)create the demo tables in the service's schema and fill them; same seed, same rows."""
    engine = sync_engine(config)
    try:
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{config.schema}"'))
            names = ", ".join(t.name for t in Base.metadata.sorted_tables)
            conn.execute(text(f"DROP TABLE IF EXISTS {names} CASCADE"))
        create_schema(engine)
        data = demo_data(students=students, courses=courses, enrollments_per_student=enrollments_per_student,
                         seed=seed)
        with unit_of_work(session_factory(engine)) as session:
            counts = write_demo_data(session, data)
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        return counts
    finally:
        engine.dispose()


def student_count(config: AppConfig) -> int:
    """How many students the service's schema holds."""
    engine = sync_engine(config)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM students")).scalar_one())
    finally:
        engine.dispose()


def drop_database(config: AppConfig) -> None:
    """Drop the service's schema and everything in it."""
    engine = sync_engine(config)
    try:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{config.schema}" CASCADE'))
    finally:
        engine.dispose()
