"""The summary judges each claim from its experiment's newest intact lab run and names what it skipped."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from labkit.lab.bench import ExperimentRun, run_case
from labkit.lab.claims import evaluate_claims, skipped_table


def test_damaged_newer_runs_are_skipped_named_and_the_newest_intact_one_judges(
    tmp_path: Path, damaged_runs: Callable[[Path], object]
) -> None:
    runs = damaged_runs(tmp_path)
    evaluated = evaluate_claims(tmp_path)
    found = {claim.id: finding for claim, finding in evaluated}
    assert found["memory_usage"].verdict == "confirmed" and found["memory_usage"].run_id == runs.intact.stem
    skipped = skipped_table(evaluated)
    assert skipped[["experiment", "file"]].values.tolist() == [["07_memory", str(runs.cut)],
                                                               ["07_memory", str(runs.altered)]]
    assert skipped["why"].str.split(":").str[0].tolist() == ["cut short", "checksum mismatch"]


def test_a_claim_whose_runs_are_all_damaged_is_pending_for_that_reason(
    tmp_path: Path, damaged_runs: Callable[[Path], object]
) -> None:
    runs = damaged_runs(tmp_path)
    runs.intact.write_bytes(b"PAR1")
    found = {claim.id: finding for claim, finding in evaluate_claims(tmp_path)}
    detail = found["memory_usage"].detail
    assert found["memory_usage"].verdict == "pending" and "3 damaged file(s)" in detail
    assert "no saved run" not in detail
    assert found["async_10_ops"].detail == "pending: no saved run of 06_async"


def test_runs_of_other_origins_are_read_only_when_asked_for(tmp_path: Path) -> None:
    run = ExperimentRun("06_async", results_dir=tmp_path, origin="interactive")
    run.add([run_case(lambda: None, repeats=3, warmups=0, name="sync_sequential")])
    run.save()
    lab_only = {claim.id: finding for claim, finding in evaluate_claims(tmp_path)}
    assert lab_only["async_10_ops"].detail == "pending: no intact lab run of '06_async': runs of other origins " \
                                              "not read: 1 interactive"
    anyone = {claim.id: finding for claim, finding in evaluate_claims(tmp_path, origins=["interactive"])}
    assert anyone["async_10_ops"].run_id == run.run_id
