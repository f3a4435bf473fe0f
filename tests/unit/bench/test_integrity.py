"""Results files carry checksums: damage is named on reading, impossible values are refused on saving."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from labkit.lab.bench import ExperimentRun, find_latest, is_lab_run, latest_results, list_runs, load_results, run_case
from labkit.lab.bench.results import SCHEMA_VERSION, save_results
from labkit.lab.errors import DamagedResultsError, ResultsError, RunClosedError, UncheckedResultsWarning


def _saved(tmp_path: Path, origin: str = "report", **parameters: object) -> Path:
    run = ExperimentRun("demo", results_dir=tmp_path, parameters=parameters, origin=origin)
    run.add([run_case(lambda: None, repeats=5, warmups=1, name="x")])
    return run.save(headline="x")


def _rewrite(path: Path, edit: Callable[[pd.DataFrame, dict], None]) -> None:
    """Rewrite a results file after editing its frame and metadata, as a hand or a tool might."""
    table = pq.read_table(path)
    frame, footer = table.to_pandas(), dict(table.schema.metadata)
    meta = json.loads(footer[b"labkit"])
    edit(frame, meta)
    footer[b"labkit"] = json.dumps(meta).encode()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(footer), path)


def _row(value: float, unit: str, **columns: object) -> pd.DataFrame:
    return pd.DataFrame([{"case": "c", "label": "c", "phase": "sample", "iteration": 0, "value": value,
                          "unit": unit, **columns}])


def test_a_file_cut_in_half_is_named_as_cut_short(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(DamagedResultsError, match="cut short") as caught:
        load_results(path)
    assert caught.value.path == path and str(path) in str(caught.value)


def test_a_value_multiplied_after_saving_fails_the_data_checksum(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    _rewrite(path, lambda frame, meta: frame.__setitem__("value", frame["value"] * np.where(frame.index == 3, 1e6, 1)))
    with pytest.raises(DamagedResultsError, match="checksum mismatch: its data was altered after it was saved"):
        load_results(path)


def test_a_rewrite_that_keeps_every_value_still_reads(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    _rewrite(path, lambda frame, meta: None)  # another Parquet layout, the same data
    assert len(load_results(path).samples("x")) == 5


def test_edited_metadata_fails_the_metadata_checksum(tmp_path: Path) -> None:
    path = _saved(tmp_path, repeats=5)
    _rewrite(path, lambda frame, meta: meta["parameters"].update(repeats=500))
    with pytest.raises(DamagedResultsError, match="its metadata was altered"):
        load_results(path)


def test_a_file_of_an_unknown_schema_is_refused_naming_what_is_read(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    _rewrite(path, lambda frame, meta: meta.update(schema_version=SCHEMA_VERSION + 1))
    with pytest.raises(DamagedResultsError, match=r"unknown schema: version 3; this labkit reads versions \[1, 2\]"):
        load_results(path)


def test_a_schema_1_file_is_read_with_a_warning_that_it_has_no_checksum(tmp_path: Path) -> None:
    path = tmp_path / "demo" / "20250101T000000Z-old001.parquet"
    path.parent.mkdir()
    table = pa.Table.from_pandas(_row(0.5, "s", experiment="demo", run_id=path.stem), preserve_index=False)
    meta = {"schema_version": 1, "experiment": "demo", "run_id": path.stem, "parameters": {}}
    pq.write_table(table.replace_schema_metadata({b"labkit": json.dumps(meta).encode()}), path)
    with pytest.warns(UncheckedResultsWarning, match="schema-1 results file: it carries no checksum"):
        results = load_results(path)
    assert results.schema_version == 1 and results.samples()["value"].tolist() == [0.5]


@pytest.mark.parametrize("unit", ["s", "ms", "µs", "ns"])
def test_a_negative_duration_is_refused_at_save_naming_the_case(tmp_path: Path, unit: str) -> None:
    with pytest.raises(ResultsError, match=f"column 'value' holds -0.5 {unit} for case 'c'.*cannot be negative"):
        save_results(_row(-0.5, unit), {"experiment": "demo", "run_id": "r1"}, tmp_path)
    assert not (tmp_path / "demo" / "r1.parquet").exists()


def test_a_missing_duration_is_refused_but_an_unmeasured_ratio_is_kept(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="a duration cannot be missing"):
        save_results(_row(float("nan"), "ms"), {"experiment": "demo", "run_id": "r1"}, tmp_path)
    saved = load_results(save_results(_row(float("nan"), "ratio"), {"experiment": "demo", "run_id": "r2"}, tmp_path))
    assert saved.frame["value"].isna().all()


@pytest.mark.parametrize(("column", "value"), [("value", float("inf")), ("ci_low", float("-inf"))])
def test_an_infinite_value_is_refused_in_any_column(tmp_path: Path, column: str, value: float) -> None:
    frame = _row(2.0, "ratio", ci_low=1.0)
    frame[column] = value
    with pytest.raises(ResultsError, match=f"column '{column}' holds -?inf for case 'c'.*must be finite"):
        save_results(frame, {"experiment": "demo", "run_id": "r1"}, tmp_path)


def test_a_saved_results_file_is_never_overwritten(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    before = path.read_bytes()
    with pytest.raises(RunClosedError, match="never overwritten"):
        save_results(_row(1.0, "s"), {"experiment": "demo", "run_id": path.stem}, tmp_path)
    assert path.read_bytes() == before


def test_the_newest_intact_run_is_read_and_the_newer_damaged_files_are_named(
    tmp_path: Path, damaged_runs: Callable[[Path], object]
) -> None:
    runs = damaged_runs(tmp_path)
    found = find_latest(tmp_path, "07_memory")
    assert found.results is not None and found.results.path == runs.intact
    assert [(e.path, e.reason.split(":")[0]) for e in found.skipped] == [
        (runs.cut, "cut short"), (runs.altered, "checksum mismatch")]


def test_when_every_run_is_damaged_the_error_says_so_rather_than_no_run(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ResultsError, match=r"no intact lab run of 'demo': 1 damaged file\(s\)") as caught:
        latest_results(tmp_path, "demo")
    assert "no saved runs" not in str(caught.value)


def test_runs_are_ordered_by_their_start_time_not_by_the_text_of_their_id(tmp_path: Path) -> None:
    ids = ["20991231T000000Z-zzzzzz", "20000101T000000Z-aaaaaa"]  # ids that sort against the order of saving
    for run_id in ids:
        run = ExperimentRun("demo", results_dir=tmp_path, run_id=run_id, origin="report")
        run.add([run_case(lambda: None, repeats=1, warmups=0, name="x")])
        run.save()
    assert [p.stem for p in list_runs(tmp_path, "demo")] == ids
    assert latest_results(tmp_path, "demo").run_id == ids[-1]


def test_latest_reads_lab_runs_unless_other_origins_are_asked_for(tmp_path: Path) -> None:
    lab = _saved(tmp_path, origin="report")
    interactive = _saved(tmp_path, origin="interactive")
    assert latest_results(tmp_path, "demo").path == lab
    assert latest_results(tmp_path, "demo", origins=None).path == interactive
    assert latest_results(tmp_path, "demo", origins={"interactive"}).path == interactive
    assert load_results(interactive).metadata["origin"] == "interactive"


@pytest.mark.parametrize(("metadata", "lab"), [({"origin": "report"}, True), ({"origin": "load"}, True),
                                               ({"origin": "test"}, False), ({"origin": "interactive"}, False),
                                               ({}, True)])
def test_runs_saved_before_origins_existed_count_as_lab_runs(metadata: dict, lab: bool) -> None:
    assert is_lab_run(metadata) is lab


def test_text_that_reads_like_a_number_is_not_refused(tmp_path: Path) -> None:
    frame = _row(1.0, "s", note="inf", error=None)
    saved = load_results(save_results(frame, {"experiment": "demo", "run_id": "r1"}, tmp_path))
    assert saved.frame["note"].tolist() == ["inf"]
