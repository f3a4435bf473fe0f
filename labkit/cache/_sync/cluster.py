# Generated from labkit/cache/_async/cluster.py by `make unasync`: do not edit.
"""The Redis Cluster backend: keys routed by slot, batches split by node and sent at once.

redis-py's cluster client reads the slot map (`labkit.cache.cluster_map`); commands are packed
by hand as in the single-node backend and sent on a bounded pool per node. `get_many`,
`set_many` and `delete` write one buffer to every node involved before reading any reply, so
the nodes work concurrently. A MOVED reply re-routes its slot and is retried, an ASK is
followed once with ASKING; a dead node fails the call at once (the region fails open) and has
the slot map read again, so a promoted replica is found without help.

Across slots nothing is atomic: an entry's tag sets are written first, then the entry; tag
invalidation pops each tag set, then deletes its members on their nodes. Keys that share a
hash tag (`{user:42}`) share a slot, and then the single-node Lua scripts run as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redis.exceptions import AskError, MovedError, NoScriptError, RedisClusterException, ResponseError
from redis.exceptions import ConnectionError as RedisConnectionError

from labkit.cache import resp
from labkit.cache._sync.redis import RedisBackend
from labkit.cache.cluster_map import SLOTS, ClusterMap, is_cluster_url, key_slot, parse_cluster_url
from labkit.cache.redis_pool import BACKEND_ERRORS, SERVER_ERRORS, RedisPool, connection_options, settings_options
from labkit.errors import CacheArgumentError
from labkit.secrets import mask_url
from labkit.settings import Settings

__all__ = ["RedisClusterBackend", "CLUSTER_ERRORS", "redis_backend_for"]

CLUSTER_ERRORS: tuple[type[BaseException], ...] = (*BACKEND_ERRORS, RedisClusterException)
_REDIRECTS = 5  # MOVED/ASK hops followed for one command before giving up
_ASKING = resp.pack(b"ASKING")
_REMEMBERED_KEYS = 4096  # keys whose slot and packed GET are kept (forgotten all at once when full)
_PLAIN = {bytes, int, list, type(None)}  # replies that are not errors


def _address(host: str, port: int) -> str:
    return f"{host}:{port}"


def _hash_tag_in(head: str) -> bool:
    """Whether `head` holds a complete hash tag, so that `head + anything` has `head`'s slot."""
    start = head.find("{")
    return start > -1 and head.find("}", start + 1) > start + 1


