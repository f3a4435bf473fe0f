"""`labkit compare` on real runs of 00_environment: an A/A pair passes, a planted 1.5× slowdown is named."""

from __future__ import annotations

import json
import re

import pytest

from labkit.lab.bench import load_results
from labkit.lab.bench.gate_study import plant_slowdown
from labkit.lab.bench.machine import machine_fingerprint
from labkit.lab.cli import main
from labkit.settings import Settings

pytestmark = pytest.mark.notebook

SMALL = ["-p", "repeats=100", "-p", "warmups=10", "-p", "aa_repeats=100"]


@pytest.fixture
def lab(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The CLI's environment: these settings, runs recorded as `labkit run` records them."""
    for name, value in settings.as_environ().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LABKIT_RUN_ORIGIN", "run")
    return settings


def _run(capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["run", "00_environment", *SMALL]) == 0
    found = re.search(r"\(run (\S+)\)", capsys.readouterr().out)
    assert found, "labkit run names its run id"
    return found.group(1)


def test_two_consecutive_runs_pass_and_a_planted_slowdown_is_named(
    lab: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    # Without a noise record the floor comes from the pair's own figures, and a burst of load on this shared
    # machine can still move one case alone (the gate study measures that rate); a gate that cries wolf, as
    # the old one did on every pair, fails all three pairs.
    digests = []
    for _ in range(3):
        a, b = _run(capsys), _run(capsys)
        code = main(["compare", a, b])
        out = capsys.readouterr().out
        digests.append(out)
        if code == 0:
            break
    assert code == 0, "\n".join(digests)
    assert "0 regression(s)" in out and "e-0" not in out and "µs" in out
    copy = plant_slowdown(load_results(lab.results_dir / "00_environment" / f"{b}.parquet"), 1.5, lab.results_dir,
                          case="redis")
    code = main(["compare", b, str(copy)])
    captured = capsys.readouterr()
    assert code == 1, captured.out
    assert re.findall(r"regression: (.+) \(", captured.err) == ["case=redis, kind=round_trip"]
    assert "| case=redis, kind=round_trip | " in captured.out and "+50.0%" in captured.out


def test_calibration_records_this_machines_noise_and_compare_uses_it(
    lab: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compare", "--calibrate", "00_environment", "--runs", "2", *SMALL]) == 0
    record = lab.data_dir / "noise" / f"{machine_fingerprint()}.json"
    entry = json.loads(record.read_text())["experiments"]["00_environment"]
    assert len(entry["run_ids"]) == 2 and len(entry["figures"]) == 5
    assert entry["parameters"]["repeats"] == 100
    a, b = entry["run_ids"]
    capsys.readouterr()
    main(["compare", a, b])
    assert "calibration of 2 runs" in capsys.readouterr().out
