"""The HTTP cache rules of the demo service, on a tiny ASGI app: validators, 304s and `no-store`."""

from __future__ import annotations

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from labkit.errors import SettingsError
from labkit.lab.app.config import AppConfig
from labkit.lab.app.http_cache import HttpCache, etag_matches, etag_of
from labkit.settings import Settings


async def _json_app(scope: Scope, receive: Receive, send: Send) -> None:
    status = 404 if scope["path"].endswith("/missing") else 200
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"11")]})
    await send({"type": "http.response.body", "body": b'{"a":', "more_body": True})
    await send({"type": "http.response.body", "body": b'"value"}'})


def _client(max_age: int = 30) -> httpx.AsyncClient:
    app = HttpCache(_json_app, max_age=max_age, cacheable=lambda path: path.startswith("/data"))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


def test_the_etag_is_a_quoted_hash_of_the_body_that_changes_with_it() -> None:
    assert etag_of(b"x") == etag_of(b"x") != etag_of(b"y")
    assert etag_of(b"x").startswith('"') and etag_of(b"x").endswith('"') and len(etag_of(b"x")) == 34


@pytest.mark.parametrize(("header", "matches"), [
    ('"abc"', True), ('W/"abc"', True), ('"x", "abc"', True), ("*", True), ('"abd"', False), ("", False),
    ('"ab"', False),
])
def test_if_none_match_uses_the_weak_comparison(header: str, matches: bool) -> None:
    assert etag_matches(header, '"abc"') is matches


async def test_a_cacheable_read_carries_public_max_age_and_its_body_etag() -> None:
    async with _client(max_age=30) as client:
        response = await client.get("/data/1")
    assert response.headers["cache-control"] == "public, max-age=30"
    assert response.headers["etag"] == etag_of(b'{"a":"value"}') and response.content == b'{"a":"value"}'


async def test_a_matching_if_none_match_is_a_304_without_a_body() -> None:
    async with _client() as client:
        etag = (await client.get("/data/1")).headers["etag"]
        response = await client.get("/data/1", headers={"If-None-Match": f'"other", W/{etag}'})
    assert response.status_code == 304 and response.content == b""
    assert response.headers["etag"] == etag and response.headers["cache-control"].startswith("public")
    assert "content-type" not in response.headers


async def test_a_stale_if_none_match_gets_the_full_answer() -> None:
    async with _client() as client:
        response = await client.get("/data/1", headers={"If-None-Match": '"stale"'})
    assert response.status_code == 200 and response.content == b'{"a":"value"}'


@pytest.mark.parametrize(("method", "path"), [("GET", "/health"), ("GET", "/data/missing"), ("PATCH", "/data/1")])
async def test_anything_else_is_no_store_without_an_etag(method: str, path: str) -> None:
    async with _client() as client:
        response = await client.request(method, path)
    assert response.headers["cache-control"] == "no-store" and "etag" not in response.headers


def test_max_age_comes_from_the_environment_and_is_checked() -> None:
    assert AppConfig.from_env({"LABKIT_APP_HTTP_MAX_AGE": "42"}).http_max_age == 42
    assert AppConfig.from_env({}).http_max_age == 10
    assert AppConfig.from_env({"LABKIT_APP_HTTP_MAX_AGE": "7"}).as_environ()["LABKIT_APP_HTTP_MAX_AGE"] == "7"
    for bad in ("-1", "soon", "86401", "1.5"):
        with pytest.raises(SettingsError, match="LABKIT_APP_HTTP_MAX_AGE"):
            AppConfig.from_env({"LABKIT_APP_HTTP_MAX_AGE": bad})
    with pytest.raises(SettingsError, match="LABKIT_APP_HTTP_MAX_AGE"):
        AppConfig(Settings(), http_max_age=-5)
