"""The cache API, written once and run against every backend, sync and async."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from decimal import Decimal
from uuid import UUID

import pytest

from labkit.errors import CacheArgumentError, UnserializableValue

VALUES = {
    "dict": {"id": 42, "name": "Ada", "nested": {"ok": True, "xs": [1, 2, 3]}},
    "list": [1, "two", 3.0, None, False],
    "str": "héllo wörld",
    "bytes": b"\x00\xffbinary",
    "int": -12345678901234,
    "bigint": 2**100,
    "float": 3.141592653589793,
    "bool": True,
    "none": None,
    "naive_datetime": dt.datetime(2024, 2, 29, 23, 59, 59, 999999),
    "utc_datetime": dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.timezone.utc),
    "offset_datetime": dt.datetime(
        2024, 1, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))
    ),
    "zone_datetime": dt.datetime(2024, 7, 1, 9, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Istanbul")),
    "date": dt.date(1999, 12, 31),
    "decimal": Decimal("12345.6789"),
    "uuid": UUID("12345678-1234-5678-1234-567812345678"),
}


@pytest.mark.parametrize("name", sorted(VALUES))
async def test_a_value_comes_back_equal_and_of_the_same_type(cache, name, aw):
    value = VALUES[name]
    await aw(cache.set(name, value, ttl=30))
    got = await aw(cache.get(name, default="MISSING"))
    assert got == value
    assert type(got) is type(value)
    if isinstance(value, dt.datetime):
        assert got.tzinfo == value.tzinfo


async def test_a_missing_key_gives_the_default(cache, aw):
    assert await aw(cache.get("nope")) is None
    assert await aw(cache.get("nope", default=7)) == 7


async def test_a_stored_none_is_not_a_miss(cache, aw):
    await aw(cache.set("n", None, ttl=30))
    assert await aw(cache.get("n", default="MISSING")) is None
    assert await aw(cache.exists("n"))


async def test_ttl_reports_the_time_left_of_what_was_set(cache, aw):
    await aw(cache.set("k", 1, ttl=30))
    left = await aw(cache.ttl("k"))
    assert 25 < left <= 30


async def test_the_default_ttl_applies_when_none_is_given(make_cache, aw):
    cache = make_cache(default_ttl=77)
    await aw(cache.set("k", 1))
    assert 70 < await aw(cache.ttl("k")) <= 77


async def test_ttl_of_a_missing_key_is_none(cache, aw):
    assert await aw(cache.ttl("nope")) is None


async def test_jitter_spreads_ttls_within_the_bounds(make_cache, aw):
    cache = make_cache(jitter=0.2, rng=random.Random(7))
    await aw(cache.set_many({f"k{i}": i for i in range(20)}, ttl=100))
    ttls = [await aw(cache.ttl(f"k{i}")) for i in range(20)]
    assert all(79 < t <= 120 for t in ttls)
    assert max(ttls) - min(ttls) > 5


@pytest.mark.parametrize("ttl", [0, -1, -0.5, float("nan"), float("inf"), "10", True])
async def test_a_bad_ttl_raises_value_error_and_writes_nothing(cache, ttl, aw):
    with pytest.raises(ValueError, match="ttl must be a positive number"):
        await aw(cache.set("k", 1, ttl=ttl))
    with pytest.raises(ValueError, match="ttl"):
        await aw(cache.set_many({"a": 1}, ttl=ttl))
    assert not await aw(cache.exists("k"))
    assert not await aw(cache.exists("a"))


@pytest.mark.parametrize("value", [{1, 2}, object(), {"deep": [complex(1, 2)]}])
async def test_an_unserializable_value_is_a_type_error_naming_it_and_not_written(cache, value, aw):
    with pytest.raises(TypeError, match=r"cannot cache a value of type (set|object|complex)"):
        await aw(cache.set("k", value))
    assert not await aw(cache.exists("k"))


async def test_set_many_with_one_unserializable_value_writes_nothing(cache, aw):
    with pytest.raises(UnserializableValue, match="frozenset"):
        await aw(cache.set_many({"a": 1, "b": frozenset(), "c": 3}))
    assert await aw(cache.get_many(["a", "b", "c"])) == {}


@pytest.mark.parametrize("key", ["", 5, None, b"bytes"])
async def test_a_bad_key_raises_naming_it(cache, key, aw):
    with pytest.raises(CacheArgumentError, match="cache key must be a non-empty string"):
        await aw(cache.set(key, 1))
    with pytest.raises(CacheArgumentError, match="cache key"):
        await aw(cache.get_many(["fine", key]))


async def test_delete_removes_entries_and_counts_those_that_existed(cache, aw):
    await aw(cache.set_many({"a": 1, "b": 2}))
    assert await aw(cache.delete("a", "b", "never")) == 2
    assert not await aw(cache.exists("a"))
    assert await aw(cache.delete("a")) == 0


async def test_get_many_returns_only_found_keys_including_stored_none(cache, aw):
    await aw(cache.set_many({"a": 1, "n": None}))
    assert await aw(cache.get_many(["a", "missing", "n"])) == {"a": 1, "n": None}
    assert await aw(cache.get_many([])) == {}


async def test_set_many_gives_every_key_its_ttl(cache, aw):
    await aw(cache.set_many({f"k{i}": {"i": i} for i in range(50)}, ttl=40))
    found = await aw(cache.get_many([f"k{i}" for i in range(50)]))
    assert found == {f"k{i}": {"i": i} for i in range(50)}
    for i in (0, 25, 49):
        assert 35 < await aw(cache.ttl(f"k{i}")) <= 40


async def test_corrupt_bytes_are_a_counted_miss_and_are_deleted(cache, aw):
    for key, junk in (("a", b"\xc1\xc1 not msgpack"), ("b", b"\x92\x01")):
        await aw(cache.backend.set(cache.full_key(key), junk, 30_000))
    assert await aw(cache.get("a", default="MISS")) == "MISS"
    assert await aw(cache.get_many(["b"])) == {}
    assert cache.metrics()["decode_errors"] == 2
    assert not await aw(cache.exists("a"))
    assert not await aw(cache.exists("b"))


async def test_invalidating_a_tag_drops_every_entry_written_with_it_and_nothing_else(cache, aw):
    await aw(cache.set("s42:profile", 1, tags=["student:42"]))
    await aw(cache.set("s42:courses", 2, tags=["student:42", "course:7"]))
    await aw(cache.set("s43:profile", 3, tags=["student:43"]))
    assert await aw(cache.invalidate_tags("student:42")) == 2
    assert await aw(cache.get_many(["s42:profile", "s42:courses", "s43:profile"])) == {
        "s43:profile": 3
    }
    assert await aw(cache.invalidate_tags("student:42")) == 0


async def test_bumping_a_namespace_returns_increasing_versions(cache, aw):
    assert await aw(cache.bump_namespace("user")) == 1
    assert await aw(cache.bump_namespace("user")) == 2
    assert await aw(cache.bump_namespace("course")) == 1


async def test_metrics_count_operations_and_reset(cache, aw):
    await aw(cache.set("a", "x" * 10))
    await aw(cache.get("a"))
    await aw(cache.get("a"))
    await aw(cache.get("missing"))
    await aw(cache.delete("a"))
    m = cache.metrics()
    assert (m["hits"], m["misses"], m["sets"], m["deletes"], m["errors"]) == (2, 1, 1, 1, 0)
    assert m["hit_rate"] == pytest.approx(2 / 3)
    assert m["bytes_written"] == m["bytes_read"] // 2 > 0
    get = m["latency"]["get"]
    assert get["count"] == 3
    assert 0 < get["p50_ms"] <= get["p95_ms"] <= get["p99_ms"]
    cache.reset_metrics()
    assert cache.metrics()["hits"] == 0
    assert cache.metrics()["latency"] == {}


async def test_a_returned_value_is_a_copy(cache, aw):
    await aw(cache.set("d", {"xs": [1]}))
    got = await aw(cache.get("d"))
    got["xs"].append(2)
    assert await aw(cache.get("d")) == {"xs": [1]}
