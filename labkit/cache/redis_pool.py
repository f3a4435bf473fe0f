"""Redis connections for the cache backends: lean options, and one bounded pool per flavour.

This is where the sync and asyncio backends genuinely differ, so it is written by hand for
each: threads wait on a condition, tasks on futures; a socket write blocks until sent, a
stream write is buffered. Everything above it (`_async/redis.py`) is written once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections import deque
from typing import Any

from redis._parsers.hiredis import NOT_ENOUGH_DATA
from redis.asyncio.connection import AbstractConnection as AsyncConnection
from redis.asyncio.connection import ConnectionPool as AsyncConnectionPool
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.connection import AbstractConnection as Connection
from redis.connection import ConnectionPool
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError
from redis.retry import Retry

from labkit.errors import CacheArgumentError
from labkit.secrets import mask_url
from labkit.settings import REDIS_SCHEMES, Settings

__all__ = ["BACKEND_ERRORS", "SERVER_ERRORS", "connection_options", "settings_options", "RedisPool", "AsyncRedisPool"]

BACKEND_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError)
# Errors the server answered with: the server is up, so they do not trip the breaker.
SERVER_ERRORS: tuple[type[BaseException], ...] = (ResponseError,)
_FLUSH_ABOVE = 64 * 1024  # a bigger asyncio write waits for the transport's buffer to drain


def connection_options(
    url: str, max_connections: int, socket_timeout: float, connect_timeout: float
) -> dict[str, Any]:
    """Options for redis-py: the given timeouts, no health-check pings (each pool adds its own no-retry Retry)."""
    scheme = url.partition("://")[0].lower()
    if scheme not in REDIS_SCHEMES:
        raise CacheArgumentError(
            f"Redis URL {mask_url(url)!r} has scheme {scheme!r}; expected one of {REDIS_SCHEMES}"
        )
    for name, value in (("socket_timeout", socket_timeout), ("connect_timeout", connect_timeout)):
        if not value > 0:
            raise CacheArgumentError(f"{name} must be a positive number of seconds, got {value!r}")
    if max_connections < 1:
        raise CacheArgumentError(f"max_connections must be >= 1, got {max_connections!r}")
    return {
        "max_connections": max_connections,
        "socket_timeout": socket_timeout,
        "socket_connect_timeout": connect_timeout,
        "health_check_interval": 0,
    }


def settings_options(settings: Settings) -> dict[str, Any]:
    """The pool size and timeouts of `settings`, as keyword arguments of the Redis backends."""
    return {
        "max_connections": settings.redis_max_connections,
        "socket_timeout": settings.redis_socket_timeout,
        "connect_timeout": settings.redis_connect_timeout,
    }


def _read_one(conn: Connection) -> Any:
    try:
        return conn.read_response()
    except ResponseError as exc:
        return exc


def _exhausted(max_connections: int, wait_s: float) -> RedisConnectionError:
    return RedisConnectionError(f"all {max_connections} connections in use for {wait_s:.2f} s")


class RedisPool:
    """At most `max_connections` redis-py connections shared by threads; a forked child starts afresh."""

    def __init__(self, url: str, options: dict[str, Any], wait_s: float) -> None:
        template = ConnectionPool.from_url(url, **options, retry=Retry(NoBackoff(), 0))
        self.connection_class: type[Connection] = template.connection_class
        self.connection_kwargs = dict(template.connection_kwargs)
        self.max_connections: int = options["max_connections"]
        self.wait_s = wait_s
        self.created = 0
        self._idle: deque[Connection] = deque()
        self._waiting = 0
        self._cond = threading.Condition(threading.Lock())
        self._pid = os.getpid()

    def acquire(self) -> tuple[Connection, bool]:
        """An idle connection (reused=True), a new one while under the cap, or wait for a release."""
        if self._pid != os.getpid():  # a forked child must not share its parent's sockets
            self._idle = deque()
            self.created = 0
            self._pid = os.getpid()
        try:
            return self._idle.pop(), True
        except IndexError:
            pass
        with self._cond:
            self._waiting += 1
            try:
                if not self._cond.wait_for(
                    lambda: self._idle or self.created < self.max_connections, self.wait_s
                ):
                    raise _exhausted(self.max_connections, self.wait_s)
                if self._idle:
                    return self._idle.pop(), True
                self.created += 1
            finally:
                self._waiting -= 1
        return self.connection_class(**self.connection_kwargs), False

    def send(self, conn: Connection, packed: bytes) -> bool:
        """Write a packed buffer (connecting first if needed); False: nothing is left to flush."""
        conn.send_packed_command((packed,), check_health=False)  # type: ignore[no-untyped-call]
        return False

    def flush(self, conn: Connection) -> None:
        """Nothing to do: `send` returns once the kernel took every byte."""

    def read_replies(self, conn: Connection, n: int) -> list[Any]:
        """`n` replies in order, error replies as exceptions (not raised), taken straight from the
        hiredis reader; the socket's timeout bounds each wait. A failed read leaves the connection
        to be discarded."""
        parser: Any = conn._parser
        reader = getattr(parser, "_reader", None)
        if reader is None:  # the pure-Python parser: one redis-py call per reply
            return [_read_one(conn) for _ in range(n)]
        out: list[Any] = []
        gets, append, missing = reader.gets, out.append, n
        while missing:
            reply = gets()
            if reply is NOT_ENOUGH_DATA:
                parser.read_from_socket()
            else:
                append(reply)
                missing -= 1
        return out

    def release(self, conn: Connection) -> None:
        """Give a connection back, its replies all read."""
        self._idle.append(conn)
        if self._waiting:
            with self._cond:
                self._cond.notify()

    def discard(self, conn: Connection) -> None:
        """Close a connection that may hold a half-read reply, and let a waiter open a new one."""
        try:
            conn.disconnect()  # type: ignore[no-untyped-call]
        finally:
            with self._cond:
                self.created -= 1
                self._cond.notify()

    def close(self) -> None:
        """Close every idle connection (connections in use close when released later)."""
        while self._idle:
            self.discard(self._idle.pop())


class AsyncRedisPool:
    """At most `max_connections` redis-py asyncio connections, owned by one event loop at a time."""

    def __init__(self, url: str, options: dict[str, Any], wait_s: float) -> None:
        template = AsyncConnectionPool.from_url(url, **options, retry=AsyncRetry(NoBackoff(), 0))
        self.connection_class: type[AsyncConnection] = template.connection_class
        self.connection_kwargs = dict(template.connection_kwargs)
        self.max_connections: int = options["max_connections"]
        self.wait_s = wait_s
        self.created = 0
        self._idle: deque[AsyncConnection] = deque()
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None

    def _adopt(self, loop: asyncio.AbstractEventLoop) -> None:
        """Connections belong to the loop that opened them: a new loop starts a fresh pool."""
        for conn in self._idle:
            transport = getattr(conn._writer, "transport", None)
            if transport is not None:
                with contextlib.suppress(Exception):  # the old loop may be closed already
                    transport.abort()
        self._idle = deque()
        self.created = 0
        self._waiters = deque()
        self._loop = loop

    async def acquire(self) -> tuple[AsyncConnection, bool]:
        """A connected idle connection (reused=True), a new one while under the cap, or wait."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._adopt(loop)
        while True:
            if self._idle:
                conn, reused = self._idle.pop(), True
                break
            if self.created < self.max_connections:
                self.created += 1
                conn, reused = self.connection_class(**self.connection_kwargs), False
                break
            waiter = loop.create_future()
            self._waiters.append(waiter)
            try:
                await asyncio.wait_for(waiter, self.wait_s)
            except asyncio.TimeoutError:
                raise _exhausted(self.max_connections, self.wait_s) from None
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
        if not conn.is_connected:
            try:
                await conn.connect()  # type: ignore[no-untyped-call]
            except BaseException:  # includes cancellation: the slot is free again
                await self.discard(conn)
                raise
        return conn, reused

    def send(self, conn: AsyncConnection, packed: bytes) -> bool:
        """Write a packed buffer to the stream; True if it is big enough to `flush` before reading.

        Written straight to the stream: redis-py's send_packed_command wraps every write in
        asyncio.wait_for, a task per command. Reads keep redis-py's timeout.
        """
        conn._writer.write(packed)  # type: ignore[union-attr]  # connected by acquire()
        return len(packed) > _FLUSH_ABOVE

    async def flush(self, conn: AsyncConnection) -> None:
        """Wait until the transport's buffer drains (flow control for big writes)."""
        await conn._writer.drain()  # type: ignore[union-attr]

    async def read_replies(self, conn: AsyncConnection, n: int) -> list[Any]:
        """`n` replies in order, error replies as exceptions (not raised), taken straight from the
        hiredis reader. Bytes already received are fed to it at once; a wait for more goes through
        redis-py's `read_response` and its timeout."""
        parser: Any = conn._parser
        reader = getattr(parser, "_reader", None)
        stream = getattr(parser, "_stream", None)
        out: list[Any] = []
        append, missing = out.append, n
        while missing:
            if reader is not None:
                gets = reader.gets
                while missing:
                    reply = gets()
                    if reply is NOT_ENOUGH_DATA:
                        break
                    append(reply)
                    missing -= 1
                if not missing:
                    break
                if stream is not None and getattr(stream, "_buffer", None):  # received: no wait
                    await parser.read_from_socket()
                    continue
            try:
                append(await conn.read_response())
            except ResponseError as exc:
                append(exc)
            missing -= 1
        return out

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def release(self, conn: AsyncConnection) -> None:
        """Give a connection back, its replies all read."""
        self._idle.append(conn)
        if self._waiters:
            self._wake()

    async def discard(self, conn: AsyncConnection) -> None:
        """Drop a connection that may hold a half-read reply, and let a waiter open a new one."""
        self.created -= 1
        self._wake()
        await conn.disconnect(nowait=True)

    async def close(self) -> None:
        """Close every idle connection."""
        while self._idle:
            await self.discard(self._idle.pop())
