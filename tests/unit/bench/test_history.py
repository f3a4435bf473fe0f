"""`labkit history` over a scratch repository of three commits, the last one a planted 2× slowdown."""

from __future__ import annotations

import importlib.util
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from labkit.lab.bench import ExperimentRun, run_interleaved
from labkit.lab.bench.history import read_history
from labkit.lab.cli import main

RUNS_PER_COMMIT = 4
WORK = {"first": 20_000, "docs only": 20_000, "planted slowdown": 40_000}


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()


def _load_work(repo: Path, commit: str) -> Callable[[], object]:
    spec = importlib.util.spec_from_file_location(f"scratch_work_{commit}", repo / "work.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.work  # type: ignore[no-any-return]


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[str]]:
    """A git repo whose every commit is measured RUNS_PER_COMMIT times, runs saved as the lab saves them."""
    repo, data = tmp_path / "repo", tmp_path / "data"
    repo.mkdir()
    for name, value in {"LABKIT_DATA_DIR": data, "LABKIT_REPORTS_DIR": tmp_path / "reports",
                        "LABKIT_RUN_ORIGIN": "run"}.items():
        monkeypatch.setenv(name, str(value))
    _git(repo, "init", "-q", "-b", "main")
    commits, works = [], []
    for message, size in WORK.items():
        (repo / "work.py").write_text(f"def work():\n    return sum(range({size}))\n")
        (repo / "NOTES").write_text(message)
        _git(repo, "add", ".")
        _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", message)
        commits.append(_git(repo, "rev-parse", "HEAD"))
        works.append(_load_work(repo, commits[-1]))
    for _ in range(RUNS_PER_COMMIT):  # commits measured in turn, so a noisy minute hits each alike
        for commit, work in zip(commits, works):
            run = ExperimentRun("91_scratch", results_dir=data / "results", parameters={"size": "fixed"})
            run.metadata["git_commit"] = commit  # the scratch commit measured, not labkit's own
            run.add(run_interleaved({"work": work}, repeats=25, warmups=3), kind="loop")
            run.save()
    return repo, commits


def test_history_draws_a_chart_per_figure_and_flags_the_planted_step(
    scratch: tuple[Path, list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, commits = scratch
    assert main(["history", "--repo", str(repo)]) == 0
    out = capsys.readouterr().out
    page = (tmp_path / "reports" / "history.html").read_text()
    assert page.count('src="data:image/png;base64,') == 1, "one chart for the one figure"
    assert f"regression: 91_scratch case=work, kind=loop at {commits[2][:10]}" in out
    assert f"<code>{commits[2][:10]}</code> (HEAD)" in page and 'class="regression"' in page
    assert commits[1][:10] not in out, "the docs-only commit is no step"
    history = read_history(tmp_path / "data")
    assert sorted(history["commit"].value_counts()) == [RUNS_PER_COMMIT] * 3


def test_check_fails_on_a_step_at_head_and_passes_before_it(scratch: tuple[Path, list[str]]) -> None:
    repo, commits = scratch
    assert main(["history", "--repo", str(repo), "--check"]) == 1
    _git(repo, "checkout", "-q", commits[1])
    assert main(["history", "--repo", str(repo), "--check"]) == 0


def test_check_without_a_run_at_head_says_so(scratch: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
                                             ) -> None:
    repo, _ = scratch
    (repo / "NOTES").write_text("unmeasured")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-am", "unmeasured")
    assert main(["history", "--repo", str(repo), "--check"]) == 2
    assert "has no lab run" in capsys.readouterr().err


def test_the_index_links_the_history_page_once_it_exists(tmp_path: Path) -> None:
    from labkit.lab.report.index import NotebookRun, write_index

    runs = [NotebookRun(name="00_environment", status="ok", duration_s=1.0)]
    assert 'href="history.html"' not in write_index(tmp_path, runs).read_text()
    (tmp_path / "history.html").write_text("<html></html>")
    assert 'href="history.html"' in write_index(tmp_path, runs).read_text()
