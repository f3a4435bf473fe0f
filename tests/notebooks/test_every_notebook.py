"""Every experiment notebook runs with tiny parameters through the report runner and renders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from labkit.lab.bench import load_results
from labkit.lab.experiments import tiny_parameters_path
from labkit.lab.report import run_notebook
from labkit.settings import Settings

pytestmark = pytest.mark.notebook

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_has_tiny_parameters(name: str) -> None:
    assert tiny_parameters_path(name).is_file(), f"add {tiny_parameters_path(name)}"


@pytest.mark.parametrize("name", [n for n in NOTEBOOKS if n != "00_environment"])  # 00 has its own test
def test_notebook_runs_with_tiny_parameters(name: str, settings: Settings) -> None:
    params = yaml.safe_load(tiny_parameters_path(name).read_text()) or {}
    record = run_notebook(name, settings, params, progress=False)
    assert record.ok, record.error
    reviewer = (settings.reports_dir / record.reviewer_html).read_text()
    assert re.search(r'<img[^>]+src="data:image/(png|svg)', reviewer), "the report shows no chart"
    saved = load_results(settings.results_dir / name / f"{record.run_id}.parquet")
    assert len(saved.frame) > 0 and saved.metadata.get("headline")
