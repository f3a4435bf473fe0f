"""`labkit report --only / --changed / --tiny` choose notebooks and parameters before any kernel starts."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

import labkit.lab.experiments
from labkit.lab.cli import main
from labkit.lab.errors import ParameterError
from labkit.lab.report.index import NotebookRun, write_runs
from labkit.lab.report.inputs import inputs_digest
from labkit.lab.report.runner import list_notebooks
from labkit.lab.report.selection import changed_since_last_good_run, matching, tiny_parameters

ROOT = Path(__file__).resolve().parents[3]
REAL = list_notebooks(ROOT / "notebooks")


def _notebook(path: Path, *sources: str) -> Path:
    cells = [nbformat.v4.new_code_cell(src) for src in sources]
    cells[0].metadata["tags"] = ["parameters"]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


@pytest.fixture
def folder(tmp_path: Path) -> list[Path]:
    return [_notebook(tmp_path / f"{name}.ipynb", "n: int = 1  # a number (at least 0)", f"print({name!r})")
            for name in ("01_cache", "02_n_plus_one", "03_bulk_writes", "99_summary")]


def _good_runs(notebooks: list[Path], parameters: dict[str, dict] | None = None) -> dict[str, NotebookRun]:
    params = parameters or {}
    return {p.stem: NotebookRun(p.stem, "ok", 1.0, inputs_digest=inputs_digest(p, params.get(p.stem, {})))
            for p in notebooks}


def _stems(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def test_only_takes_a_substring_or_a_glob_and_several_patterns(folder: list[Path]) -> None:
    assert _stems(matching(folder, ["plus"])) == ["02_n_plus_one"]
    assert _stems(matching(folder, ["0[13]_*"])) == ["01_cache", "03_bulk_writes"]
    assert _stems(matching(folder, ["cache", "99_summary.ipynb"])) == ["01_cache", "99_summary"]
    assert matching(folder, []) == folder


def test_only_without_a_match_names_the_notebooks(folder: list[Path]) -> None:
    with pytest.raises(ParameterError, match="no notebook matches 'nosuch'; notebooks: 01_cache, 02_n_plus_one"):
        matching(folder, ["nosuch"])


def test_nothing_has_changed_right_after_good_runs(folder: list[Path]) -> None:
    assert changed_since_last_good_run(folder, _good_runs(folder), {}) == []


def test_saving_outputs_from_jupyter_is_no_change(folder: list[Path]) -> None:
    runs = _good_runs(folder)
    nb = nbformat.read(folder[0], as_version=4)
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="01_cache\n")]
    nb.cells[1].execution_count = 3
    nb.cells[1].metadata["execution"] = {"iopub.status.busy": "2026-01-01T00:00:00Z"}
    nbformat.write(nb, folder[0])
    assert changed_since_last_good_run(folder, runs, {}) == []


def test_an_edited_cell_reruns_that_notebook_and_the_summary(folder: list[Path]) -> None:
    runs = _good_runs(folder)
    _notebook(folder[1], "n: int = 1  # a number (at least 0)", "print('edited')")
    assert _stems(changed_since_last_good_run(folder, runs, {})) == ["02_n_plus_one", "99_summary"]


def test_other_parameters_rerun_the_notebook(folder: list[Path]) -> None:
    runs = _good_runs(folder)
    assert _stems(changed_since_last_good_run(folder, runs, {"03_bulk_writes": {"n": 2}})) == [
        "03_bulk_writes", "99_summary"]
    assert changed_since_last_good_run(folder, _good_runs(folder, {"01_cache": {"n": 2}}), {"01_cache": {"n": 2}}) == []


def test_a_failed_or_missing_last_run_reruns(folder: list[Path]) -> None:
    runs = _good_runs(folder)
    runs["01_cache"].status = "failed"
    del runs["03_bulk_writes"]
    assert _stems(changed_since_last_good_run(folder, runs, {})) == ["01_cache", "03_bulk_writes", "99_summary"]


def test_a_change_in_the_experiment_package_reruns_its_notebook(
    folder: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "package"
    (package / "__pycache__").mkdir(parents=True)
    (package / "measure.py").write_text("CASES = 1\n")
    monkeypatch.setattr(labkit.lab.experiments, "folder_of", lambda name: package)
    runs = _good_runs(folder[:1])
    (package / "__pycache__" / "measure.cpython-311.pyc").write_bytes(b"\0")
    assert changed_since_last_good_run(folder[:1], runs, {}) == []
    (package / "tiny.yaml").write_text("n: 0\n")
    assert changed_since_last_good_run(folder[:1], runs, {}) == folder[:1]


def test_tiny_parameters_come_from_each_experiments_tiny_yaml(folder: list[Path]) -> None:
    tiny = tiny_parameters(REAL)
    assert list(tiny) == [p.stem for p in REAL]
    assert tiny["00_environment"]["repeats"] < 20
    with pytest.raises(ParameterError, match="no tiny parameters for 42_x"):
        tiny_parameters([_notebook(folder[0].with_name("42_x.ipynb"), "n: int = 1  # n")])


def test_report_changed_with_every_good_run_recorded_runs_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LABKIT_REPORTS_DIR", str(tmp_path / "reports"))
    write_runs(tmp_path / "reports", _good_runs(REAL, tiny_parameters(REAL)).values())
    assert main(["report", "--changed", "--tiny"]) == 0
    assert "nothing to run" in capsys.readouterr().out


def test_report_only_without_a_match_fails_before_running(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--only", "nosuch"]) == 2
    assert "no notebook matches 'nosuch'" in capsys.readouterr().err


def test_a_stale_summary_reruns_although_nothing_changed(folder: list[Path]) -> None:
    assert _stems(changed_since_last_good_run(folder, _good_runs(folder), {}, stale={"99_summary"})) == ["99_summary"]
