"""Msgpack encoding: supported types round-trip, others fail clearly, bad bytes are named."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from uuid import uuid4

import msgpack
import pytest

from labkit.cache.serializer import DecodeError, dumps, loads


@pytest.mark.parametrize(
    "value",
    [
        {"a": [1, {"b": None}]},
        {1: "int keys", 2: "stay ints"},
        dt.datetime(2024, 11, 3, 1, 30, tzinfo=zoneinfo.ZoneInfo("America/New_York"), fold=1),
        dt.datetime(2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=-3, minutes=-30))),
        dt.date(1, 1, 1),
        Decimal("-0.000001"),
        Decimal("1E+30"),
        uuid4(),
        -(2**64),
        2**64,
    ],
)
def test_values_round_trip_with_type_and_time_zone(value):
    got = loads(dumps(value))
    assert got == value and type(got) is type(value)
    if isinstance(value, dt.datetime):
        assert got.tzinfo == value.tzinfo and got.fold == value.fold


def test_a_tuple_comes_back_as_a_list():
    assert loads(dumps((1, 2))) == [1, 2]


def test_plain_values_are_plain_msgpack_that_other_clients_read():
    assert msgpack.unpackb(dumps({"a": [1, "x"]})) == {"a": [1, "x"]}


@pytest.mark.parametrize(("value", "name"), [({1}, "set"), (1j, "complex"),
                                             ([object()], "object")])
def test_an_unserializable_value_is_a_type_error_naming_its_type(value, name):
    with pytest.raises(TypeError, match=f"cannot cache a value of type {name}"):
        dumps(value)


def test_a_class_from_a_module_is_named_with_its_module():
    class Point:
        pass

    with pytest.raises(TypeError, match=r"of type \S*Point"):
        dumps(Point())


@pytest.mark.parametrize("junk", [b"", b"\xc1", b"\x92\x01", b"plain text {", b"\xc7\x03\x63abc"])
def test_corrupt_or_foreign_bytes_raise_decode_error(junk):
    with pytest.raises(DecodeError):
        loads(junk)


def test_a_failed_encoding_leaves_nothing_behind_for_the_next_value():
    with pytest.raises(TypeError):
        dumps({"a": "x" * 100, "b": {1, 2}})
    assert dumps({"ok": 1}) == msgpack.packb({"ok": 1})
