"""Each backend meets the protocol of its flavour: `Backend` (sync) or `AsyncBackend`."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from labkit.cache import AsyncBackend, AsyncMemoryBackend, AsyncRedisBackend, Backend, MemoryBackend, RedisBackend

URL = "redis://127.0.0.1:1/0"  # never connected: building a backend opens nothing
BACKENDS = [(MemoryBackend(), Backend), (RedisBackend(URL), Backend),
            (AsyncMemoryBackend(), AsyncBackend), (AsyncRedisBackend(URL), AsyncBackend)]


def _methods(protocol: type) -> list[str]:
    return [n for n, v in vars(protocol).items() if inspect.isfunction(v) and not n.startswith("_")]


def meets(backend: Any, protocol: type) -> bool:
    """Whether `backend` has every member of `protocol`, each method of the same flavour
    (coroutine or not) and with the same parameter names."""
    if not isinstance(backend, protocol):
        return False
    for name in _methods(protocol):
        want, got = getattr(protocol, name), getattr(backend, name)
        if inspect.iscoroutinefunction(want) != inspect.iscoroutinefunction(got):
            return False
        if list(inspect.signature(want).parameters)[1:] != list(inspect.signature(got).parameters):
            return False
    return True


@pytest.mark.parametrize(("backend", "protocol"), BACKENDS, ids=lambda x: type(x).__name__)
def test_each_backend_meets_the_protocol_of_its_flavour_only(backend, protocol):
    other = AsyncBackend if protocol is Backend else Backend
    assert meets(backend, protocol)
    assert not meets(backend, other)


def test_the_protocols_name_the_whole_byte_level_api():
    assert sorted(_methods(Backend)) == sorted(_methods(AsyncBackend)) == [
        "add", "close", "delete", "delete_if_equals", "exists", "get", "get_many", "get_versioned",
        "incr", "invalidate_tags", "pttl", "set", "set_many", "set_tagged",
    ]


def test_a_backend_missing_a_method_or_with_other_parameters_is_not_accepted():
    class NoVersions(MemoryBackend):
        get_versioned = None  # type: ignore[assignment]

    class OtherNames(MemoryBackend):
        def get(self, name: str) -> bytes | None:  # type: ignore[override]
            return None

    assert not meets(NoVersions(), Backend)
    assert not meets(OtherNames(), Backend)
