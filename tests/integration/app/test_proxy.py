"""The demo service behind a real nginx caching proxy (both modes): a proxy cache hit, 304s at the proxy
and from the service, and a write visible through the proxy within max-age."""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest

from labkit.lab.app import AppConfig
from labkit.lab.load import ServiceProcess
from labkit.lab.services.proxy import CachingProxy, caching_proxy, nginx_missing

MODES = ["baseline", "optimized"]
MAX_AGE = 2  # seconds: short, so that expiry is reached while the test polls
MARGIN = 3.0  # seconds beyond max-age for the proxy to fetch again and the poll to see it (a loaded CI box)

pytestmark = pytest.mark.skipif(nginx_missing() is not None, reason=str(nginx_missing()))


@contextmanager
def _proxied(config: AppConfig) -> Iterator[tuple[ServiceProcess, CachingProxy]]:
    with ServiceProcess(dataclasses.replace(config, http_max_age=MAX_AGE)) as service, \
            caching_proxy(service.url, max_age=MAX_AGE) as proxy:
        yield service, proxy


@pytest.fixture(params=MODES)
def proxied(request: pytest.FixtureRequest,
            app_config: Callable[[str], AppConfig]) -> Iterator[tuple[ServiceProcess, CachingProxy]]:
    with _proxied(app_config(request.param)) as pair:
        yield pair


def _poll(until: Callable[[], bool], within: float) -> float:
    """Seconds until `until()` holds, checked every 50 ms; fails once `within` seconds pass."""
    started = time.monotonic()
    while not until():
        elapsed = time.monotonic() - started
        assert elapsed <= within, f"still not so after {elapsed:.1f} s"
        time.sleep(0.05)  # polling interval, not waiting for time to pass
    return time.monotonic() - started


def test_a_second_read_is_served_from_the_proxy_cache(proxied: tuple[ServiceProcess, CachingProxy]) -> None:
    _, proxy = proxied
    with httpx.Client(base_url=proxy.url, timeout=10) as client:
        first = client.get("/api/v1/students/31/learning-path")
        second = client.get("/api/v1/students/31/learning-path")
    assert (first.status_code, second.status_code) == (200, 200)
    assert (first.headers["x-cache-status"], second.headers["x-cache-status"]) == ("MISS", "HIT")
    assert second.content == first.content and second.headers["etag"] == first.headers["etag"]
    assert second.headers["cache-control"] == f"public, max-age={MAX_AGE}"


def test_a_current_if_none_match_is_a_304_from_the_proxy(proxied: tuple[ServiceProcess, CachingProxy]) -> None:
    _, proxy = proxied
    with httpx.Client(base_url=proxy.url, timeout=10) as client:
        etag = client.get("/api/v1/students/32").headers["etag"]
        response = client.get("/api/v1/students/32", headers={"If-None-Match": etag})
    assert response.status_code == 304 and response.content == b""
    assert response.headers["etag"] == etag and response.headers["x-cache-status"] == "HIT"


def test_an_expired_entry_is_revalidated_by_a_304_from_the_service(
        proxied: tuple[ServiceProcess, CachingProxy]) -> None:
    _, proxy = proxied
    with httpx.Client(base_url=proxy.url, timeout=10) as client:
        kept = client.get("/api/v1/students?limit=7")
        statuses: list[str] = []

        def expired() -> bool:
            statuses.append(client.get("/api/v1/students?limit=7").headers["x-cache-status"])
            return statuses[-1] != "HIT"

        _poll(expired, within=MAX_AGE + MARGIN)
        again = client.get("/api/v1/students?limit=7")
    assert statuses[-1] == "REVALIDATED"  # the proxy asked with If-None-Match and the service said 304
    assert again.headers["x-cache-status"] == "HIT" and again.headers["etag"] == kept.headers["etag"]


def test_errors_and_writes_are_never_kept_by_the_proxy(proxied: tuple[ServiceProcess, CachingProxy]) -> None:
    _, proxy = proxied
    with httpx.Client(base_url=proxy.url, timeout=10) as client:
        missing = [client.get("/api/v1/students/99999").headers.get("x-cache-status") for _ in range(2)]
        health = [client.get("/api/v1/health").headers.get("x-cache-status") for _ in range(2)]
    assert "HIT" not in missing + health


def test_a_write_is_visible_through_the_proxy_within_max_age(proxied: tuple[ServiceProcess, CachingProxy]) -> None:
    service, proxy = proxied
    name = f"renamed {uuid.uuid4().hex[:8]}"
    reads = ["/api/v1/students/33", "/api/v1/students/33/learning-path", "/api/v1/students?limit=40"]
    with httpx.Client(base_url=proxy.url, timeout=10) as client:
        for path in reads:
            client.get(path)
            assert client.get(path).headers["x-cache-status"] == "HIT", path
        written = client.patch("/api/v1/students/33", json={"name": name})
        assert written.status_code == 200 and written.json()["name"] == name
        direct = [httpx.get(service.url + path, timeout=10).text for path in reads]
        assert all(name in text for text in direct), "the service itself answers with the write at once"
        took = {path: _poll(_shows(client, path, name), within=MAX_AGE + MARGIN) for path in reads}
    assert all(seconds <= MAX_AGE + MARGIN for seconds in took.values()), took


def _shows(client: httpx.Client, path: str, text: str) -> Callable[[], bool]:
    return lambda: text in client.get(path).text
