"""02_n_plus_one's strategies on both backends: one answer, the statements each is known to issue."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from labkit.lab.experiments.n_plus_one.loading import (
    STRATEGIES,
    count_statements,
    loading_cases,
    profile_cases,
    seed_students,
)
from labkit.lab.experiments.n_plus_one.measure import loading_table, measure_loading, measure_parents, measure_profiles
from labkit.lab.experiments.n_plus_one.parents_children import PARENT_STRATEGIES, parent_cases, seed_parents
from labkit.lab.experiments.scratch_db import ScratchDatabase, scratch_database
from labkit.settings import Settings

pytestmark = pytest.mark.timeout(600)


@pytest.fixture
def db(url: str, lab_settings: Settings) -> Iterator[ScratchDatabase]:
    with scratch_database(url, "labkit_test_nb02", settings=lab_settings) as scratch:
        seed_students(scratch.engine, 30, courses=8, enrollments_per_student=3)
        yield scratch


def test_every_strategy_reads_the_same_learning_paths(db: ScratchDatabase, lab_settings: Settings) -> None:
    counts = count_statements(db.engine, loading_cases(db.engine, 12), settings=lab_settings)
    assert list(counts["case"]) == list(STRATEGIES)
    assert counts["answer"].nunique() == 1


def test_statements_follow_each_strategy(db: ScratchDatabase, lab_settings: Settings) -> None:
    counts = count_statements(db.engine, loading_cases(db.engine, 12), settings=lab_settings)
    statements = dict(zip(counts["case"], counts["value"].astype(int)))
    assert statements == {"lazy": 1 + 2 * 12, "selectinload": 3, "joinedload": 1, "subqueryload": 3,
                          "core_join": 1, "find_all": 2, "projection": 1}


def test_the_detector_flags_lazy_loading_only(db: ScratchDatabase, lab_settings: Settings) -> None:
    counts = count_statements(db.engine, loading_cases(db.engine, 12), settings=lab_settings)
    assert set(counts.loc[counts["n_plus_one"], "case"]) == {"lazy"}


def test_a_strategy_can_be_chosen_by_name(db: ScratchDatabase) -> None:
    assert list(loading_cases(db.engine, 5, ["find_all", "lazy"])) == ["find_all", "lazy"]
    with pytest.raises(KeyError, match="unknown case 'eager'"):
        loading_cases(db.engine, 5, ["eager"])


def test_parents_shape_reads_every_child_once_per_strategy(db: ScratchDatabase, lab_settings: Settings) -> None:
    assert seed_parents(db.engine, 6, 4) == 24
    counts = count_statements(db.engine, parent_cases(db.engine), settings=lab_settings)
    assert list(counts["case"]) == list(PARENT_STRATEGIES)
    assert counts["answer"].nunique() == 1
    assert dict(zip(counts["case"], counts["value"].astype(int))) == {
        "lazyload": 7, "joinedload": 1, "subqueryload": 2, "selectinload": 2}


def test_profile_cases_answer_on_both_engines(db: ScratchDatabase) -> None:
    engines = {"baseline": db.make_engine("baseline"), "optimized": db.engine}
    for query in ("simple_select", "join_query"):
        cases = profile_cases(engines, query, students=30, page=5)
        assert list(cases) == ["baseline", "optimized"]
        assert cases["baseline"]() == cases["optimized"]()
    with pytest.raises(ValueError, match="query='count'"):
        profile_cases(engines, "count", students=30, page=5)


def test_measuring_gives_tidy_rows_for_every_section(url: str, lab_settings: Settings) -> None:
    loading = measure_loading(url, settings=lab_settings, students=[4, 11], strategies=["lazy", "core_join"],
                              repeats=2, warmups=0, courses=5, enrollments_per_student=2)
    assert set(loading["kind"]) == {"statements", "time"}
    assert set(loading["students"]) == {4, 11}
    table = loading_table(loading[loading["phase"] == "sample"])
    assert table.loc["lazy loading (N+1)", ("N=11", "statements")] == 23
    parents = measure_parents(url, settings=lab_settings, parents=3, children=2, repeats=2, warmups=0)
    assert set(parents["kind"]) == {"parents_statements", "parents_time"}
    profiles = measure_profiles(url, settings=lab_settings, students=10, page=3, repeats=2, warmups=0,
                                courses=5, enrollments_per_student=2)
    assert set(profiles["query"]) == {"simple_select", "join_query"}
    assert set(profiles["case"]) == {"baseline", "optimized"}


def test_a_strategy_that_reads_something_else_is_named() -> None:
    import pandas as pd

    from labkit.lab.experiments.n_plus_one.loading import answers_agree

    counts = pd.DataFrame({"case": ["lazy", "find_all", "core_join"], "answer": ["a", "a", "b"],
                           "backend": "sqlite", "kind": "statements", "students": 5})
    with pytest.raises(AssertionError, match=r"\['core_join'\] read a different answer than lazy"):
        answers_agree(counts)
