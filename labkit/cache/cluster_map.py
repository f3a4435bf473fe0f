"""Where each of a Redis Cluster's 16384 slots lives, as redis-py's cluster client reads it.

redis-py's `RedisCluster` (and its asyncio twin) discovers a cluster from startup nodes and
parses CLUSTER SLOTS; `ClusterMap` keeps the answer as a flat table slot -> "host:port" that
the cluster backends route by, and reads it again when asked (after a MOVED reply or a dead
node), at most once per `min_interval`. Written per flavour, like `redis_pool.py`: the sync
client connects in its constructor, the asyncio one in `initialize()`.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

from redis.asyncio.cluster import ClusterNode as AsyncClusterNode
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.cluster import ClusterNode, RedisCluster
from redis.crc import key_slot
from redis.retry import Retry

from labkit.errors import CacheArgumentError
from labkit.secrets import mask_url
from labkit.settings import REDIS_CLUSTER_SCHEMES

__all__ = ["SLOTS", "ClusterURL", "ClusterMap", "AsyncClusterMap", "is_cluster_url", "key_slot",
           "parse_cluster_url"]

SLOTS = 16384


@dataclass(frozen=True)
class ClusterURL:
    """A `redis+cluster://[user:password@]host:port[,host:port...][?options]` URL, taken apart."""

    startup: tuple[tuple[str, int], ...]  # the nodes to ask for the slot map first
    tls: bool
    username: str | None
    password: str | None
    query: str  # passed on to each node's URL (timeouts are the backend's own)

    def node_url(self, address: str) -> str:
        """The single-node URL of one cluster node (`host:port`), credentials included."""
        scheme = "rediss" if self.tls else "redis"
        auth = ""
        if self.username or self.password is not None:
            user = quote(self.username or "", safe="")
            auth = f"{user}@" if self.password is None else f"{user}:{quote(self.password, safe='')}@"
        query = f"?{self.query}" if self.query else ""
        return f"{scheme}://{auth}{address}/0{query}"


def is_cluster_url(url: str | None) -> bool:
    """Whether `url` names a Redis Cluster (`redis+cluster://` or `rediss+cluster://`)."""
    return bool(url) and str(url).partition("://")[0].lower() in REDIS_CLUSTER_SCHEMES


def parse_cluster_url(url: str) -> ClusterURL:
    """Take a cluster URL apart; `CacheArgumentError` names what is wrong with it."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in REDIS_CLUSTER_SCHEMES:
        raise CacheArgumentError(
            f"Redis Cluster URL {mask_url(url)!r} must start with one of "
            + ", ".join(f"{s}://" for s in REDIS_CLUSTER_SCHEMES)
        )
    rest, _, query = rest.partition("?")
    hosts, _, db = rest.partition("/")
    if db not in ("", "0"):
        raise CacheArgumentError(f"a Redis Cluster has database 0 only, got /{db} in {mask_url(url)!r}")
    userinfo, at, hosts = hosts.rpartition("@")
    username = password = None
    if at:
        user, colon, secret = userinfo.partition(":")
        username = unquote(user) or None
        password = unquote(secret) if colon else None
    startup = []
    for part in hosts.split(","):
        host, colon, port = part.strip().rpartition(":")
        if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise CacheArgumentError(
                f"Redis Cluster URL {mask_url(url)!r}: {part!r} is not host:port "
                "(give one or more startup nodes as host:port,host:port)"
            )
        startup.append((host.strip("[]"), int(port)))
    for name, _ in parse_qsl(query):
        if name in ("socket_timeout", "socket_connect_timeout", "db"):
            raise CacheArgumentError(f"give {name} to the backend, not in the URL {mask_url(url)!r}")
    return ClusterURL(tuple(startup), scheme.lower().startswith("rediss"), username, password, query)


