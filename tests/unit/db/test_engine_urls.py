"""Engine URLs: the right driver per backend and flavour, errors naming what is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from labkit.db import database_url, make_engine
from labkit.errors import DatabaseArgumentError, SettingsError
from labkit.settings import Settings


@pytest.mark.parametrize("given,sync,async_", [
    ("postgresql://u:p@h:5/d", "postgresql+psycopg", "postgresql+asyncpg"),
    ("postgres://u@h/d", "postgresql+psycopg", "postgresql+asyncpg"),
    ("postgresql+asyncpg://u@h/d", "postgresql+psycopg", "postgresql+asyncpg"),
    ("sqlite:///x.db", "sqlite+pysqlite", "sqlite+aiosqlite"),
])
def test_driver_follows_the_flavour(given: str, sync: str, async_: str) -> None:
    assert database_url(url=given).drivername == sync
    assert database_url(url=given, asyncio=True).drivername == async_


def test_sqlite_backend_uses_the_settings_path(tmp_path: Path) -> None:
    url = database_url(Settings(sqlite_path=tmp_path / "a.sqlite3"), backend="sqlite")
    assert url.database == str(tmp_path / "a.sqlite3")


def test_missing_database_url_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="DATABASE_URL"):
        database_url(Settings(database_url=None))


def test_unknown_profile_lists_the_valid_ones() -> None:
    expected = r"profile='fast' is not valid: expected one of optimized, baseline"
    with pytest.raises(DatabaseArgumentError, match=expected):
        make_engine(Settings(), url="sqlite://", profile="fast")  # type: ignore[arg-type]


def test_an_unknown_profile_is_still_a_value_error_for_callers() -> None:
    with pytest.raises(ValueError):
        make_engine(Settings(), url="sqlite://", profile="fast")  # type: ignore[arg-type]


def test_making_an_engine_does_not_connect() -> None:
    engine = make_engine(Settings(), url="postgresql://u:p@127.0.0.1:1/nowhere")
    assert engine.pool.checkedout() == 0 and engine.pool.checkedin() == 0
