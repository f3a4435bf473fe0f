"""A run is saved once; its metadata names the parameters that produced its samples."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from labkit.lab.bench import RUN_ID_ENV, RUN_ORIGIN_ENV, ExperimentRun, Results, load_results, run_case
from labkit.lab.errors import ParameterError, RunClosedError


def _measure(run: ExperimentRun, repeats: int) -> None:
    run.add([run_case(lambda: None, repeats=repeats, warmups=0, name="x")])


def test_a_saved_run_refuses_a_second_save(tmp_path: Path) -> None:
    run = ExperimentRun("demo", results_dir=tmp_path)
    _measure(run, 2)
    path = run.save()
    with pytest.raises(RunClosedError, match=f"run {run.run_id} of demo is saved .* immutable"):
        run.save(headline="again")
    assert "headline" not in load_results(path).metadata


def test_samples_added_after_a_save_open_a_new_run(tmp_path: Path) -> None:
    run = ExperimentRun("demo", results_dir=tmp_path, parameters={"repeats": 3})
    _measure(run, 3)
    first = run.save()
    _measure(run, 3)
    second = run.save()
    assert first != second and len(load_results(second).samples()) == 3
    assert load_results(first).run_id != load_results(second).run_id


def test_a_changed_notebook_variable_gives_the_next_run_its_value(tmp_path: Path) -> None:
    namespace = {"repeats": 4}
    run = ExperimentRun("demo", results_dir=tmp_path, parameters={"repeats": 4}, watch=namespace)
    _measure(run, namespace["repeats"])
    first = load_results(run.save())
    namespace["repeats"] = 2
    _measure(run, namespace["repeats"])
    second = load_results(run.save())
    assert [r.metadata["parameters"]["repeats"] for r in (first, second)] == [4, 2]
    assert [len(r.samples()) for r in (first, second)] == [4, 2]


def test_a_changed_variable_with_unsaved_samples_is_refused_naming_the_parameter(tmp_path: Path) -> None:
    namespace = {"repeats": 4}
    run = ExperimentRun("demo", results_dir=tmp_path, parameters={"repeats": 4}, watch=namespace)
    _measure(run, 4)
    namespace["repeats"] = 2
    with pytest.raises(ParameterError, match="parameter 'repeats' is now 2, but run .* taken with repeats=4"):
        _measure(run, 2)
    assert len(run.frame) == 4


def test_changed_backends_need_a_new_start(tmp_path: Path) -> None:
    namespace = {"backends": ["sqlite"]}
    run = ExperimentRun("demo", results_dir=tmp_path, parameters={"backends": ["sqlite"]}, watch=namespace,
                        fixed={"backends"})
    _measure(run, 1)
    run.save()
    namespace["backends"] = ["redis"]
    with pytest.raises(ParameterError, match="parameter 'backends' changed .* rerun the cell with Experiment.start"):
        _measure(run, 1)


def test_the_runners_run_id_names_one_run_per_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner_id = f"20260101T000000Z-{uuid.uuid4().hex[:6]}"
    monkeypatch.setenv(RUN_ID_ENV, runner_id)
    first = ExperimentRun("demo", results_dir=tmp_path)
    second = ExperimentRun("demo", results_dir=tmp_path)
    assert first.run_id == runner_id and second.run_id != runner_id


def test_the_origin_comes_from_the_environment_and_is_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert ExperimentRun("demo", results_dir=tmp_path).metadata["origin"] == "test"  # tests/conftest.py
    monkeypatch.delenv(RUN_ORIGIN_ENV)
    assert ExperimentRun("demo", results_dir=tmp_path).metadata["origin"] == "interactive"
    monkeypatch.setenv(RUN_ORIGIN_ENV, "nightly")
    with pytest.raises(ParameterError, match="LABKIT_RUN_ORIGIN='nightly' is not a run origin; choose one of report"):
        ExperimentRun("demo", results_dir=tmp_path)


def test_a_headline_function_reads_the_run_as_it_is_saved(tmp_path: Path) -> None:
    run = ExperimentRun("demo", results_dir=tmp_path)
    _measure(run, 3)

    def headline(results: Results) -> str:
        return f"{len(results.samples('x'))} samples of run {results.run_id}"

    saved = load_results(run.save(headline=headline))
    assert saved.metadata["headline"] == f"3 samples of run {run.run_id}"
