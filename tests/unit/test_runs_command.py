"""`labkit runs` lists saved runs one per line and names damaged files instead of failing on them."""

from __future__ import annotations

from pathlib import Path

import pytest

from labkit.lab.bench import ExperimentRun, run_case
from labkit.lab.bench.results import parameters_digest
from labkit.lab.cli import main


@pytest.fixture
def results_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LABKIT_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data" / "results"


def _save(results_dir: Path, origin: str, repeats: int, headline: str, experiment: str = "00_environment") -> Path:
    run = ExperimentRun(experiment, results_dir=results_dir, parameters={"repeats": repeats}, origin=origin)
    run.add([run_case(lambda: None, repeats=repeats, warmups=0, name="x")])
    return run.save(headline=headline)


def _rows(out: str) -> list[list[str]]:
    """Each run's line as run id, date, time, commit, origin, parameters digest, headline."""
    return [line.split(None, 6) for line in out.splitlines()[2:]]


def test_runs_of_an_experiment_are_listed_oldest_first_with_their_columns(
    results_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _save(results_dir, "report", 200, "A/A noise floor ±1.2%")
    second = _save(results_dir, "interactive", 50, "A/A noise floor ±3.0%")
    assert main(["runs", "00_environment"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "00_environment: 2 run(s), oldest first"
    assert out.splitlines()[1].split() == ["run", "id", "started", "(UTC)", "commit", "origin", "parameters",
                                           "headline"]
    rows = _rows(out)
    assert [row[0] for row in rows] == [first.stem, second.stem]
    assert [row[4:] for row in rows] == [["report", parameters_digest({"repeats": 200}), "A/A noise floor ±1.2%"],
                                         ["interactive", parameters_digest({"repeats": 50}), "A/A noise floor ±3.0%"]]
    assert all(len(row[3]) >= 7 for row in rows), "a short commit hash in every row"


def test_a_damaged_file_is_listed_with_the_reason_and_the_command_exits_1(
    results_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _save(results_dir, "report", 5, "fine")
    cut = _save(results_dir, "report", 5, "soon cut")
    cut.write_bytes(cut.read_bytes()[:200])
    assert main(["runs", "00_environment"]) == 1
    out = capsys.readouterr().out
    assert "00_environment: 2 run(s), oldest first, 1 damaged" in out
    line = next(line for line in out.splitlines() if cut.stem in line)
    assert "DAMAGED: cut short: 200 bytes ending without a Parquet footer" in line


def test_the_origin_option_keeps_one_origin_or_the_lab_ones(
    results_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lab = _save(results_dir, "load", 5, "from labkit load")
    interactive = _save(results_dir, "interactive", 5, "from a kernel")
    assert main(["runs", "--origin", "lab"]) == 0
    out = capsys.readouterr().out
    assert lab.stem in out and interactive.stem not in out
    assert main(["runs", "00_environment", "--origin", "test"]) == 0
    assert capsys.readouterr().out.startswith("no saved runs of 00_environment with origin test under ")


def test_an_unknown_experiment_is_refused_naming_the_known_ones(results_dir: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["runs", "00_enviroment"]) == 2
    assert "no experiment '00_enviroment'; experiments: 00_environment, 01_cache" in capsys.readouterr().err
