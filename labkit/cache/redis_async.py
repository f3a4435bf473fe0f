"""The Redis backend for asyncio: redis-py asyncio connections with hiredis, driven lean.

The same hand-packed commands as the sync backend, on a bounded pool owned by one event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Sequence
from typing import Any

from redis.asyncio.connection import ConnectionPool
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError

from labkit.cache import resp
from labkit.cache.redis_backend import BACKEND_ERRORS, SERVER_ERRORS, connection_options
from labkit.errors import CacheArgumentError
from labkit.secrets import mask_url
from labkit.settings import Settings

__all__ = ["AsyncRedisBackend"]

_DRAIN_ABOVE = 64 * 1024


class AsyncRedisBackend:
    """Bytes in, bytes out, on a bounded pool of redis-py asyncio connections."""

    errors = BACKEND_ERRORS
    server_errors = SERVER_ERRORS

    def __init__(
        self,
        url: str,
        *,
        max_connections: int = 50,
        socket_timeout: float = 0.5,
        connect_timeout: float = 0.5,
    ) -> None:
        options = connection_options(url, max_connections, socket_timeout, connect_timeout)
        template = ConnectionPool.from_url(url, **options)
        self._connection_class = template.connection_class
        self._connection_kwargs = dict(template.connection_kwargs)
        self.name = mask_url(url)
        self.max_connections = max_connections
        self._wait_s = socket_timeout + connect_timeout
        self._idle: deque[Any] = deque()
        self._created = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> AsyncRedisBackend:
        """A backend on `settings.redis_url` with the pool size and timeouts of `settings`."""
        if not settings.redis_url:
            raise CacheArgumentError("REDIS_URL is not set: give a Redis URL, or use memory")
        return cls(
            settings.redis_url,
            max_connections=settings.redis_max_connections,
            socket_timeout=settings.redis_socket_timeout,
            connect_timeout=settings.redis_connect_timeout,
        )

    # -- the pool -------------------------------------------------------------------------

    def _adopt(self, loop: asyncio.AbstractEventLoop) -> None:
        """Connections belong to the loop that opened them: a new loop starts a fresh pool."""
        for conn in self._idle:
            transport = getattr(conn._writer, "transport", None)
            if transport is not None:
                with contextlib.suppress(Exception):  # the old loop may be closed already
                    transport.abort()
        self._idle = deque()
        self._created = 0
        self._waiters = deque()
        self._loop = loop

    async def _acquire(self) -> tuple[Any, bool]:
        """An idle connection (reused=True), a new one while under the cap, or wait for a release."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._adopt(loop)
        while True:
            if self._idle:
                return self._idle.pop(), True
            if self._created < self.max_connections:
                self._created += 1
                return self._connection_class(**self._connection_kwargs), False
            waiter = loop.create_future()
            self._waiters.append(waiter)
            try:
                await asyncio.wait_for(waiter, self._wait_s)
            except asyncio.TimeoutError:
                raise RedisConnectionError(
                    f"all {self.max_connections} connections in use for {self._wait_s:.2f} s"
                ) from None
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def _release(self, conn: Any) -> None:
        self._idle.append(conn)
        if self._waiters:
            self._wake()

    async def _discard(self, conn: Any) -> None:
        """Drop a connection that may hold a half-read reply, and let a waiter open a new one."""
        self._created -= 1
        self._wake()
        await conn.disconnect(nowait=True)

    async def _call(self, packed: bytes, replies: int = 1, retry: bool = True) -> Any:
        """Send one buffer, read `replies` replies (the last one, or a list if several)."""
        conn, reused = await self._acquire()
        try:
            if not conn.is_connected:
                await conn.connect()
            # Written straight to the stream: redis-py's send_packed_command wraps every
            # write in asyncio.wait_for, a task per command. Reads keep redis-py's timeout.
            writer = conn._writer
            writer.write(packed)
            if len(packed) > _DRAIN_ABOVE:
                await writer.drain()
            if replies == 1:
                out = await conn.read_response()
            else:
                out = [None] * replies
                error = None
                for i in range(replies):
                    try:
                        out[i] = await conn.read_response()
                    except ResponseError as exc:
                        error = error or exc
                if error is not None:
                    raise error
        except ResponseError:
            self._release(conn)
            raise
        except RedisConnectionError:
            await self._discard(conn)
            if reused and retry:  # an idle connection the server closed: try once on a new one
                return await self._call(packed, replies, retry=False)
            raise
        except BaseException:  # includes cancellation: a half-read connection is not reusable
            await self._discard(conn)
            raise
        self._release(conn)
        return out

    async def _script(
        self, script: resp.Script, keys: Sequence[bytes], args: Sequence[bytes]
    ) -> Any:
        """Run a Lua script by its SHA, loading it with EVAL when the server does not know it yet."""
        try:
            return await self._call(script.evalsha(keys, args))
        except NoScriptError:
            return await self._call(script.eval(keys, args))

    # -- the backend API (same meaning as RedisBackend) -----------------------------------

    async def get(self, key: str) -> bytes | None:
        """The bytes under `key`, or None."""
        return await self._call(resp.pack_get(key.encode()))

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """The bytes under each key (None where missing), in one MGET."""
        return await self._call(resp.pack_mget([k.encode() for k in keys]))

    async def set(self, key: str, data: bytes, ttl_ms: int) -> None:
        """Write `data` under `key` for `ttl_ms` milliseconds."""
        await self._call(resp.pack_set_px(key.encode(), data, ttl_ms))

    async def set_many(self, items: Sequence[tuple[str, bytes, int]]) -> None:
        """Write every (key, data, ttl_ms) in one buffer and one round trip."""
        if items:
            packed = resp.pack_set_many([(k.encode(), d, t) for k, d, t in items])
            await self._call(packed, replies=len(items))

    async def set_tagged(self, key: str, data: bytes, ttl_ms: int, tag_keys: Sequence[str]) -> None:
        """Write `data` and add `key` to each tag set, atomically."""
        keys = [key.encode(), *(t.encode() for t in tag_keys)]
        await self._script(resp.SET_TAGGED, keys, [data, b"%d" % ttl_ms])

    async def add(self, key: str, data: bytes, ttl_ms: int) -> bool:
        """Write only if `key` is absent (SET NX); True if written."""
        packed = resp.pack(b"SET", key.encode(), data, b"PX", b"%d" % ttl_ms, b"NX")
        return (await self._call(packed)) is not None

    async def delete_if_equals(self, key: str, data: bytes) -> bool:
        """Delete `key` only if it holds `data` (a lock released by its owner)."""
        return bool(await self._script(resp.DELETE_IF_EQUALS, [key.encode()], [data]))

    async def delete(self, keys: Sequence[str]) -> int:
        """Delete keys; the number that existed."""
        if not keys:
            return 0
        return int(await self._call(resp.pack(b"DEL", *(k.encode() for k in keys))))

    async def exists(self, key: str) -> bool:
        """Whether `key` holds a live entry."""
        return bool(await self._call(resp.pack(b"EXISTS", key.encode())))

    async def pttl(self, key: str) -> int | None:
        """Milliseconds `key` has left; None if missing or without expiry."""
        ms = int(await self._call(resp.pack(b"PTTL", key.encode())))
        return ms if ms >= 0 else None

    async def incr(self, key: str) -> int:
        """Add one to the counter under `key` (created at 0) and return it."""
        return int(await self._call(resp.pack(b"INCR", key.encode()), retry=False))

    async def get_versioned(
        self, version_key: str, head: str, tail: str
    ) -> tuple[int, bytes | None]:
        """Read a namespace version and the entry `head + version + tail` in one round trip."""
        version, data = await self._script(
            resp.GET_VERSIONED, [version_key.encode()], [head.encode(), tail.encode()]
        )
        return int(version), data

    async def invalidate_tags(self, tag_keys: Sequence[str]) -> int:
        """Delete every entry in the tag sets, and the sets; the number of entries deleted."""
        if not tag_keys:
            return 0
        return int(await self._script(resp.INVALIDATE_TAGS, [t.encode() for t in tag_keys], []))

    async def close(self) -> None:
        """Close every idle connection."""
        while self._idle:
            await self._discard(self._idle.pop())
