"""Invalidation messages from Redis itself: RESP3 `CLIENT TRACKING` in broadcast mode.

A listener holds one connection of its own to a server, says `HELLO 3`, turns on
`CLIENT TRACKING ON BCAST PREFIX ...` and then only reads: Redis pushes
`invalidate [keys]` whenever a key under a prefix is written, deleted, expired or evicted
(anyone's write, ours included), and `invalidate nil` when the database is flushed. Each message
reaches `on_keys` (None: drop everything); a lost connection reaches `on_lost` and the listener
connects again. Works on Redis 6+. Written per flavour, like `redis_pool.py`: a daemon thread
reads a socket, or a task reads an asyncio stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import hiredis
from redis.exceptions import ConnectionError as RedisConnectionError

from labkit.cache import resp

__all__ = [
    "CLIENT_NAME",
    "InvalidationListener",
    "AsyncInvalidationListener",
    "ListenerGroup",
    "AsyncListenerGroup",
    "tracking_commands",
]

OnKeys = Callable[[list[bytes] | None], None]
CLIENT_NAME = "labkit-tracking"  # how the listener's connection shows in CLIENT LIST
_RETRY_S = (0.05, 0.1, 0.2, 0.5, 1.0)  # waits between reconnection attempts, the last one repeated


def tracking_commands(prefixes: Sequence[str], username: str | None, password: str | None) -> bytes:
    """HELLO 3 (with AUTH when a password is given), CLIENT SETNAME, CLIENT TRACKING ON BCAST for
    `prefixes`: three replies."""
    hello = [b"HELLO", b"3"]
    if password is not None:
        hello += [b"AUTH", (username or "default").encode(), password.encode()]
    tracking = [b"CLIENT", b"TRACKING", b"ON", b"BCAST"]
    for prefix in prefixes:
        tracking += [b"PREFIX", prefix.encode()]
    return resp.pack(*hello) + resp.pack(b"CLIENT", b"SETNAME", CLIENT_NAME.encode()) + resp.pack(*tracking)


def _push_keys(message: Any) -> tuple[bool, list[bytes] | None]:
    """(is an invalidation, its keys or None for all) for one message read from the connection."""
    if isinstance(message, list) and len(message) == 2 and message[0] == b"invalidate":
        keys = message[1]
        return True, list(keys) if keys is not None else None
    return False, None


_LISTENERS: weakref.WeakSet[_ListenerBase] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    """A forked child has no listener thread or task: nothing it holds locally may be trusted."""
    for listener in list(_LISTENERS):
        listener._forked()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class _ListenerBase:
    """What both flavours share: where to connect, the callbacks, and the state a cache checks."""

    def __init__(self, host: str, port: int, prefixes: Sequence[str], on_keys: OnKeys,
                 on_lost: Callable[[], None], *, username: str | None = None, password: str | None = None,
                 connect_timeout: float = 0.5, on_ready: Callable[[], None] | None = None) -> None:
        self.host, self.port = host, port
        self.prefixes = tuple(prefixes)
        self.on_keys, self.on_lost, self.on_ready = on_keys, on_lost, on_ready
        self.connect_timeout = connect_timeout
        self.generation = 0  # +1 each time tracking is (re)established; entries of older ones are void
        self.ready = False  # tracking is on now: invalidations will arrive
        self.messages = 0  # invalidation messages received
        self.client_id = -1  # the server's id of the tracking connection (CLIENT KILL ID ...)
        self._hello = tracking_commands(self.prefixes, username, password)
        self._closing = False
        _LISTENERS.add(self)

    def _forked(self) -> None:
        self._lost()

    def _handshake_done(self, replies: list[Any]) -> None:
        for reply in replies:
            if isinstance(reply, Exception):
                raise reply
        hello = replies[0]
        self.client_id = int(hello.get(b"id", -1)) if isinstance(hello, dict) else -1
        self.generation += 1
        self.ready = True
        if self.on_ready is not None:
            self.on_ready()

    def _dispatch(self, message: Any) -> None:
        invalidation, keys = _push_keys(message)
        if invalidation:
            self.messages += 1
            self.on_keys(keys)

    def _lost(self) -> None:
        if self.ready:
            self.ready = False
            self.on_lost()


class InvalidationListener(_ListenerBase):
    """Reads invalidation messages on a daemon thread; `start()` once, `stop()` at the end."""

    _thread: threading.Thread | None = None

    def _forked(self) -> None:
        self._thread = None  # the parent's thread does not exist here
        self._lost()

    def start(self) -> None:
        """Start the reading thread (idempotent)."""
        if self._thread is None:
            self._closing = False
            self._sock: socket.socket | None = None
            self._thread = threading.Thread(target=self._run, name=f"labkit-tracking-{self.port}", daemon=True)
            self._thread.start()

    def wait_ready(self, timeout: float) -> bool:
        """Wait until tracking is on (for tests and warm starts); whether it is."""
        deadline = time.monotonic() + timeout
        while not self.ready and time.monotonic() < deadline:
            time.sleep(0.001)
        return self.ready

    def _run(self) -> None:
        attempt = 0
        while not self._closing:
            try:
                self._listen()
                attempt = 0
            except (OSError, hiredis.ProtocolError, Exception):
                pass
            self._lost()
            if self._closing:
                return
            time.sleep(_RETRY_S[min(attempt, len(_RETRY_S) - 1)])
            attempt += 1

    def _listen(self) -> None:
        sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
        self._sock = sock
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.sendall(self._hello)
            reader = hiredis.Reader()
            sock.settimeout(None)  # a quiet server is fine: we only wait for messages

            def read() -> Any:
                while True:
                    message = reader.gets()
                    if message is not False:
                        return message
                    data = sock.recv(65536)
                    if not data:
                        raise RedisConnectionError("the server closed the tracking connection")
                    reader.feed(data)

            self._handshake_done([read(), read(), read()])
            while not self._closing:
                self._dispatch(read())
        finally:
            self._sock = None
            sock.close()

    def discard(self) -> None:
        """Close the connection and let the thread end by itself (no wait)."""
        self._closing = True
        sock = getattr(self, "_sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._thread = None

    def stop(self) -> None:
        """Close the connection and end the thread."""
        thread = self._thread
        self.discard()
        if thread is not None:
            thread.join(timeout=2)
        self._lost()


class AsyncInvalidationListener(_ListenerBase):
    """Reads invalidation messages in a task of the running event loop; `start()` in that loop."""

    _task: asyncio.Task[None] | None = None
    _loop: asyncio.AbstractEventLoop | None = None

    def _forked(self) -> None:
        self._task = None
        self._lost()

    def start(self) -> None:
        """Start the reading task in the running loop (again in a new loop; idempotent otherwise)."""
        loop = asyncio.get_running_loop()
        if self._task is not None and self._loop is loop and not self._task.done():
            return
        if self._task is not None and self._loop is not loop:
            self._lost()  # the old loop's connection is gone with it
        self._closing = False
        self._loop = loop
        self._task = loop.create_task(self._run(), name=f"labkit-tracking-{self.port}")

    async def wait_ready(self, timeout: float) -> bool:
        """Wait until tracking is on (for tests and warm starts); whether it is."""
        deadline = time.monotonic() + timeout
        while not self.ready and time.monotonic() < deadline:
            await asyncio.sleep(0.001)
        return self.ready

    async def _run(self) -> None:
        attempt = 0
        while not self._closing:
            try:
                await self._listen()
                attempt = 0
            except asyncio.CancelledError:
                self._lost()
                raise
            except Exception:
                pass
            self._lost()
            if self._closing:
                return
            await asyncio.sleep(_RETRY_S[min(attempt, len(_RETRY_S) - 1)])
            attempt += 1

    async def _listen(self) -> None:
        stream, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port),
                                                self.connect_timeout)
        try:
            writer.write(self._hello)
            reader = hiredis.Reader()

            async def read() -> Any:
                while True:
                    message = reader.gets()
                    if message is not False:
                        return message
                    data = await stream.read(65536)
                    if not data:
                        raise RedisConnectionError("the server closed the tracking connection")
                    reader.feed(data)

            self._handshake_done([await read(), await read(), await read()])
            while not self._closing:
                self._dispatch(await read())
        finally:
            writer.close()

    def discard(self) -> None:
        """Cancel the task (no wait)."""
        self._closing = True
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()

    async def stop(self) -> None:
        """Close the connection and end the task."""
        task = self._task
        self.discard()
        if task is not None and not task.done():
            if task.get_loop() is asyncio.get_running_loop():
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._lost()


class _GroupBase:
    """One listener per master of a Redis Cluster (each node reports its own keys), kept in line
    with the cluster's masters; ready when every one of them is."""

    def __init__(self, masters: Callable[[], set[str]], make: Callable[[str], Any],
                 on_lost: Callable[[], None]) -> None:
        self._masters, self._make, self._on_lost = masters, make, on_lost
        self.listeners: dict[str, Any] = {}
        self.ready = False
        self.generation = 0  # +1 whenever a member (re)connects: entries kept before are void

    @property
    def messages(self) -> int:
        """Invalidation messages received by the current listeners."""
        return sum(int(m.messages) for m in self.listeners.values())

    def start(self) -> None:
        """A listener for every master now known, none for a node that no longer is one."""
        masters = self._masters()
        for address in set(self.listeners) - masters:
            self.listeners.pop(address).discard()
        for address in masters - set(self.listeners):
            listener = self._make(address)
            listener.on_ready, listener.on_lost = self._member_ready, self._member_lost
            self.listeners[address] = listener
            listener.start()
        self._member_ready()

    def _member_ready(self) -> None:
        self.generation += 1
        self.ready = bool(self.listeners) and all(m.ready for m in self.listeners.values())

    def _member_lost(self) -> None:
        self.ready = False
        self._on_lost()
        self.generation += 1



class ListenerGroup(_GroupBase):
    """`InvalidationListener`s on every master of a cluster."""

    def wait_ready(self, timeout: float) -> bool:
        """Wait until every master's tracking is on; whether it is."""
        deadline = time.monotonic() + timeout
        while not self.ready and time.monotonic() < deadline:
            self.start()
            time.sleep(0.001)
        return self.ready

    def stop(self) -> None:
        """Stop every listener."""
        listeners, self.listeners = list(self.listeners.values()), {}
        self.ready = False
        for listener in listeners:
            listener.stop()


class AsyncListenerGroup(_GroupBase):
    """`AsyncInvalidationListener`s on every master of a cluster."""

    async def wait_ready(self, timeout: float) -> bool:
        """Wait until every master's tracking is on; whether it is."""
        deadline = time.monotonic() + timeout
        while not self.ready and time.monotonic() < deadline:
            self.start()
            await asyncio.sleep(0.001)
        return self.ready

    async def stop(self) -> None:
        """Stop every listener."""
        listeners, self.listeners = list(self.listeners.values()), {}
        self.ready = False
        for listener in listeners:
            await listener.stop()
