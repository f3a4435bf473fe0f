"""HTTP caching for the demo service: `Cache-Control` and an `ETag` on cacheable reads, 304 when the client's
`If-None-Match` still matches, `no-store` on everything else.

The ETag is a hash of the exact response body: it changes exactly when the bytes do, so a write is
visible in the tag of every read it touches with no bookkeeping, in both modes. The cost is one hash
of a body already in memory (microseconds); the server still computes the body before answering 304.
Since equal tags mean equal bytes, the tag is a strong validator.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["HttpCache", "etag_of", "etag_matches"]

_CACHEABLE_METHODS = frozenset({"GET", "HEAD"})
_NO_STORE = (b"cache-control", b"no-store")
_DROPPED_ON_304 = frozenset({b"content-length", b"content-type", b"etag", b"cache-control"})
_TAG = re.compile(r'\s*(\*|(?:W/)?"[^"]*")\s*(?:,|$)')


def etag_of(body: bytes) -> str:
    """The strong entity tag of a body: a 128-bit BLAKE2b digest, quoted."""
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def etag_matches(if_none_match: str, etag: str) -> bool:
    """Whether an `If-None-Match` value names `etag`: `*`, or any tag equal under weak comparison (RFC 9110)."""
    wanted = etag.removeprefix("W/")
    for tag in _TAG.findall(if_none_match):
        if tag == "*" or tag.removeprefix("W/") == wanted:
            return True
    return False


class HttpCache:
    """Pure ASGI middleware: `public, max-age` and an ETag on 200 answers to GET/HEAD of `cacheable` paths.

    A conditional request whose `If-None-Match` matches gets a 304 without a body; any other answer
    (errors, 404s, writes, health, metrics) carries `Cache-Control: no-store`, so that no proxy keeps it.
    """

    def __init__(self, app: ASGIApp, max_age: int, cacheable: Callable[[str], bool]) -> None:
        self.app = app
        self.cache_control = f"public, max-age={max_age}".encode()
        self.cacheable = cacheable

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] not in _CACHEABLE_METHODS or not self.cacheable(scope["path"]):
            await self.app(scope, receive, _no_store(send))
            return
        start: list[Message] = []
        chunks: list[bytes] = []

        async def buffering(message: Message) -> None:
            if message["type"] == "http.response.start":
                if message["status"] != 200:
                    message["headers"] = _with_no_store(message.get("headers", []))
                    await send(message)
                    return
                start.append(message)
                return
            if message["type"] != "http.response.body" or not start:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                await self._answer(scope, start[0], b"".join(chunks), send)

        await self.app(scope, receive, buffering)

    async def _answer(self, scope: Scope, start: Message, body: bytes, send: Send) -> None:
        etag = etag_of(body)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() not in (b"etag", b"cache-control")]
        validators = [(b"etag", etag.encode()), (b"cache-control", self.cache_control)]
        asked = _header(scope, b"if-none-match")
        if asked is not None and etag_matches(asked, etag):
            kept = [(k, v) for k, v in headers if k.lower() not in _DROPPED_ON_304]
            await send({"type": "http.response.start", "status": 304, "headers": kept + validators})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({**start, "headers": headers + validators})
        await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    """The request header `name` (lower-case), several lines joined by commas as RFC 9110 allows."""
    values = [v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == name]
    return ", ".join(values) if values else None


def _with_no_store(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    if any(k.lower() == b"cache-control" for k, _ in headers):
        return list(headers)
    return [*headers, _NO_STORE]


def _no_store(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": _with_no_store(list(message.get("headers", [])))}
        await send(message)
    return sending
