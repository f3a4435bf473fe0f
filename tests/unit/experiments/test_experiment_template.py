"""`labkit new` writes a notebook and its package, and refuses a bad or taken name before writing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from labkit.lab.errors import LabError
from labkit.lab.experiment_template import create_experiment, next_number
from labkit.lab.experiments import discover
from labkit.lab.report.parameters import read_parameters


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The bare layout of a checkout: the experiments package with one experiment, and two notebooks."""
    experiments = tmp_path / "labkit" / "lab" / "experiments"
    (experiments / "cache").mkdir(parents=True)
    (experiments / "__init__.py").write_text("")
    (experiments / "cache" / "__init__.py").write_text('NOTEBOOK = "01_cache"\n')
    (experiments / "scratch_db.py").write_text("")
    (tmp_path / "notebooks").mkdir()
    for name in ("00_environment", "01_cache", "99_summary"):
        nbformat.write(nbformat.v4.new_notebook(), tmp_path / "notebooks" / f"{name}.ipynb")
    return tmp_path


def _files(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*")}


def test_a_new_experiment_takes_the_next_number_and_is_discovered(checkout: Path) -> None:
    created = create_experiment("queues", root=checkout)
    assert created.notebook == checkout / "notebooks" / "02_queues.ipynb"
    assert sorted(p.name for p in created.package.iterdir()) == ["__init__.py", "measure.py", "tiny.yaml"]
    assert discover(checkout / "labkit" / "lab" / "experiments") == {"01_cache": "cache", "02_queues": "queues"}


def test_the_new_notebook_follows_the_notebook_rules(checkout: Path) -> None:
    notebook = create_experiment("10_queues", root=checkout).notebook
    nb = nbformat.read(notebook, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert code[0].metadata["tags"] == ["parameters"]
    params = read_parameters(notebook)
    assert list(params) == ["items", "repeats", "warmups", "backends"] and all(p.help for p in params.values())
    assert params["backends"].choices == ("sqlite", "postgresql", "redis")
    source = "\n".join(c.source for c in code)
    assert 'Experiment.start(\n    "10_queues"' in source and "run_interleaved(" in source
    assert "from labkit.lab.experiments.queues import measure" in source
    assert "plots." in source and "display(Markdown(" in source


@pytest.mark.parametrize("name", ["Queues", "queue-s", "1_queues", "_queues", "10_", "", "q" * 41])
def test_a_malformed_name_is_refused_naming_what_is_valid(checkout: Path, name: str) -> None:
    before = _files(checkout)
    with pytest.raises(LabError, match=f"experiment name {name!r} is not valid: use lower-case letters"):
        create_experiment(name, root=checkout)
    assert _files(checkout) == before


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("class", "'class' is a Python keyword"),
        ("cache", "'cache' is taken: .*cache exists"),
        ("scratch_db", "'scratch_db' is taken: .*scratch_db.py exists"),
        ("summary", "'summary' is taken by notebook .*99_summary.ipynb"),
        ("01_queues", "number 01 is taken by notebook .*01_cache.ipynb"),
    ],
)
def test_a_taken_name_or_number_is_refused_before_anything_is_written(checkout: Path, name: str, message: str) -> None:
    before = _files(checkout)
    with pytest.raises(LabError, match=message):
        create_experiment(name, root=checkout)
    assert _files(checkout) == before


def test_outside_a_checkout_nothing_is_created(tmp_path: Path) -> None:
    with pytest.raises(LabError, match="no labkit checkout at"):
        create_experiment("queues", root=tmp_path)
    assert not any(tmp_path.iterdir())


def test_the_numbers_stop_below_the_summary(checkout: Path) -> None:
    nbformat.write(nbformat.v4.new_notebook(), checkout / "notebooks" / "98_last.ipynb")
    with pytest.raises(LabError, match="no free number below 99"):
        next_number(checkout / "notebooks")
    assert create_experiment("50_queues", root=checkout).notebook.name == "50_queues.ipynb"


def test_the_new_package_passes_the_projects_ruff_rules(checkout: Path) -> None:
    package = create_experiment("queues", root=checkout).package
    root = Path(__file__).resolve().parents[3]
    ruff = Path(sys.executable).with_name("ruff")
    result = subprocess.run([str(ruff), "check", "--config", str(root / "pyproject.toml"), str(package)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