def _options(url: ClusterURL, connect_timeout: float) -> dict[str, Any]:
    """redis-py cluster options for reading the slot map: short timeouts (each map adds its no-retry Retry)."""
    options: dict[str, Any] = {
        "socket_timeout": connect_timeout,
        "socket_connect_timeout": connect_timeout,
        "require_full_coverage": False,  # during a failover some slots have no live master yet
    }
    if url.username:
        options["username"] = url.username
    if url.password is not None:
        options["password"] = url.password
    if url.tls:
        options["ssl"] = True
    return options


def _owners(slots_cache: dict[int, list[Any]]) -> list[str | None]:
    owners: list[str | None] = [None] * SLOTS
    for slot, nodes in slots_cache.items():
        if nodes:
            owners[slot] = str(nodes[0].name)  # the primary comes first
    return owners


class _MapBase:
    """The table and when to read it again; no I/O here."""

    def __init__(self, url: ClusterURL, connect_timeout: float, min_interval: float = 0.1,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.url = url
        self.owners: list[str | None] = [None] * SLOTS
        self.known: list[tuple[str, int]] = list(url.startup)  # startup nodes, then those found
        self.stale = True
        self.refreshes = 0
        self._options = _options(url, connect_timeout)
        self._min_interval = min_interval
        self._clock = clock
        self._refreshed_at = -math.inf

    def due(self) -> bool:
        """Whether the table should be read again now (stale, and not read in `min_interval`)."""
        return self.stale and self._clock() - self._refreshed_at >= self._min_interval

    def moved(self, slot: int, address: str) -> None:
        """A MOVED reply: the slot lives at `address` now; read the whole table again soon."""
        self.owners[slot] = address
        self.stale = True

    def _publish(self, slots_cache: dict[int, list[Any]]) -> None:
        self.owners = _owners(slots_cache)
        for address in {o for o in self.owners if o}:
            host, _, port = address.rpartition(":")
            if (host, int(port)) not in self.known:
                self.known.append((host, int(port)))
        self.stale = False
        self.refreshes += 1


class ClusterMap(_MapBase):
    """The slot table of a cluster, read with redis-py's sync `RedisCluster`; threads share it."""

    def __init__(self, url: ClusterURL, connect_timeout: float, min_interval: float = 0.1,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(url, connect_timeout, min_interval, clock)
        self._lock = threading.Lock()

    def refresh(self, seen: int | None = None) -> None:
        """Read CLUSTER SLOTS through redis-py (any known node that answers); raises if none does.

        With `seen` (the `refreshes` count the caller saw), a read that another thread finished
        meanwhile is taken instead of a new one.
        """
        with self._lock:
            if seen is not None and seen != self.refreshes:
                return
            self._refreshed_at = self._clock()
            nodes = [ClusterNode(h, p) for h, p in self.known]  # type: ignore[no-untyped-call]
            client = RedisCluster(startup_nodes=nodes, **self._options, retry=Retry(NoBackoff(), 0))
            try:
                self._publish(client.nodes_manager.slots_cache)
            finally:
                client.close()


class AsyncClusterMap(_MapBase):
    """The slot table of a cluster, read with redis-py's `redis.asyncio.cluster.RedisCluster`."""

    def __init__(self, url: ClusterURL, connect_timeout: float, min_interval: float = 0.1,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(url, connect_timeout, min_interval, clock)
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def refresh(self, seen: int | None = None) -> None:
        """Read CLUSTER SLOTS through redis-py (any known node that answers); raises if none does.

        With `seen` (the `refreshes` count the caller saw), a read that another task finished
        meanwhile is taken instead of a new one.
        """
        loop = asyncio.get_running_loop()
        if self._lock is None or self._loop is not loop:  # a lock serves one event loop
            self._lock, self._loop = asyncio.Lock(), loop
        async with self._lock:
            if seen is not None and seen != self.refreshes:
                return
            self._refreshed_at = self._clock()
            nodes = [AsyncClusterNode(h, p) for h, p in self.known]
            client = AsyncRedisCluster(startup_nodes=nodes, **self._options, retry=AsyncRetry(NoBackoff(), 0))
            try:
                await client.initialize()
                self._publish(client.nodes_manager.slots_cache)
            finally:
                await client.aclose()
