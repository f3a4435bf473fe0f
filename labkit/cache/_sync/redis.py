# Generated from labkit/cache/_async/redis.py by `make unasync`: do not edit.
"""The Redis backend: redis-py connections with the hiredis parser, driven lean.

Commands are packed by hand and sent on pooled redis-py connections, skipping the per-call
machinery of `redis.Redis.execute_command`; retries are off and timeouts short, so a dead
server fails fast instead of stalling the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError

from labkit.cache import resp
from labkit.cache.redis_pool import BACKEND_ERRORS, SERVER_ERRORS, RedisPool, connection_options, settings_options
from labkit.errors import CacheArgumentError
from labkit.secrets import mask_url
from labkit.settings import Settings

__all__ = ["RedisBackend"]


class RedisBackend:
    """Bytes in, bytes out, on a bounded pool of redis-py connections."""

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
        self.name = mask_url(url)
        self.max_connections = max_connections
        self._pool = RedisPool(url, options, wait_s=socket_timeout + connect_timeout)

    @classmethod
    def from_settings(cls, settings: Settings) -> RedisBackend:
        """A backend on `settings.redis_url` with the pool size and timeouts of `settings`."""
        if not settings.redis_url:
            raise CacheArgumentError("REDIS_URL is not set: give a Redis URL, or use memory")
        return cls(settings.redis_url, **settings_options(settings))

    def _call(self, packed: bytes, replies: int = 1, retry: bool = True) -> Any:
        """Send one buffer, read `replies` replies (the last one, or a list if several)."""
        pool = self._pool
        conn, reused = pool.acquire()
        try:
            if pool.send(conn, packed):
                pool.flush(conn)
            out: Any
            if replies == 1:
                out = conn.read_response()
            else:
                out = [None] * replies
                error: ResponseError | None = None
                for i in range(replies):
                    try:
                        out[i] = conn.read_response()
                    except ResponseError as exc:
                        error = error or exc
                if error is not None:
                    raise error
        except ResponseError:
            pool.release(conn)
            raise
        except RedisConnectionError:
            pool.discard(conn)
            if reused and retry:  # an idle connection the server closed (a restart closed them all):
                pool.close()  # drop every idle one, then try once on a new connection
                return self._call(packed, replies, retry=False)
            raise
        except BaseException:  # includes cancellation: a half-read connection is not reusable
            pool.discard(conn)
            raise
        pool.release(conn)
        return out

    def _script(self, script: resp.Script, keys: Sequence[bytes], args: Sequence[bytes]) -> Any:
        """Run a Lua script by its SHA, loading it with EVAL when the server does not know it yet."""
        try:
            return self._call(script.evalsha(keys, args))
        except NoScriptError:
            return self._call(script.eval(keys, args))

    # -- the backend API ------------------------------------------------------------------

    def get(self, key: str) -> bytes | None:
        """The bytes under `key`, or None."""
        data: bytes | None = self._call(resp.pack_get(key.encode()))
        return data

    def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """The bytes under each key (None where missing), in one MGET."""
        datas: list[bytes | None] = self._call(resp.pack_mget([k.encode() for k in keys]))
        return datas

    def set(self, key: str, data: bytes, ttl_ms: int) -> None:
        """Write `data` under `key` for `ttl_ms` milliseconds."""
        self._call(resp.pack_set_px(key.encode(), data, ttl_ms))

    def set_many(self, items: Sequence[tuple[str, bytes, int]]) -> None:
        """Write every (key, data, ttl_ms) in one buffer and one round trip."""
        if items:
            packed = resp.pack_set_many([(k.encode(), d, t) for k, d, t in items])
            self._call(packed, replies=len(items))

    def set_tagged(self, key: str, data: bytes, ttl_ms: int, tag_keys: Sequence[str]) -> None:
        """Write `data` and add `key` to each tag set, atomically."""
        keys = [key.encode(), *(t.encode() for t in tag_keys)]
        self._script(resp.SET_TAGGED, keys, [data, b"%d" % ttl_ms])

    def add(self, key: str, data: bytes, ttl_ms: int) -> bool:
        """Write only if `key` is absent (SET NX); True if written."""
        packed = resp.pack(b"SET", key.encode(), data, b"PX", b"%d" % ttl_ms, b"NX")
        reply = self._call(packed)
        return reply is not None

    def delete_if_equals(self, key: str, data: bytes) -> bool:
        """Delete `key` only if it holds `data` (a lock released by its owner)."""
        return bool(self._script(resp.DELETE_IF_EQUALS, [key.encode()], [data]))

    def delete(self, keys: Sequence[str]) -> int:
        """Delete keys; the number that existed."""
        if not keys:
            return 0
        return int(self._call(resp.pack(b"DEL", *(k.encode() for k in keys))))

    def exists(self, key: str) -> bool:
        """Whether `key` holds a live entry."""
        return bool(self._call(resp.pack(b"EXISTS", key.encode())))

    def pttl(self, key: str) -> int | None:
        """Milliseconds `key` has left; None if missing or without expiry."""
        ms = int(self._call(resp.pack(b"PTTL", key.encode())))
        return ms if ms >= 0 else None

    def incr(self, key: str) -> int:
        """Add one to the counter under `key` (created at 0) and return it."""
        return int(self._call(resp.pack(b"INCR", key.encode()), retry=False))

    def get_versioned(self, version_key: str, head: str, tail: str) -> tuple[int, bytes | None]:
        """Read a namespace version and the entry `head + version + tail` in one round trip."""
        version, data = self._script(
            resp.GET_VERSIONED, [version_key.encode()], [head.encode(), tail.encode()]
        )
        return int(version), data

    def invalidate_tags(self, tag_keys: Sequence[str]) -> int:
        """Delete every entry in the tag sets, and the sets; the number of entries deleted."""
        if not tag_keys:
            return 0
        return int(self._script(resp.INVALIDATE_TAGS, [t.encode() for t in tag_keys], []))

    def close(self) -> None:
        """Close every idle connection (connections in use close when released later)."""
        self._pool.close()
