"""The service's metrics: the seed's JSON shape, Prometheus text, and no secret in either."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

import pytest

from labkit.lab.app import AppConfig
from labkit.lab.load import free_port
from tests.integration.app.conftest import serving

MODES = ["baseline", "optimized"]


async def _traffic(client: Any) -> None:
    for _ in range(3):
        for path in ("/api/v1/students/4", "/api/v1/students/4/learning-path", "/api/v1/students?limit=5"):
            assert (await client.get(path)).status_code == 200


@pytest.mark.parametrize("mode", MODES)
async def test_metrics_json_has_the_seeds_shape(serve: Callable[[str], Any], mode: str) -> None:
    async with serve(mode) as client:
        await _traffic(client)
        body = (await client.get("/api/v1/metrics")).json()
    assert {"hit_rate", "total_requests", "avg_response_time"} <= set(body["cache"])
    assert {"pool_size", "active_connections", "query_count", "avg_query_time"} <= set(body["database"])
    assert {"api_response_time", "requests_per_second"} <= set(body["performance"])
    assert body["mode"] == mode and body["performance"]["requests_total"] == 9
    assert body["database"]["query_count"] > 0 and body["database"]["avg_query_time"] > 0
    assert body["performance"]["api_response_time"] > 0 and body["process"]["rss_bytes"] > 0


async def test_optimized_mode_hits_its_cache_and_runs_fewer_statements(serve: Callable[[str], Any]) -> None:
    counts = {}
    for mode in MODES:
        async with serve(mode) as client:
            await _traffic(client)
            counts[mode] = (await client.get("/api/v1/metrics")).json()
    optimized, baseline = counts["optimized"], counts["baseline"]
    assert optimized["cache"]["hits"] > 0 and 0 < optimized["cache"]["hit_rate"] <= 100
    assert optimized["database"]["pool_size"] == 20
    assert baseline["cache"]["enabled"] is False and baseline["cache"]["hit_rate"] is None
    assert baseline["database"]["pool_size"] == 0  # no pool: a connection per request
    assert baseline["database"]["query_count"] > 2 * optimized["database"]["query_count"]


@pytest.mark.parametrize("mode", MODES)
async def test_prometheus_text_exposes_counters(serve: Callable[[str], Any], mode: str) -> None:
    async with serve(mode) as client:
        await _traffic(client)
        response = await client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert "# TYPE labkit_http_requests_total counter" in text
    assert re.search(rf'^labkit_http_requests_total{{mode="{mode}"}} 9$', text, re.M)
    assert re.search(r"^labkit_db_queries_total\{[^}]*\} [1-9]\d*$", text, re.M)
    assert re.search(r"^process_resident_memory_bytes \d+$", text, re.M)
    for line in text.splitlines():
        assert line.startswith("#") or re.match(r"^[a-z_]+(\{[^}]*\})? (NaN|-?[\d.e+-]+)$", line), line


@pytest.mark.parametrize("mode", MODES)
async def test_metrics_never_show_a_url_password_or_key(
    serve: Callable[[str], Any], app_config: Callable[[str], AppConfig], app_password: str, mode: str
) -> None:
    async with serve(mode) as client:
        await _traffic(client)
        student = (await client.get("/api/v1/students/4")).json()
        exposed = (await client.get("/api/v1/metrics")).text + (await client.get("/metrics")).text
    prefix = app_config(mode).settings.cache_key_prefix
    for secret in (app_password, "postgresql://", "redis://", "127.0.0.1", prefix, "api:student", student["email"]):
        assert secret not in exposed


async def test_with_redis_down_the_hit_rate_is_zero_and_bypassed_lookups_and_the_breaker_show(
    app_config: Callable[[str], AppConfig]
) -> None:
    config = app_config("optimized")
    dead = f"redis://127.0.0.1:{free_port()}/0"
    config = dataclasses.replace(config, settings=config.settings.with_overrides(redis_url=dead))
    async with serving(config) as client:
        await _traffic(client)
        body = (await client.get("/api/v1/metrics")).json()
        text = (await client.get("/metrics")).text
    cache = body["cache"]
    assert cache["hits"] == 0 and cache["hit_rate"] == 0.0 and cache["lookups_bypassed"] >= 9
    assert cache["breaker"] == "open" and cache["breaker_opens"] == 1 and cache["errors"] >= 3
    assert re.search(r'^labkit_cache_breaker_state\{mode="optimized",state="open"\} 1$', text, re.M)
    assert re.search(r'^labkit_cache_breaker_transitions_total\{mode="optimized",to="open"\} 1$', text, re.M)
    assert re.search(r'^labkit_cache_lookups_bypassed_total\{mode="optimized"\} (9|[1-9]\d+)$', text, re.M)


@pytest.mark.parametrize("mode", MODES)
async def test_database_errors_are_counted_by_kind(app_config: Callable[[str], AppConfig], mode: str) -> None:
    config = app_config(mode)
    closed = f"postgresql://postgres@127.0.0.1:{free_port()}/test"
    config = dataclasses.replace(config, settings=config.settings.with_overrides(database_url=closed))
    async with serving(config) as client:
        for offset in range(3):
            assert (await client.get(f"/api/v1/students?offset={offset}")).status_code == 503
        body = (await client.get("/api/v1/metrics")).json()
        text = (await client.get("/metrics")).text
    assert body["database"]["errors"]["unreachable"] == 3 and body["database"]["errors"]["timeout"] == 0
    assert re.search(rf'^labkit_db_errors_total\{{mode="{mode}",kind="unreachable"\}} 3$', text, re.M)
