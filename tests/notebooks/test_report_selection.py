"""The runner records what each run depended on, so `--changed` reruns only what an edit touched."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from labkit.lab.report import read_runs, run_all
from labkit.lab.report.selection import changed_since_last_good_run
from labkit.settings import Settings

pytestmark = pytest.mark.notebook


def _notebook(path: Path, body: str) -> Path:
    params = nbformat.v4.new_code_cell("n: int = 1  # a number (at least 0)")
    params.metadata["tags"] = ["parameters"]
    save = ("from labkit.lab.bench import ExperimentRun, run_case\n"
            "from labkit.settings import Settings\n"
            f"run = ExperimentRun({path.stem!r}, results_dir=Settings.from_env().results_dir)\n"
            "run.add([run_case(lambda: None, repeats=2, warmups=0, name='noop')])\n"
            f"run.save(headline={body!r})")
    nb = nbformat.v4.new_notebook(cells=[params, nbformat.v4.new_code_cell(save)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_only_the_edited_notebook_reruns_and_the_index_keeps_the_other(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    first, second = _notebook(folder / "01_a.ipynb", "a"), _notebook(folder / "02_b.ipynb", "b")
    run_all(settings, notebooks=folder, progress=False)
    runs = read_runs(settings.reports_dir)
    assert all(r.ok and r.inputs_digest for r in runs.values())
    assert changed_since_last_good_run([first, second], runs, {}) == []

    _notebook(second, "b, edited")
    chosen = changed_since_last_good_run([first, second], runs, {})
    assert chosen == [second]
    records = run_all(settings, notebooks=folder, progress=False, names={p.stem for p in chosen})
    assert [r.name for r in records] == ["02_b"] and records[0].headline == "b, edited"
    after = read_runs(settings.reports_dir)
    assert after["01_a"].run_id == runs["01_a"].run_id and after["02_b"].run_id != runs["02_b"].run_id
    assert changed_since_last_good_run([first, second], after, {}) == []
