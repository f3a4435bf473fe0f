"""`@cached` keeps the wrapped function's signature, for mypy, and its cache controls at run time."""

from __future__ import annotations

import inspect
import re
import textwrap
from pathlib import Path

import pytest
from mypy import api as mypy_api

from labkit.cache import AsyncCache, Cache, cached


def test_the_sync_wrapper_carries_its_controls():
    cache = Cache.memory()

    def double(x: int) -> int:
        return 2 * x

    f = cached(prefix="d", ttl=10, cache=cache)(double)
    assert f(2) == 4 and f.uncached is double and f.cache() is cache
    assert f.options.prefix == "d" and f.options.ttl == 10
    assert f.key_for(2) == "d:2" and f.invalidate(2) and not f.invalidate(2)
    assert f.__name__ == "double" and f.__wrapped__ is double


async def test_the_async_wrapper_carries_its_controls():
    cache = AsyncCache.memory()

    async def double(x: int) -> int:
        return 2 * x

    f = cached(prefix="d", ttl=10, cache=cache)(double)
    assert await f(2) == 4 and f.uncached is double and f.cache() is cache
    assert inspect.iscoroutinefunction(f) and f.key_for(x=2) == "d:2"
    assert await f.invalidate(2) and not await f.invalidate(2)


SNIPPET = '''
from labkit.cache import (AsyncBackend, AsyncCache, AsyncMemoryBackend, AsyncRedisBackend, Backend,
                          Cache, MemoryBackend, RedisBackend, cached)

backends: list[Backend] = [MemoryBackend(), RedisBackend("redis://h")]
async_backends: list[AsyncBackend] = [AsyncMemoryBackend(), AsyncRedisBackend("redis://h")]
wrong_flavour: Backend = AsyncMemoryBackend()  # E: assignment

@cached(prefix="user", ttl=60, cache=Cache.memory())
def user(user_id: int, lang: str = "en") -> dict[str, int]:
    return {"id": user_id}

@cached(prefix="auser", cache=AsyncCache.memory())
async def auser(user_id: int) -> list[str]:
    return []

class Repo:
    @cached
    def name(self, user_id: int) -> str:
        return ""

async def calls() -> None:
    got: dict[str, int] = user(1, lang="fr")
    listed: list[str] = await auser(2)
    named: str = Repo().name(3)
    removed: bool = user.invalidate(1) and await auser.invalidate(2)
    key: str = user.key_for(1) + auser.key_for(2) + user.cache().key_prefix + auser.cache().key_prefix
    user("1")  # E: arg-type
    user(1, colour="red")  # E: call-arg
    wrong: str = user(1)  # E: assignment
    await auser(user_id="2")  # E: arg-type
    not_awaited: list[str] = auser(2)  # E: assignment
    Repo().name("3")  # E: arg-type
    user.invalidate(1, "fr", "x")  # E: call-arg
    print(got, listed, named, removed, key, wrong, not_awaited)
'''


def test_mypy_checks_calls_against_the_wrapped_signature_and_backends_against_their_protocol(
    tmp_path: Path, request: pytest.FixtureRequest
):
    code = textwrap.dedent(SNIPPET)
    snippet = tmp_path / "snippet.py"
    snippet.write_text(code)
    expected = {(i, m.group(1)) for i, line in enumerate(code.splitlines(), 1)
                if (m := re.search(r"# E: ([a-z-]+)", line))}
    cache = getattr(request.config, "cache", None)  # absent under -p no:cacheprovider
    cache_dir = cache.mkdir("mypy") if cache else tmp_path / "mypy"
    out, _, _ = mypy_api.run(["--strict", "--no-error-summary", "--cache-dir", str(cache_dir), str(snippet)])
    errors = re.findall(r"snippet\.py:(\d+): error: .*\[([a-z-]+)\]", out)
    found = {(int(line), code) for line, code in errors}
    assert found == expected, out
