"""Fixtures shared by the experiment tests: settings under tmp and a URL on each backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from labkit.settings import Settings


@pytest.fixture
def lab_settings(tmp_path: Path) -> Settings:
    """Settings whose SQLite file, logs and data live under this test's tmp folder."""
    return Settings(sqlite_path=tmp_path / "lab.sqlite3", log_dir=tmp_path / "logs", data_dir=tmp_path / "data")


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, lab_settings: Settings) -> str:
    """The test runs once on an SQLite file and once on the session's PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{lab_settings.sqlite_path}"
    return str(request.getfixturevalue("pg_url"))
