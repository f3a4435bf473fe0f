"""07_memory against real SQLite files and PostgreSQL: children measure, cases agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from labkit.errors import LabkitError
from labkit.lab.experiments.memory import measure as memory
from labkit.lab.experiments.memory.cases import CASES


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        found = memory.sqlite_url(tmp_path / "memory.sqlite3")
    else:
        found = request.getfixturevalue("pg_url")
    yield found
    memory.drop_students(found)


def test_preparing_twice_generates_once(url: str) -> None:
    assert memory.prepare_students(url, 120) is True
    assert memory.prepare_students(url, 120) is False
    assert memory.prepare_students(url, 130) is True


def test_every_case_computes_the_same_digest_in_its_child(url: str) -> None:
    memory.prepare_students(url, 150)
    outs = memory.run_jobs([{"url": url, "case": case, "rows": 150} for case in CASES])
    assert [out["case"] for out in outs] == list(CASES)
    digests = {tuple(out["digest"]) for out in outs}
    assert len(digests) == 1 and next(iter(digests))[0] == 150
    for out in outs:
        assert out["python_peak"] > 0 and out["seconds"] > 0 and out["rss_peak"] >= out["rss_before"]


def test_run_cases_gives_tidy_rows_per_metric(tmp_path: Path) -> None:
    url = memory.sqlite_url(tmp_path / "tidy.sqlite3")
    memory.prepare_students(url, 50)
    frame = memory.run_cases({"sqlite": url}, ["orm_objects", "labkit_rows"], 50, repeats=2)
    assert len(frame) == 2 * 2 * len(memory.METRICS)
    assert set(frame["metric"]) == set(memory.METRICS)
    assert set(frame.loc[frame["metric"] == "seconds", "unit"]) == {"s"}
    assert frame["digest"].nunique() == 1 and set(frame["iteration"]) == {0, 1}


def test_a_failing_child_reports_its_error_with_the_password_masked(tmp_path: Path) -> None:
    url = "postgresql://lab:s3cret@127.0.0.1:1/nowhere"
    with pytest.raises(LabkitError, match="orm_objects") as info:
        memory.run_child(url, "orm_objects", 10, timeout=60)
    assert "s3cret" not in str(info.value)
