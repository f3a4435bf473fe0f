"""SQL normalization: one key per statement shape, whatever the values or list lengths."""

from __future__ import annotations

import pytest

from labkit.monitor import normalize_sql
from labkit.monitor.normalize import is_select


@pytest.mark.parametrize("raw,normalized", [
    ("SELECT a FROM t WHERE id = %(id_1)s", "SELECT a FROM t WHERE id = ?"),
    ("SELECT a FROM t WHERE id = $1 LIMIT 10", "SELECT a FROM t WHERE id = ? LIMIT ?"),
    ("SELECT a\n  FROM t -- note\nWHERE b = 'it''s'", "SELECT a FROM t WHERE b = ?"),
    ("SELECT a FROM t1 WHERE id IN (%(id_1_1)s::INTEGER, %(id_1_2)s::INTEGER)",
     "SELECT a FROM t1 WHERE id IN (?, ...)"),
    ("SELECT a FROM t WHERE id IN (?)", "SELECT a FROM t WHERE id IN (?, ...)"),
    ("INSERT INTO t (a, b) VALUES (?, ?), (?, ?)", "INSERT INTO t (a, b) VALUES (?, ...), ..."),
])
def test_normalize(raw: str, normalized: str) -> None:
    assert normalize_sql(raw) == normalized


def test_lists_of_any_length_share_one_key() -> None:
    short = normalize_sql("SELECT * FROM t WHERE id IN (?, ?)")
    assert short == normalize_sql("SELECT * FROM t WHERE id IN (?, ?, ?, ?)")


def test_is_select() -> None:
    assert is_select("SELECT 1") and is_select("WITH x AS (SELECT 1) SELECT * FROM x")
    assert not is_select("UPDATE t SET a = ?")