class RedisClusterBackend:
    """Bytes in, bytes out, on a Redis Cluster: a bounded pool of connections per node."""

    errors = CLUSTER_ERRORS
    server_errors = SERVER_ERRORS

    def __init__(
        self,
        url: str,
        *,
        max_connections: int = 50,
        socket_timeout: float = 0.5,
        connect_timeout: float = 0.5,
    ) -> None:
        self._url = self.cluster = parse_cluster_url(url)  # startup nodes and credentials
        first = _address(*self._url.startup[0])
        self._options = connection_options(self._url.node_url(first), max_connections, socket_timeout,
                                           connect_timeout)
        self._wait_s = socket_timeout + connect_timeout
        self.name = mask_url(url)
        self.max_connections = max_connections  # per node
        self.map = ClusterMap(self._url, connect_timeout)
        self._pools: dict[str, RedisPool] = {}
        self._route: list[RedisPool | None] = [None] * SLOTS
        self._routed = 0  # the map's `refreshes` that `_route` follows
        self._gets: dict[str, tuple[int, bytes]] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> RedisClusterBackend:
        """A backend on the cluster of `settings.redis_url` with the pool size and timeouts of `settings`."""
        if not settings.redis_url:
            raise CacheArgumentError("REDIS_URL is not set: give a redis+cluster:// URL")
        return cls(settings.redis_url, **settings_options(settings))

    # -- routing --------------------------------------------------------------------------

    def _pool(self, address: str) -> RedisPool:
        pool = self._pools.get(address)
        if pool is None:
            pool = RedisPool(self._url.node_url(address), self._options, self._wait_s)
            self._pools[address] = pool
        return pool

    def _refresh(self) -> None:
        """Read the slot map again (or take the read another caller just made); route by it."""
        self.map.refresh(self._routed)
        if self._routed != self.map.refreshes:
            owners = self.map.owners
            pools = {address: self._pool(address) for address in set(owners) if address}
            self._route = [pools[a] if a else None for a in owners]
            self._routed = self.map.refreshes

    def _node(self, slot: int) -> RedisPool:
        """The pool of the node serving `slot`, the slot map read first when it is stale or the
        slot unknown."""
        if self._route[slot] is None or (self.map.stale and self.map.due()):
            self._refresh()
        pool = self._route[slot]
        if pool is None:
            raise RedisClusterException(f"no node of {self.name} is known to serve slot {slot}")
        return pool

    def _moved(self, slot: int, exc: AskError) -> RedisPool:
        address = _address(*exc.node_addr)
        self.map.moved(slot, address)
        pool = self._route[slot] = self._pool(address)
        return pool

    # -- one connection ---------------------------------------------------------------------

    def _send(self, pool: RedisPool, packed: bytes, replies: int = 1, retry: bool = True) -> Any:
        """Send one buffer to one node, read `replies` replies; the last one is returned."""
        try:
            conn, reused = pool.acquire()  # connects when needed: a dead node fails here
        except BaseException:
            self.map.stale = True
            raise
        try:
            if pool.send(conn, packed):
                pool.flush(conn)
            out: Any = None
            error: ResponseError | None = None
            for _ in range(replies):
                try:
                    out = conn.read_response()
                except ResponseError as exc:
                    error = exc  # the last error counts: ASKING's +OK comes first
            if error is not None:
                raise error
        except ResponseError:
            pool.release(conn)
            raise
        except RedisConnectionError:
            pool.discard(conn)
            self.map.stale = True
            if reused and retry:  # an idle connection the server closed: try once on a new one
                return self._send(pool, packed, replies, retry=False)
            raise
        except BaseException:  # includes cancellation: a half-read connection is not reusable
            pool.discard(conn)
            self.map.stale = True
            raise
        pool.release(conn)
        return out

    def _call(self, slot: int, packed: bytes, retry: bool = True) -> Any:
        """Send one command for `slot` to its node, following MOVED and ASK redirections."""
        pool = self._route[slot]
        if pool is None or self.map.stale:
            pool = self._node(slot)
        for _ in range(_REDIRECTS):
            try:
                return self._send(pool, packed, retry=retry)
            except MovedError as exc:
                pool = self._moved(slot, exc)
            except AskError as exc:  # the slot is migrating: ask its new home, this once
                return self._send(self._pool(_address(*exc.node_addr)), _ASKING + packed, 2, retry)
        raise RedisClusterException(f"slot {slot} of {self.name} moved more than {_REDIRECTS} times")

    def _script(self, slot: int, script: resp.Script, keys: Sequence[bytes], args: Sequence[bytes]) -> Any:
        """Run a Lua script on the node of `slot` by its SHA, loading it with EVAL if needed."""
        try:
            return self._call(slot, script.evalsha(keys, args))
        except NoScriptError:
            return self._call(slot, script.eval(keys, args))

    # -- one buffer per node ----------------------------------------------------------------

    def _batch(self, keys: Sequence[bytes], commands: Sequence[bytes]) -> tuple[list[Any], list[int]]:
        """Send each command to the node of its key (see `_send_routes`)."""
        return self._send_routes([(key_slot(key), command) for key, command in zip(keys, commands)])

    def _send_routes(self, routes: Sequence[tuple[int, bytes]]) -> tuple[list[Any], list[int]]:
        """Send each (slot, command) to the node of its slot: one buffer per node, every buffer
        written before any reply is read. The replies in order (errors as exceptions) and the error indexes."""
        if self.map.stale and (self.map.due() or not self._routed):
            self._refresh()
        route = self._route
        groups: dict[RedisPool, tuple[list[int], list[bytes]]] = {}
        for i, (slot, command) in enumerate(routes):
            pool = route[slot] or self._node(slot)  # _node raises: no node known
            group = groups.get(pool)
            if group is None:
                groups[pool] = ([i], [command])
            else:
                group[0].append(i)
                group[1].append(command)
        out = self._exchange(groups, len(routes))
        return out, self._redirected(out, routes)

    def _exchange(self, groups: dict[RedisPool, tuple[list[int], list[bytes]]], n: int) -> list[Any]:
        """Write each node its commands in one buffer, all before reading; then read every reply
        into its place (errors as exceptions, not raised)."""
        out: list[Any] = [None] * n
        pending: list[tuple[RedisPool, Any, list[int]]] = []
        try:
            for pool, (indexes, commands) in groups.items():
                conn, _ = pool.acquire()
                pending.append((pool, conn, indexes))
                if pool.send(conn, b"".join(commands)):
                    pool.flush(conn)
            while pending:
                pool, conn, indexes = pending[-1]
                replies = pool.read_replies(conn, len(indexes))
                for i, reply in zip(indexes, replies):
                    out[i] = reply
                pending.pop()
                pool.release(conn)
        except BaseException:  # a dead node, a timeout, cancellation: unread replies spoil the rest
            for pool, conn, _ in pending:
                pool.discard(conn)
            self.map.stale = True
            raise
        return out

    def _redirected(self, out: list[Any], routes: Sequence[tuple[int, bytes]]) -> list[int]:
        """Send again, one by one, the (slot, command) whose slot moved (MOVED, ASK); the error
        indexes left."""
        if set(map(type, out)) <= _PLAIN:
            return []
        errors = [i for i, reply in enumerate(out) if isinstance(reply, ResponseError)]
        for i in errors:
            if isinstance(out[i], AskError):  # MOVED too: a slot that changed node since the map
                try:
                    out[i] = self._call(*routes[i])
                except ResponseError as exc:
                    out[i] = exc
        return [i for i in errors if isinstance(out[i], ResponseError)]

    def _get_route(self, key: str) -> tuple[int, bytes]:
        """(slot, packed GET) of `key`, remembered for the hot keys: neither ever changes."""
        kb = key.encode()
        known = self._gets
        if len(known) >= _REMEMBERED_KEYS:
            known.clear()
        route = known[key] = (key_slot(kb), resp.pack_get(kb))
        return route

    def _scripts(self, script: resp.Script, calls: Sequence[tuple[bytes, Sequence[bytes]]]) -> list[Any]:
        """Run `script` once per (key, args), each on the node of its key, batched per node."""
        keys = [key for key, _ in calls]
        out, errors = self._batch(keys, [script.evalsha([key], args) for key, args in calls])
        missing = [i for i in errors if isinstance(out[i], NoScriptError)]
        if missing:
            loaded, _ = self._batch([keys[i] for i in missing],
                                          [script.eval([keys[i]], calls[i][1]) for i in missing])
            for i, reply in zip(missing, loaded):
                out[i] = reply
        return out

    @staticmethod
    def _raise_first(replies: list[Any]) -> list[Any]:
        for reply in replies:
            if isinstance(reply, ResponseError):
                raise reply
        return replies

    # -- the backend API ------------------------------------------------------------------

    def get(self, key: str) -> bytes | None:
        """The bytes under `key`, or None."""
        kb = key.encode()
        data: bytes | None = self._call(key_slot(kb), resp.pack_get(kb))
        return data

    def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """The bytes under each key (None where missing or of another type), one buffer per node."""
        known = self._gets
        replies, errors = self._send_routes([known.get(k) or self._get_route(k) for k in keys])
        for i in errors:
            if not str(replies[i]).startswith("WRONGTYPE"):  # MGET reads another type as missing too
                raise replies[i]
            replies[i] = None
        return replies

    def set(self, key: str, data: bytes, ttl_ms: int) -> None:
        """Write `data` under `key` for `ttl_ms` milliseconds."""
        kb = key.encode()
        self._call(key_slot(kb), resp.pack_set_px(kb, data, ttl_ms))

    def set_many(self, items: Sequence[tuple[str, bytes, int]]) -> None:
        """Write every (key, data, ttl_ms), one buffer per node, each key with its own TTL."""
        if items:
            encoded = [(k.encode(), d, t) for k, d, t in items]
            replies, _ = self._batch([k for k, _, _ in encoded],
                                           [resp.pack_set_px(k, d, t) for k, d, t in encoded])
            self._raise_first(replies)

    def set_tagged(self, key: str, data: bytes, ttl_ms: int, tag_keys: Sequence[str]) -> None:
        """Write `data` and add `key` to each tag set: atomically when all share a slot, else tags first."""
        kb, ttl = key.encode(), b"%d" % ttl_ms
        tags = [t.encode() for t in tag_keys]
        slot = key_slot(kb)
        if all(key_slot(t) == slot for t in tags):
            self._script(slot, resp.SET_TAGGED, [kb, *tags], [data, ttl])
            return
        self._raise_first(self._scripts(resp.TAG_ENTRY, [(t, [kb, ttl]) for t in tags]))
        self._call(slot, resp.pack_set_px(kb, data, ttl_ms))

    def add(self, key: str, data: bytes, ttl_ms: int) -> bool:
        """Write only if `key` is absent (SET NX); True if written."""
        kb = key.encode()
        reply = self._call(key_slot(kb), resp.pack(b"SET", kb, data, b"PX", b"%d" % ttl_ms, b"NX"))
        return reply is not None

    def delete_if_equals(self, key: str, data: bytes) -> bool:
        """Delete `key` only if it holds `data` (a lock released by its owner)."""
        kb = key.encode()
        return bool(self._script(key_slot(kb), resp.DELETE_IF_EQUALS, [kb], [data]))

    def delete(self, keys: Sequence[str]) -> int:
        """Delete keys, one buffer per node; the number that existed."""
        if not keys:
            return 0
        encoded = [k.encode() for k in keys]
        replies, _ = self._batch(encoded, [resp.pack(b"DEL", k) for k in encoded])
        return sum(int(r) for r in self._raise_first(replies))

    def exists(self, key: str) -> bool:
        """Whether `key` holds a live entry."""
        kb = key.encode()
        return bool(self._call(key_slot(kb), resp.pack(b"EXISTS", kb)))

    def pttl(self, key: str) -> int | None:
        """Milliseconds `key` has left; None if missing or without expiry."""
        kb = key.encode()
        ms = int(self._call(key_slot(kb), resp.pack(b"PTTL", kb)))
        return ms if ms >= 0 else None

    def incr(self, key: str) -> int:
        """Add one to the counter under `key` (created at 0) and return it."""
        kb = key.encode()
        return int(self._call(key_slot(kb), resp.pack(b"INCR", kb), retry=False))

    def get_versioned(self, version_key: str, head: str, tail: str) -> tuple[int, bytes | None]:
        """A namespace version and the entry `head + version + tail`: one script when the entry
        shares the version's slot (a hash tag in `head`), else two reads."""
        vk = version_key.encode()
        slot = key_slot(vk)
        if _hash_tag_in(head) and key_slot(head.encode()) == slot:
            version, found = self._script(slot, resp.GET_VERSIONED, [vk], [head.encode(), tail.encode()])
            return int(version), found
        raw = self._call(slot, resp.pack_get(vk))
        version = int(raw) if raw is not None else 0
        entry = f"{head}{version}{tail}".encode()
        data: bytes | None = self._call(key_slot(entry), resp.pack_get(entry))
        return version, data

    def invalidate_tags(self, tag_keys: Sequence[str]) -> int:
        """Pop every tag set (members and set at once), then delete the members on their nodes."""
        if not tag_keys:
            return 0
        popped = self._raise_first(self._scripts(resp.POP_TAG, [(t.encode(), []) for t in tag_keys]))
        members = list(dict.fromkeys(m for found in popped for m in found))
        if not members:
            return 0
        replies, _ = self._batch(members, [resp.pack(b"DEL", m) for m in members])
        return sum(int(r) for r in self._raise_first(replies))

    def close(self) -> None:
        """Close every idle connection of every node (connections in use close when released later)."""
        for pool in self._pools.values():
            pool.close()


def redis_backend_for(url: str, **options: Any) -> RedisBackend | RedisClusterBackend:
    """The backend `url` names: a Redis Cluster for `redis+cluster://`, else one server; `options`
    are the pool size and timeouts."""
    if is_cluster_url(url):
        return RedisClusterBackend(url, **options)
    return RedisBackend(url, **options)
