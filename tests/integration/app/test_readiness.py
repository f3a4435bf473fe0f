"""Liveness and readiness of the demo service, and what it logs at start, against real servers."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any

import pytest

from labkit.lab.app import AppConfig
from labkit.lab.load import free_port
from tests.integration.app.conftest import serving

MODES = ["baseline", "optimized"]


def _with(config: AppConfig, **settings: Any) -> AppConfig:
    return dataclasses.replace(config, settings=config.settings.with_overrides(**settings))


@pytest.mark.parametrize("mode", MODES)
async def test_ready_when_postgresql_answers_with_redis_and_breaker_reported(
    app_config: Callable[[str], AppConfig], mode: str
) -> None:
    async with serving(app_config(mode)) as client:
        response = await client.get("/api/v1/ready")
    body = response.json()
    assert response.status_code == 200 and body["status"] == "ready" and body["database"]["ok"]
    if mode == "optimized":
        assert body["cache"]["ok"] and body["cache"]["breaker"] == "closed"
    else:
        assert body["cache"] == {"enabled": False}


@pytest.mark.parametrize("mode", MODES)
async def test_not_ready_while_the_database_is_unreachable_yet_alive(
    app_config: Callable[[str], AppConfig], mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    config = _with(app_config(mode), database_url=f"postgresql://postgres:hush-{mode}@127.0.0.1:{free_port()}/test")
    with caplog.at_level(logging.INFO, logger="labkit.lab.app"):
        async with serving(config) as client:
            ready = await client.get("/api/v1/ready")
            alive = await client.get("/api/v1/health")
            head = await client.head("/api/v1/health")
            listing = await client.get("/api/v1/students")
    assert ready.status_code == 503 and ready.json()["database"]["error"] == "unreachable"
    assert alive.status_code == 200 and head.status_code == 200
    assert listing.status_code == 503 and listing.json()["error"] == "unreachable"
    startup = [r.getMessage() for r in caplog.records if "PostgreSQL at" in r.getMessage()]
    assert startup and "failed" in startup[0] and "postgres:***@127.0.0.1" in startup[0]
    assert f"hush-{mode}" not in caplog.text


async def test_a_dead_redis_at_start_is_logged_and_reported_but_still_ready(
    app_config: Callable[[str], AppConfig], caplog: pytest.LogCaptureFixture
) -> None:
    config = _with(app_config("optimized"), redis_url=f"redis://:hush@127.0.0.1:{free_port()}/0")
    with caplog.at_level(logging.INFO, logger="labkit.lab.app"):
        async with serving(config) as client:
            ready = await client.get("/api/v1/ready")
            student = await client.get("/api/v1/students/2")
    assert ready.status_code == 200 and ready.json()["cache"]["ok"] is False
    assert student.status_code == 200
    lines = [r.getMessage() for r in caplog.records if "Redis at" in r.getMessage()]
    assert lines and "failed" in lines[0] and "fail-open" in lines[0] and "hush" not in caplog.text
