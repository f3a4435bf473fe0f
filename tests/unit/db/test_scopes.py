"""Query scopes: N+1 findings at the K-th repeat, budgets, and masked slow-log parameters."""

from __future__ import annotations

from pathlib import Path

import pytest

from labkit.errors import MonitorArgumentError, NPlusOneDetected, QueryCountExceeded
from labkit.monitor import QueryMonitor, QueryScope
from labkit.monitor.slow_log import mask_parameters
from labkit.settings import Settings


def feed(scope: QueryScope, statements: list[str]) -> None:
    for statement in statements:
        scope.record(statement, statement, 0.001, statement.startswith("SELECT"), lambda: "here.py:1 in f")


def test_a_select_repeated_k_times_is_one_finding_with_its_count() -> None:
    scope = QueryScope("r", n_plus_one_threshold=3)
    feed(scope, ["SELECT a"] * 5 + ["SELECT b"] * 2 + ["UPDATE c"] * 9)
    assert [(f.normalized, f.count, f.call_site) for f in scope.n_plus_one] == [("SELECT a", 5, "here.py:1 in f")]


def test_raising_scope_lists_the_findings() -> None:
    scope = QueryScope("r", n_plus_one_threshold=2, raise_on_n_plus_one=True)
    feed(scope, ["SELECT a"] * 2)
    with pytest.raises(NPlusOneDetected, match=r"2× at here.py:1 in f: SELECT a"):
        scope.check()


def test_budget_lists_statements_and_truncates_long_lists() -> None:
    scope = QueryScope("r", n_plus_one_threshold=100, max_queries=3)
    feed(scope, [f"SELECT {i}" for i in range(40)])
    with pytest.raises(QueryCountExceeded, match=r"saw 40:\n  1\. SELECT 0\n(.|\n)*and 10 more"):
        scope.check()


def test_parameters_are_masked_to_their_types() -> None:
    assert mask_parameters({"pw": "hunter2", "n": 3}) == {"pw": "str", "n": "int"}
    assert mask_parameters([("a", 1), ("b", 2)], executemany=True) == {"executemany": 2, "first": ["str", "int"]}


def test_a_monitor_rejects_an_n_plus_one_threshold_below_two(tmp_path: Path) -> None:
    with pytest.raises(MonitorArgumentError, match=r"n_plus_one_threshold=1 is not valid: expected an integer >= 2"):
        QueryMonitor(Settings(log_dir=tmp_path), n_plus_one_threshold=1)
    with pytest.raises(ValueError):
        QueryMonitor(Settings(log_dir=tmp_path), n_plus_one_threshold=0)
