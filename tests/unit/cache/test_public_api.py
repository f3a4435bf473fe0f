"""The cache package's public surface, and that importing it does nothing."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hiredis import Reader

import labkit.cache
from labkit.cache import AsyncCache, Cache, cached, default_cache, resp, set_default_cache
from labkit.errors import CacheArgumentError


def test_the_public_names_are_pinned():
    assert sorted(labkit.cache.__all__) == [
        "AsyncBackend",
        "AsyncCache",
        "AsyncCachedFunction",
        "AsyncMemoryBackend",
        "AsyncNearCacheBackend",
        "AsyncRedisBackend",
        "AsyncRedisClusterBackend",
        "Backend",
        "Cache",
        "CachedFunction",
        "CircuitBreaker",
        "MemoryBackend",
        "NearCacheBackend",
        "RedisBackend",
        "RedisClusterBackend",
        "cached",
        "default_cache",
        "dumps",
        "loads",
        "set_default_cache",
    ]
    for name in labkit.cache.__all__:
        assert getattr(labkit.cache, name) is not None


def test_importing_and_building_caches_opens_no_connection():
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise AssertionError('connected at import')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "import labkit.cache as c\n"
        "c.Cache.from_url('redis://127.0.0.1:1/0'); c.AsyncCache.from_url('redis://127.0.0.1:1/0')\n"
        "c.Cache.from_url('redis+cluster://127.0.0.1:1'); c.AsyncCache.from_url('redis+cluster://127.0.0.1:1')\n"
        "@c.cached(prefix='p', ttl=1)\n"
        "def f(x): return x\n"
        "print('quiet')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "quiet"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"ttl": 0}, "ttl must be a positive number"),
        ({"none_ttl": -1}, "none_ttl must be"),
        ({"prefix": ""}, "prefix must be a non-empty string"),
        ({"key": 3}, "key must be a template string or a callable"),
        ({"tags": [""]}, "tags must be non-empty strings"),
        ({"cache": "redis://x"}, "cache must be a Cache or AsyncCache"),
        ({"lock_wait": 0}, "lock_wait must be"),
    ],
)
def test_bad_decorator_arguments_fail_at_decoration(options, message):
    with pytest.raises(CacheArgumentError, match=message):
        cached(**options)


def test_an_async_function_needs_an_async_cache_and_a_sync_one_a_sync_cache():
    with pytest.raises(CacheArgumentError, match="needs an AsyncCache"):

        @cached(cache=Cache.memory())
        async def f(x: int) -> int:
            return x

    with pytest.raises(CacheArgumentError, match="needs a Cache"):

        @cached(cache=AsyncCache.memory())
        def g(x: int) -> int:
            return x


def test_the_default_cache_is_used_when_none_is_given():
    memory = Cache.memory()
    set_default_cache(memory)
    try:

        @cached(prefix="d", ttl=10)
        def double(x: int) -> int:
            return 2 * x

        assert double(4) == 8
        assert default_cache("sync") is memory
        assert memory.get("d:4") == 8
    finally:
        set_default_cache(None)


def test_bare_cached_uses_the_qualified_name_as_prefix():
    memory = Cache.memory()
    set_default_cache(memory)
    try:

        @cached
        def triple(x: int) -> int:
            return 3 * x

        assert triple(2) == 6
        assert triple.key_for(2).endswith("triple:2")
    finally:
        set_default_cache(None)


def test_hand_packed_commands_parse_as_the_commands_they_claim():
    reader = Reader()
    reader.feed(resp.pack_set_px(b"k\xc3\xa9y", b"\x00v\r\n", 1500))
    reader.feed(resp.pack_mget([b"a", b"bb"]))
    reader.feed(resp.pack_get(b"g"))
    reader.feed(resp.pack_set_many([(b"a", b"1", 10), (b"b", b"", 10), (b"c", b"3", 200)]))
    assert reader.gets() == [b"SET", b"k\xc3\xa9y", b"\x00v\r\n", b"PX", b"1500"]
    assert reader.gets() == [b"MGET", b"a", b"bb"]
    assert reader.gets() == [b"GET", b"g"]
    assert reader.gets() == [b"SET", b"a", b"1", b"PX", b"10"]
    assert reader.gets() == [b"SET", b"b", b"", b"PX", b"10"]
    assert reader.gets() == [b"SET", b"c", b"3", b"PX", b"200"]
    assert reader.gets() is False
