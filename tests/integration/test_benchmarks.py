"""Every benchmark suite runs end to end in quick mode and prints its table (no speed asserted)."""

from __future__ import annotations

import pytest

from labkit.lab.benchmarks import run_benchmarks, suite_names
from labkit.lab.errors import ParameterError
from labkit.settings import Settings


@pytest.mark.parametrize("suite", suite_names())
def test_suite_runs_quickly_and_prints_ratios(
    suite: str, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_benchmarks(settings, quick=True, suites=[suite]) == 0
    out = capsys.readouterr().out
    assert "ratio [95% CI]" in out and f"\n{suite} " in out


def test_unknown_suite_is_named(settings: Settings) -> None:
    with pytest.raises(ParameterError, match="unknown benchmark suite.*'nosuch'"):
        run_benchmarks(settings, suites=["nosuch"])
