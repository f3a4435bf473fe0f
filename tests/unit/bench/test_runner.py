"""The runner keeps warmups apart, interleaves cases and validates its counts."""

from __future__ import annotations

import asyncio

import pytest

from labkit.lab.bench import Cases, compare, run_case, run_interleaved, run_interleaved_async


def test_warmups_and_samples_are_kept_apart() -> None:
    m = run_case(lambda: None, repeats=7, warmups=2, name="noop")
    assert len(m.samples) == 7 and len(m.warmups) == 2


def test_cases_are_interleaved_in_rotating_order() -> None:
    calls: list[str] = []
    run_interleaved({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, repeats=3, warmups=1)
    assert calls == ["a", "b", "b", "a", "a", "b", "b", "a"]


def test_inner_calls_are_averaged_per_call() -> None:
    counter = {"n": 0}

    def bump() -> None:
        counter["n"] += 1

    m = run_case(bump, repeats=4, warmups=0, inner=5)
    assert counter["n"] == 20 and m.inner == 5 and len(m.samples) == 4


def test_label_comes_from_the_docstring() -> None:
    def lazy() -> None:
        """Lazy loading (N+1)

        More words."""

    assert run_case(lazy, repeats=1, warmups=0).label == "Lazy loading (N+1)"


def test_compare_orders_the_ratio_as_b_over_a() -> None:
    def fast() -> None:
        sum(range(10))

    def slow() -> None:
        sum(range(20_000))

    c = compare(fast, slow, repeats=15, warmups=1)
    assert c.ratio.value > 1.0
    assert c.a.name == "fast" and c.b.name == "slow"


async def test_async_cases_are_awaited() -> None:
    async def nap() -> None:
        await asyncio.sleep(0)

    ms = await run_interleaved_async({"nap": nap}, repeats=3, warmups=1)
    assert len(ms["nap"].samples) == 3


@pytest.mark.parametrize(
    "kwargs,name", [({"repeats": 0}, "repeats"), ({"warmups": -1}, "warmups"), ({"inner": 0}, "inner")]
)
def test_bad_counts_name_the_parameter(kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        run_case(lambda: None, **kwargs)


def test_registry_labels_and_rejects_unknown_names() -> None:
    cases = Cases()

    @cases.register
    def eager() -> None:
        """Eager loading with selectinload"""

    assert cases.labels() == {"eager": "Eager loading with selectinload"}
    with pytest.raises(KeyError, match="unknown case 'lazy'.*eager"):
        cases.select(["lazy"])
