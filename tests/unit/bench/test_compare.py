"""`labkit compare` flags a planted regression, and only a real one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from labkit.lab.bench import ExperimentRun, Measurement, compare_runs, find_run
from labkit.lab.cli import main
from labkit.lab.errors import ResultsError


def save_run(results: Path, run_id: str, scale: dict[str, float], seed: int, unit: str = "s") -> Path:
    rng = np.random.default_rng(seed)
    run = ExperimentRun("demo", results_dir=results, run_id=run_id)
    for case, factor in scale.items():
        samples = factor * rng.lognormal(np.log(1e-3), 0.05, 200)
        run.add([Measurement(case, samples)], unit=unit, backend="postgresql")
    return run.save()


@pytest.fixture
def results(tmp_path: Path) -> Path:
    save_run(tmp_path, "20260101T000000Z-aaaaaa", {"get": 1.0, "set": 1.0}, seed=1)
    save_run(tmp_path, "20260102T000000Z-bbbbbb", {"get": 1.0, "set": 1.3}, seed=2)  # planted: set 30% slower
    return tmp_path


def test_planted_regression_is_flagged_and_nothing_else(results: Path) -> None:
    cmp = compare_runs(find_run("20260101T000000Z-aaaaaa", results), find_run("20260102T000000Z-bbbbbb", results))
    verdicts = dict(zip(cmp.table["figure"], cmp.table["verdict"]))
    assert verdicts == {"case=get, backend=postgresql": "same", "case=set, backend=postgresql": "regression"}
    row = cmp.regressions.iloc[0]
    assert row.ci_low < 1.3 < row.ci_high


def test_speedup_is_an_improvement(results: Path) -> None:
    cmp = compare_runs(find_run("20260102T000000Z-bbbbbb", results), find_run("20260101T000000Z-aaaaaa", results))
    assert list(cmp.improvements["figure"]) == ["case=set, backend=postgresql"]


def test_throughput_units_count_higher_as_better(tmp_path: Path) -> None:
    a = save_run(tmp_path, "20260101T000000Z-aaaaaa", {"insert": 1.0}, seed=1, unit="rows/s")
    b = save_run(tmp_path, "20260102T000000Z-bbbbbb", {"insert": 0.7}, seed=2, unit="rows/s")
    assert list(compare_runs(find_run(a, tmp_path), find_run(b, tmp_path)).table["verdict"]) == ["regression"]


def test_cli_exits_non_zero_on_regression_and_writes_a_digest(
    results: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LABKIT_DATA_DIR", str(results.parent / results.name))
    monkeypatch.chdir(tmp_path)
    a, b = results / "demo" / "20260101T000000Z-aaaaaa.parquet", results / "demo" / "20260102T000000Z-bbbbbb.parquet"
    digest = tmp_path / "digest.md"
    assert main(["compare", str(a), str(b), "--markdown", str(digest)]) == 1
    text = digest.read_text()
    assert "1 regression(s)" in text and "❌ regression" in text and "| case=get, backend=postgresql |" in text
    assert main(["compare", str(a), str(a)]) == 0
    capsys.readouterr()


def test_unknown_run_is_named(results: Path) -> None:
    with pytest.raises(ResultsError, match="no saved run 'nosuch'"):
        find_run("nosuch", results)
