"""The memory cases' shared digest, their registry, and the runner's argument checks."""

from __future__ import annotations

import pytest

from labkit.lab.experiments.memory.cases import CASES, digest
from labkit.lab.experiments.memory.measure import run_cases, sqlite_url


def test_digest_counts_sums_ids_name_lengths_and_actives() -> None:
    assert digest([(1, "ab", True), (2, "cde", False), (3, "", 1)]) == [3, 6, 5, 2]
    assert digest([]) == [0, 0, 0, 0]


def test_every_case_has_a_label_and_the_orm_baseline_comes_first() -> None:
    labels = CASES.labels()
    assert list(labels)[0] == "orm_objects"
    assert {"orm_yield_per", "core_projection", "labkit_rows"} <= set(labels)
    assert all(labels[name] != name for name in labels)


def test_an_unknown_case_is_named_with_the_known_ones() -> None:
    with pytest.raises(KeyError, match="orm_objects"):
        run_cases({"sqlite": "sqlite:///x.db"}, ["nosuch"], 10)


def test_repeats_must_be_positive() -> None:
    with pytest.raises(ValueError, match="repeats"):
        run_cases({"sqlite": "sqlite:///x.db"}, ["orm_objects"], 10, repeats=0)


def test_sqlite_url_of_a_path() -> None:
    assert sqlite_url("/tmp/a.sqlite3") == "sqlite:////tmp/a.sqlite3"
