"""The demo service against the real PostgreSQL and Redis: seeded once per session in a schema of its own."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from labkit.lab.app import AppConfig, create_app, prepare_database
from labkit.lab.app.database import drop_database
from labkit.settings import Settings

STUDENTS = 60


def _with_password(url: str, password: str) -> str:
    """The URL with a password added (the test server trusts loopback, so it is never checked)."""
    scheme, rest = url.split("://", 1)
    userinfo, _, host = rest.rpartition("@")
    user = (userinfo.split(":", 1)[0] if userinfo else "postgres")
    return f"{scheme}://{user}:{password}@{host or rest}"


@pytest.fixture(scope="session")
def app_password() -> str:
    return f"pw-{uuid.uuid4().hex}"


@pytest.fixture(scope="session")
def app_schema(pg_url: str, redis_url: str, app_password: str) -> Iterator[AppConfig]:
    """A seeded schema of the demo data (60 students), dropped after the session."""
    settings = Settings.from_env(environ={"DATABASE_URL": _with_password(pg_url, app_password),
                                          "REDIS_URL": redis_url}, env_file=None)
    config = AppConfig(settings, schema=f"labkit_api_test_{uuid.uuid4().hex[:8]}")
    prepare_database(config, students=STUDENTS, courses=12, enrollments_per_student=3, seed=1)
    yield config
    drop_database(config)


@pytest.fixture
def app_config(app_schema: AppConfig, redis_namespace: str) -> Callable[[str], AppConfig]:
    """The session's schema in a given mode, the cache under this test's Redis namespace."""
    settings = app_schema.settings.with_overrides(cache_key_prefix=redis_namespace)
    return lambda mode: AppConfig(settings, mode, app_schema.schema)  # type: ignore[arg-type]


@asynccontextmanager
async def serving(config: AppConfig) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client of the app, its lifespan (engines, cache) running around the block."""
    app = create_app(config)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app.test") as client:
            yield client


@pytest.fixture
def serve(app_config: Callable[[str], AppConfig]) -> Callable[[str], Any]:
    return lambda mode: serving(app_config(mode))
