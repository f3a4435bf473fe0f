"""`labkit new` in a copy of the checkout gives an experiment that runs through the real runner."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from labkit.lab.bench import load_results
from labkit.lab.experiment_template import next_number
from labkit.lab.report import run_notebook
from labkit.settings import Settings

pytestmark = pytest.mark.notebook

ROOT = Path(__file__).resolve().parents[2]


def _labkit(checkout: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The `labkit` command run inside `checkout`, importing the copy's labkit rather than the installed one."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    return subprocess.run([sys.executable, "-m", "labkit.lab.cli", *args], cwd=checkout, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of this checkout's package, notebooks and pyproject.toml."""
    copy = tmp_path / "checkout"
    shutil.copytree(ROOT / "labkit", copy / "labkit", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "notebooks", copy / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


def test_a_new_experiment_runs_with_its_tiny_parameters_and_renders(
    checkout: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"{next_number(ROOT / 'notebooks'):02d}_queues"
    created = _labkit(checkout, "new", "queues")
    assert created.returncode == 0, created.stderr
    assert f"created notebooks/{name}.ipynb" in created.stdout
    assert "created labkit/lab/experiments/queues/ (__init__.py, measure.py, tiny.yaml)" in created.stdout

    described = _labkit(checkout, "run", name, "--help-params")
    assert described.returncode == 0, described.stderr
    assert "labkit/lab/experiments/queues/tiny.yaml" in described.stdout  # found through the discovered map

    monkeypatch.setenv("PYTHONPATH", str(checkout))  # the kernel imports the copy, where the new package lives
    tiny = yaml.safe_load((checkout / "labkit/lab/experiments/queues/tiny.yaml").read_text())
    record = run_notebook(checkout / "notebooks" / f"{name}.ipynb", settings, tiny, progress=False)
    assert record.ok, record.error
    reviewer = (settings.reports_dir / record.reviewer_html).read_text()
    assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', reviewer)) == 2
    assert f"one request for {tiny['items']} values takes" in reviewer
    saved = load_results(settings.results_dir / name / f"{record.run_id}.parquet")
    assert set(saved.samples()["backend"]) == {"sqlite", "postgresql", "redis"}
    assert len(saved.samples()) == 3 * 2 * tiny["repeats"]
    assert saved.metadata["parameters"]["items"] == tiny["items"]


def test_labkit_new_refuses_a_taken_name(checkout: Path) -> None:
    refused = _labkit(checkout, "new", "cache")
    assert refused.returncode == 2
    assert "experiment name 'cache' is taken" in refused.stderr
