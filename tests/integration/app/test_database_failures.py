"""The service when its database fails: JSON 503/504 with Retry-After, one log line, usable connections.

Faults go only into servers the test starts (a private PostgreSQL) or into a closed port.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from labkit.lab.app import AppConfig, prepare_database
from labkit.lab.load import ServiceProcess, free_port
from labkit.lab.services.private_postgres import PrivatePostgres, private_postgres
from labkit.settings import Settings
from tests.integration.app.conftest import serving

MODES = ["baseline", "optimized"]


@pytest.fixture(scope="module")
def private_pg() -> Iterator[PrivatePostgres]:
    with private_postgres() as server:
        yield server


@pytest.fixture(scope="module")
def seeded(private_pg: PrivatePostgres, redis_url: str) -> AppConfig:
    settings = Settings.from_env(environ={"DATABASE_URL": private_pg.url, "REDIS_URL": redis_url}, env_file=None)
    config = AppConfig(settings, schema="labkit_faults_test")
    prepare_database(config, students=40, courses=8, enrollments_per_student=2, seed=2)
    return config


@pytest.fixture
def private_config(seeded: AppConfig, private_pg: PrivatePostgres, redis_namespace: str) -> Callable[..., AppConfig]:
    if not private_pg.running():
        private_pg.start()  # an earlier test stopped it

    def make(mode: str, **settings: Any) -> AppConfig:
        changed = seeded.settings.with_overrides(cache_key_prefix=redis_namespace, **settings)
        return dataclasses.replace(seeded, settings=changed, mode=mode)

    return make


def _hold_lock(server: PrivatePostgres, seconds: float, taken: threading.Event) -> None:
    """Lock the students table against every reader for `seconds` (the app's statements queue behind it)."""
    with server.connect() as conn:
        conn.execute("BEGIN")
        conn.execute("LOCK TABLE labkit_faults_test.students IN ACCESS EXCLUSIVE MODE")
        taken.set()
        conn.execute("SELECT pg_sleep(%s)", (seconds,))
        conn.execute("ROLLBACK")


@pytest.mark.parametrize("mode", MODES)
async def test_a_database_on_a_closed_port_is_a_503_json_with_retry_after(
    app_config: Callable[[str], AppConfig], mode: str
) -> None:
    closed = f"postgresql://postgres@127.0.0.1:{free_port()}/test"
    config = app_config(mode)
    config = dataclasses.replace(config, settings=config.settings.with_overrides(database_url=closed))
    async with serving(config) as client:
        response = await client.get("/api/v1/students")
    assert response.status_code == 503 and response.headers["retry-after"].isdigit()
    body = response.json()
    assert body["error"] == "unreachable" and f"127.0.0.1:{closed.rsplit(':', 1)[1].split('/')[0]}" in body["detail"]


@pytest.mark.parametrize("mode", MODES)
async def test_a_statement_past_its_timeout_is_a_504(private_config: Callable[..., AppConfig],
                                                     private_pg: PrivatePostgres, mode: str) -> None:
    config = dataclasses.replace(private_config(mode), statement_timeout_s=0.3)
    taken = threading.Event()
    holder = threading.Thread(target=_hold_lock, args=(private_pg, 2.0, taken))
    async with serving(config) as client:
        holder.start()
        taken.wait(10)
        response = await client.get("/api/v1/students/3")
    holder.join()
    assert response.status_code == 504 and response.json()["error"] == "timeout"


async def test_an_exhausted_pool_is_a_503_naming_the_pool(private_config: Callable[..., AppConfig],
                                                          private_pg: PrivatePostgres) -> None:
    config = private_config("optimized", pool_size=1, max_overflow=0, pool_timeout=0.3)
    taken = threading.Event()
    holder = threading.Thread(target=_hold_lock, args=(private_pg, 1.5, taken))
    async with serving(config) as client:
        holder.start()
        taken.wait(10)
        answers = await asyncio.gather(*(client.get(f"/api/v1/students/{i}") for i in range(1, 5)))
    holder.join()
    exhausted = [r for r in answers if r.status_code == 503]
    assert exhausted and all(r.json()["error"] == "pool_exhausted" and "retry-after" in r.headers for r in exhausted)
    assert all(r.status_code in (200, 503) for r in answers), [r.status_code for r in answers]


@pytest.mark.parametrize("mode", MODES)
def test_a_stopped_database_is_a_503_logged_once_and_the_connection_stays_usable(
    private_config: Callable[..., AppConfig], private_pg: PrivatePostgres, mode: str
) -> None:
    with ServiceProcess(private_config(mode)) as service, httpx.Client(base_url=service.url, timeout=10) as client:
        assert client.get("/api/v1/students/4").status_code == 200
        private_pg.stop()
        failed = [client.get(f"/api/v1/students?offset={i}") for i in range(30)]  # one keep-alive connection
        after = client.get("/api/v1/health")
        private_pg.start()
        recovered = client.get("/api/v1/students?offset=99")
        log = service.log_tail(200)
    assert {r.status_code for r in failed} == {503}, {r.status_code for r in failed}
    assert all(r.json()["error"] in ("unreachable", "connection_lost") and r.headers["retry-after"] for r in failed)
    assert after.status_code == 200 and recovered.status_code == 200
    assert "Traceback" not in log
    assert 1 <= sum(" 503 " in line for line in log.splitlines()) <= 3, log
