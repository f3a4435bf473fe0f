"""The noise-aware gate: a change counts only beyond the run-to-run noise; differences are named; units read well."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from labkit.lab.bench import ExperimentRun, Measurement, compare_runs, load_results
from labkit.lab.bench.gate_study import planted, runs_needed, wilson_interval
from labkit.lab.bench.machine import fingerprint_of, machine_fingerprint
from labkit.lab.bench.noise import Spread, read_noise, replicate_spread, write_noise
from labkit.lab.bench.stats import t_quantile
from labkit.lab.bench.steps import find_steps
from labkit.lab.bench.units import format_value
from labkit.lab.cli import main

CASES = ("get", "set", "delete", "scan")


def save(results: Path, scale: dict[str, float], seed: int, *, level: float = 1.0, commit: str | None = None,
         **parameters: object) -> Path:
    """A run of four cases, each `level` × its own scale, 200 lognormal samples around 1 ms."""
    rng = np.random.default_rng(seed)
    run = ExperimentRun("demo", results_dir=results, parameters=parameters or {"repeats": 200},
                        origin="run" if commit else None)
    if commit:
        run.metadata["git_commit"] = commit
    for case in CASES:
        samples = level * scale.get(case, 1.0) * rng.lognormal(np.log(1e-3), 0.05, 200)
        run.add([Measurement(case, samples)], backend="postgresql")
    return run.save()


def test_t_quantiles_match_the_tables() -> None:
    for (p, df), expected in {(0.975, 1): 12.706, (0.975, 9): 2.262, (0.995, 4): 4.604, (0.975, 5000): 1.960}.items():
        assert t_quantile(p, df) == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize(("value", "unit", "shown"), [
    (5.075e-05, "s", "50.8 µs"), (0.0013, "s", "1.30 ms"), (2.5, "s", "2.50 s"), (12_400, "rows/s", "12.4 k rows/s"),
    (0.85, "hit_rate", "85.0%"), (950, "ops/s", "950 ops/s"),
])
def test_values_read_in_units_never_in_exponents(value: float, unit: str, shown: str) -> None:
    assert format_value(value, unit) == shown


def test_fingerprint_is_stable_and_read_back_from_a_run(tmp_path: Path) -> None:
    assert machine_fingerprint() == machine_fingerprint()
    assert fingerprint_of(load_results(save(tmp_path, {}, 1)).metadata) == machine_fingerprint()
    assert fingerprint_of({"machine": {"os": "Linux"}}).startswith("legacy-")


def test_a_whole_run_slower_by_machine_drift_is_no_regression_once_the_noise_is_known(tmp_path: Path) -> None:
    a = load_results(save(tmp_path, {}, 1))
    b = load_results(save(tmp_path, {}, 2, level=1.15))  # every figure 15% slower: a busy machine
    quiet = {(f"case={c}, backend=postgresql", "s"): Spread(squares=9 * 0.01**2, df=9) for c in CASES}
    assert len(compare_runs(a, b, noise=quiet).regressions) == 4, "on a quiet machine 15% is a change"
    noisy = {(f"case={c}, backend=postgresql", "s"): Spread(squares=9 * 0.1**2, df=9) for c in CASES}
    judged = compare_runs(a, b, noise=noisy)
    assert len(judged.regressions) == 0
    assert judged.table["floor"].between(0.3, 0.6).all(), "t(9) at 0.05/4 × √2 × 10% ≈ ±43%"


def test_a_slowdown_beyond_the_noise_is_named(tmp_path: Path) -> None:
    a = load_results(save(tmp_path, {}, 1))
    b = load_results(save(tmp_path, {"set": 1.5}, 2))
    quiet = {(f"case={c}, backend=postgresql", "s"): Spread(squares=9 * 0.03**2, df=9) for c in CASES}
    assert list(compare_runs(a, b, noise=quiet).regressions["figure"]) == ["case=set, backend=postgresql"]


def test_without_a_record_the_pairs_own_figures_set_the_floor(tmp_path: Path) -> None:
    a = load_results(save(tmp_path, {}, 1))
    drifted = compare_runs(a, load_results(save(tmp_path, {}, 2, level=1.3)))
    assert len(drifted.regressions) == 0 and "own figures" in drifted.noise_source
    copy = planted(a, 1.5, case="scan")
    assert list(compare_runs(a, copy).regressions["figure"]) == ["case=scan, backend=postgresql"]


def test_replicates_on_each_side_give_the_noise(tmp_path: Path) -> None:
    runs = [load_results(save(tmp_path, {}, seed, level=level)) for seed, level in enumerate((1.0, 1.1, 0.9, 1.05))]
    spread = replicate_spread([runs])[("case=get, backend=postgresql", "s")]
    assert spread.df == 3 and 0.05 < spread.sigma < 0.15


def test_calibration_record_is_written_per_machine_and_read_back(tmp_path: Path) -> None:
    runs = [load_results(save(tmp_path / "results", {}, seed)) for seed in range(3)]
    write_noise(tmp_path, runs)
    stored = json.loads((tmp_path / "noise" / f"{machine_fingerprint()}.json").read_text())
    assert stored["experiments"]["demo"]["run_ids"] == [r.run_id for r in runs]
    record = read_noise(tmp_path, "demo")
    assert record is not None and record.spreads[("case=get, backend=postgresql", "s")].df == 2
    assert read_noise(tmp_path, "other") is None


def test_cli_warns_of_other_parameters_and_strict_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LABKIT_DATA_DIR", str(tmp_path))
    a = save(tmp_path / "results", {}, 1, repeats=200)
    b = save(tmp_path / "results", {}, 2, repeats=50)
    assert main(["compare", str(a), str(b)]) == 0
    assert "parameters differ (repeats: 200 vs 50)" in capsys.readouterr().out
    assert main(["compare", str(a), str(b), "--strict"]) == 2
    assert "refusing" in capsys.readouterr().err


def test_steps_are_found_where_the_level_moves_and_not_in_flat_noise() -> None:
    rng = np.random.default_rng(0)
    flat = np.log(1 + 0.02 * rng.standard_normal(12))
    assert find_steps(flat, [0.02**2] * 12, df=30) == []
    moved = np.concatenate([flat[:6], flat[6:] + math.log(1.5)])
    (step,) = find_steps(moved, [0.02**2] * 12, df=30)
    assert step.at == 6 and step.ratio == pytest.approx(1.5, rel=0.05)


def test_study_statistics() -> None:
    low, high = wilson_interval(0, 20)
    assert low == 0 and high == pytest.approx(0.161, abs=0.002)
    assert runs_needed(0.2, 30, 1.5, 5) > runs_needed(0.05, 30, 1.5, 5) == 1


def test_commit_sides_gather_every_lab_run_of_each_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LABKIT_DATA_DIR", str(tmp_path))
    for commit, seeds in (("aaaa1111", (1, 2, 3)), ("bbbb2222", (4, 5, 6))):
        for seed in seeds:
            save(tmp_path / "results", {"scan": 1.5 if commit == "bbbb2222" else 1.0}, seed, commit=commit)
    assert main(["compare", "@aaaa", "@bbbb", "-e", "demo"]) == 1
    captured = capsys.readouterr()
    assert captured.out.split(" (A) ")[0].count("`, `") == 2, "three runs on side A"
    assert "the replicates on each side" in captured.out
    assert "regression: case=scan, backend=postgresql" in captured.err
    assert main(["compare", "@aaaa", "@bbbb"]) == 2
    assert "--experiment" in capsys.readouterr().err
