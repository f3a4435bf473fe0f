"""SQLite tuning experiment on real files: each variant's pragmas are in force, every workload yields rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from labkit.lab.errors import ParameterError
from labkit.lab.experiments.sqlite_tuning.measure import (
    WORKLOADS,
    readers_during_writer,
    run_workloads,
    tuning_ratios,
    variant_databases,
    variant_names,
)
from labkit.settings import Settings


def test_each_variant_runs_with_its_own_pragmas(tmp_path: Path) -> None:
    with variant_databases(tmp_path, Settings(), variant_names(None), rows=20) as dbs:
        pragmas = {name: db.pragmas() for name, db in dbs.items()}
    assert pragmas["default"]["journal_mode"] == "delete" and pragmas["default"]["synchronous"] == 2
    assert pragmas["wal"]["journal_mode"] == "wal" and pragmas["wal"]["synchronous"] == 2
    assert pragmas["sync_normal"]["synchronous"] == 1 and pragmas["sync_normal"]["journal_mode"] == "delete"
    assert pragmas["mmap"]["mmap_size"] > 0 and pragmas["cache"]["cache_size"] < -2000
    assert pragmas["tuned"] == {"journal_mode": "wal", "synchronous": 1, "mmap_size": pragmas["mmap"]["mmap_size"],
                                "cache_size": pragmas["cache"]["cache_size"]}


def test_files_live_in_the_given_folder_and_go_unless_kept(tmp_path: Path) -> None:
    with variant_databases(tmp_path / "a", Settings(), variant_names(["default"]), rows=5):
        assert (tmp_path / "a" / "default.sqlite3").is_file()
    assert not (tmp_path / "a").exists()
    with variant_databases(tmp_path / "b", Settings(), variant_names(["wal"]), rows=5, keep=True):
        pass
    assert (tmp_path / "b" / "wal.sqlite3").is_file()


def test_every_workload_runs_on_every_variant(tmp_path: Path) -> None:
    with variant_databases(tmp_path, Settings(), variant_names(["default", "tuned"]), rows=50) as dbs:
        frame = run_workloads(dbs, list(WORKLOADS), repeats=2, warmups=0, inner={"point_reads": 3},
                              sizes={"bulk_write": 10})
        rows_after = dbs["tuned"].raw.execute("SELECT count(*) FROM items").fetchone()[0]
    samples = frame[frame["phase"] == "sample"]
    assert set(zip(samples["kind"], samples["case"])) == {(w, v) for w in WORKLOADS for v in ("default", "tuned")}
    assert rows_after == 50 + 2 + 2 * 10  # two small transactions, two bulk writes of ten
    assert set(tuning_ratios(frame)["kind"]) == set(WORKLOADS)


def test_readers_during_a_writer_record_every_read_and_the_writers_commits(tmp_path: Path) -> None:
    with variant_databases(tmp_path, Settings(), variant_names(["default", "wal"]), rows=50) as dbs:
        frame = readers_during_writer(dbs, repeats=1, seconds=0.05, writer_rows=2, readers=2, reads=10)
    readers = frame[frame["kind"] == "reader"]
    assert set(readers["case"]) == {"default", "wal"} and readers["error"].isna().all()
    writer = frame[frame["kind"] == "writer"]
    assert len(writer) == 2 and (writer["unit"] == "ops/s").all()


def test_an_unknown_variant_is_named() -> None:
    with pytest.raises(ParameterError, match="nosuch"):
        variant_names(["default", "nosuch"])
