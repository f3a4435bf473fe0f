"""`99_summary`, run as the lab runs it, names damaged results files and judges from the newest intact run."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from labkit.lab.bench import load_results
from labkit.lab.experiments import tiny_parameters_path
from labkit.lab.report import run_notebook
from labkit.settings import Settings

pytestmark = pytest.mark.notebook


def test_the_summary_report_lists_the_skipped_files_and_judges_from_the_intact_run(
    settings: Settings, damaged_runs: Callable[[Path], object]
) -> None:
    runs = damaged_runs(settings.results_dir)
    params = yaml.safe_load(tiny_parameters_path("99_summary").read_text()) or {}
    record = run_notebook("99_summary", settings, params, progress=False)
    assert record.ok, record.error
    page = html.unescape((settings.reports_dir / record.reviewer_html).read_text())
    assert "2 damaged file(s) skipped" in page
    cut, altered = page.index(str(runs.cut)), page.index(str(runs.altered))
    assert "cut short" in page[cut:altered] and "checksum mismatch: its data was altered" in page[altered:]
    summary = load_results(settings.results_dir / "99_summary" / f"{record.run_id}.parquet")
    memory = summary.samples(case="memory_usage").iloc[0]
    assert (memory["verdict"], memory["source_run"]) == ("confirmed", runs.intact.stem)
