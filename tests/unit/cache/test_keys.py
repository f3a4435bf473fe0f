"""Keys of `@cached`: stable, readable, bounded, and refusing what has no stable form."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import subprocess
import sys

import pytest

from labkit.cache.keys import MAX_ARGS_LENGTH, KeyMaker, render
from labkit.errors import CacheArgumentError


def search(term: str, page: int = 1, *, size: int = 20, **filters: object) -> None:
    pass


class Color(enum.Enum):
    RED = "r"


@dataclasses.dataclass(frozen=True)
class Query:
    term: str
    tags: tuple[str, ...]


def test_keyword_order_and_defaults_do_not_change_the_key():
    k = KeyMaker(search, "search")
    same = {
        k(("ada",), {}),
        k(("ada", 1), {}),
        k((), {"page": 1, "term": "ada"}),
        k(("ada",), {"size": 20}),
    }
    assert same == {"search:'ada':1:20"}


def test_extra_keywords_are_sorted_into_the_key():
    k = KeyMaker(search, "search")
    expected = "search:'a':1:20:b='x':z=1"
    assert k(("a",), {"z": 1, "b": "x"}) == k(("a",), {"b": "x", "z": 1}) == expected


def test_a_string_and_an_int_give_different_keys():
    k = KeyMaker(search, "s")
    assert k(("1",), {}) != k((1,), {})


def test_containers_enums_and_dataclasses_render_stably():
    assert render({"b": 2, "a": [1, (2, 3)]}) == "{'a':[1,(2,3)],'b':2}"
    assert render({3, 1, 2}) == "{1,2,3}"
    assert render(Color.RED) == "Color.RED"
    assert render(Query("x", ("t",))) == "Query(term='x',tags=('t'))"
    assert render(dt.date(2024, 1, 2)) == "datetime.date(2024, 1, 2)"


def test_an_object_without_a_stable_form_is_refused_with_advice():
    with pytest.raises(CacheArgumentError, match="cannot build a key from a object argument.*key="):
        render(object())


def test_a_long_key_is_bounded_and_still_distinct():
    k = KeyMaker(search, "s")
    a, b = k(("x" * 1000 + "a",), {}), k(("x" * 1000 + "b",), {})
    assert a != b
    assert len(a) <= len("s:") + MAX_ARGS_LENGTH


def test_a_key_template_uses_argument_names():
    k = KeyMaker(search, "s", key="{term}/{page}")
    assert k(("ada",), {"page": 3}) == "s:ada/3"


def test_a_key_callable_receives_the_call():
    k = KeyMaker(search, "s", key=lambda term, page=1, **kw: f"{term.lower()}-{page}")
    assert k(("ADA",), {}) == "s:ada-1"


def test_keys_are_the_same_in_another_process():
    code = (
        "from labkit.cache.keys import KeyMaker\n"
        "def f(a, b=2, *, c='x'): pass\n"
        "import datetime, decimal, uuid\n"
        "print(KeyMaker(f, 'p')((datetime.date(2024,1,1), {'z': 1, 'a': {3, 1}}), "
        "{'c': decimal.Decimal('1.5')}))\n"
    )
    here = KeyMaker(lambda a, b=2, *, c="x": None, "p")(
        (dt.date(2024, 1, 1), {"z": 1, "a": {3, 1}}), {"c": __import__("decimal").Decimal("1.5")}
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == here
