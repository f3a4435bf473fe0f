"""Results round-trip through Parquet with metadata; bad files are refused clearly."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from labkit.lab.bench import (
    ExperimentRun,
    latest_results,
    list_runs,
    load_results,
    measure_memory,
    run_case,
)
from labkit.lab.errors import ResultsError


def test_saved_run_reads_back_with_metadata_and_every_sample(tmp_path: Path) -> None:
    run = ExperimentRun(
        "demo", results_dir=tmp_path, parameters={"repeats": 5},
        backends={"postgresql": "postgresql://u:SOMEPASSWORD@h/d"},
    )
    run.add({"x": run_case(lambda: None, repeats=5, warmups=2, name="x")}, backend="sqlite")
    path = run.save(headline="x: 1.0×")
    assert path == tmp_path / "demo" / f"{run.run_id}.parquet"
    back = load_results(path)
    assert back.run_id == run.run_id
    assert len(back.frame) == 7 and len(back.samples("x")) == 5
    assert set(back.frame["backend"]) == {"sqlite"}
    assert back.metadata["parameters"] == {"repeats": 5}
    assert back.metadata["headline"] == "x: 1.0×"
    assert back.metadata["machine"]["cpu_count"] >= 1
    assert "SOMEPASSWORD" not in path.read_bytes().decode("latin-1")


def test_latest_results_picks_the_newest_run(tmp_path: Path) -> None:
    for run_id in ("20260101T000000Z-aaaaaa", "20260102T000000Z-bbbbbb"):
        run = ExperimentRun("demo", results_dir=tmp_path, run_id=run_id, origin="report")
        run.add([run_case(lambda: None, repeats=1, warmups=0, name="x")])
        run.save()
    assert len(list_runs(tmp_path, "demo")) == 2
    assert latest_results(tmp_path, "demo").run_id == "20260102T000000Z-bbbbbb"


def test_unknown_filter_column_is_named(tmp_path: Path) -> None:
    run = ExperimentRun("demo", results_dir=tmp_path)
    run.add([run_case(lambda: None, repeats=1, warmups=0, name="x")])
    with pytest.raises(ResultsError, match="unknown column 'nosuch'"):
        load_results(run.save()).samples(nosuch=1)


def test_file_without_labkit_metadata_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "foreign.parquet"
    pq.write_table(pa.table({"a": [1]}), path)
    with pytest.raises(ResultsError, match="no labkit metadata"):
        load_results(path)


def test_missing_runs_are_reported(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="no saved runs of 'nothing'"):
        latest_results(tmp_path, "nothing")


def test_memory_of_a_large_allocation_is_seen() -> None:
    usage = measure_memory(lambda: bytearray(64 * 1024 * 1024))
    assert usage.python_peak >= 64 * 1024 * 1024
    assert len(usage.result) == 64 * 1024 * 1024
