"""HTTP caching of the demo service in both modes, against the real PostgreSQL and Redis: validators on
reads, 304 for a current `If-None-Match`, and a write that changes the ETag of every read it touches."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from labkit.lab.app.config import DEFAULT_HTTP_MAX_AGE
from labkit.lab.app.optimized import OptimizedStudents

MODES = ["baseline", "optimized"]
READS = ["/api/v1/students/11", "/api/v1/students/11/learning-path", "/api/v1/students?limit=20"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("path", READS)
async def test_a_read_is_public_for_max_age_with_a_strong_etag(serve: Callable[[str], Any], mode: str,
                                                               path: str) -> None:
    async with serve(mode) as client:
        response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["cache-control"] == f"public, max-age={DEFAULT_HTTP_MAX_AGE}"
    assert response.headers["etag"].startswith('"')  # strong: derived from the exact body bytes


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("path", READS)
async def test_a_current_if_none_match_is_a_304_without_a_body(serve: Callable[[str], Any], mode: str,
                                                               path: str) -> None:
    async with serve(mode) as client:
        etag = (await client.get(path)).headers["etag"]
        response = await client.get(path, headers={"If-None-Match": etag})
    assert response.status_code == 304 and response.content == b""
    assert response.headers["etag"] == etag


@pytest.mark.parametrize("mode", MODES)
async def test_the_same_body_gets_the_same_etag_every_time(serve: Callable[[str], Any], mode: str) -> None:
    async with serve(mode) as client:
        tags = {(await client.get("/api/v1/students/12")).headers["etag"] for _ in range(3)}
    assert len(tags) == 1


@pytest.mark.parametrize("mode", MODES)
async def test_a_write_changes_the_etag_and_body_of_every_read_it_touches(serve: Callable[[str], Any],
                                                                          mode: str) -> None:
    name = f"renamed {uuid.uuid4().hex[:8]}"
    async with serve(mode) as client:
        before = {path: (await client.get(path)).headers["etag"] for path in READS}
        written = await client.patch("/api/v1/students/11", json={"name": name})
        after = {path: await client.get(path, headers={"If-None-Match": before[path]}) for path in READS}
    assert written.status_code == 200 and written.json()["name"] == name
    assert written.headers["cache-control"] == "no-store"
    for path, response in after.items():
        assert response.status_code == 200 and response.headers["etag"] != before[path], path
        assert name in response.text, path


@pytest.mark.parametrize("mode", MODES)
async def test_errors_and_service_endpoints_are_never_stored(serve: Callable[[str], Any], mode: str) -> None:
    async with serve(mode) as client:
        answers = [await client.get(p) for p in
                   ("/api/v1/students/99999", "/api/v1/students?limit=0", "/api/v1/health", "/api/v1/metrics")]
    assert [r.headers["cache-control"] for r in answers] == ["no-store"] * 4
    assert not any("etag" in r.headers for r in answers)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("body", "field"), [
    ({"name": ""}, "name"), ({"name": "x" * 121}, "name"), ({"name": "a\u0000b"}, "name"),
    ({"name": "ok", "email": "x@y"}, "email"),
])
async def test_a_write_the_column_cannot_hold_is_a_422(serve: Callable[[str], Any], mode: str,
                                                       body: dict[str, str], field: str) -> None:
    async with serve(mode) as client:
        response = await client.patch("/api/v1/students/11", json=body)
    assert response.status_code == 422 and response.json()["fields"] == [field]


@pytest.mark.parametrize("mode", MODES)
async def test_a_lone_surrogate_in_a_name_is_a_422(serve: Callable[[str], Any], mode: str) -> None:
    async with serve(mode) as client:
        response = await client.patch("/api/v1/students/11", content=b'{"name": "a\\ud800"}',
                                      headers={"Content-Type": "application/json"})
    assert response.status_code == 422 and response.json()["fields"] == ["name"]


@pytest.mark.parametrize("mode", MODES)
async def test_renaming_an_unknown_student_is_a_404(serve: Callable[[str], Any], mode: str) -> None:
    async with serve(mode) as client:
        response = await client.patch("/api/v1/students/99999", json={"name": "nobody"})
    assert response.status_code == 404 and response.json()["student_id"] == 99999


async def test_a_stale_entry_stored_just_after_a_write_is_dropped_again(
        app_config: Callable[[str], Any]) -> None:
    """A read whose SELECT began before the commit may store the old row after the write's invalidation;
    the optimized service drops the student's entries once more, a statement timeout later."""
    service = OptimizedStudents(app_config("optimized"))
    service.forget_again_after_s = 0.2  # the statement timeout + 1 s in service; short here
    name = f"renamed {uuid.uuid4().hex[:8]}"
    try:
        await service.rename(13, name)
        stale = b'{"id": 13, "name": "the old name"}'
        await service.cache.set(service._student_body.key_for(13), stale)  # what the late read would store
        assert await service.student(13) == stale
        started = time.monotonic()
        while (body := await service.student(13)) == stale:
            assert time.monotonic() - started < 5.0, "the stale entry was never dropped again"
            await asyncio.sleep(0.02)  # polling interval, not waiting for time to pass
        assert body is not None and name.encode() in body
    finally:
        await service.close()
