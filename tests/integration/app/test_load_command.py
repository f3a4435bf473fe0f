"""`labkit load` end to end: both modes briefly, the tables printed, the run saved as one of 08_api_load."""

from __future__ import annotations

from pathlib import Path

import pytest

from labkit.lab.bench import ExperimentRun
from labkit.lab.bench.results import latest_results
from labkit.lab.cli import main
from labkit.lab.experiments.api_load.measure import EXPERIMENT
from labkit.lab.report.index import NotebookRun, write_runs
from labkit.settings import Settings
from tests.integration.app.conftest import _with_password


def test_load_command_prints_the_tables_and_saves_the_run(
    settings: Settings, app_password: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert settings.database_url
    secret = settings.with_overrides(database_url=_with_password(settings.database_url, app_password))
    for name, value in secret.as_environ().items():
        monkeypatch.setenv(name, value)
    summary = ExperimentRun("99_summary", results_dir=settings.results_dir, origin="report")
    summary.save()
    write_runs(settings.reports_dir, [NotebookRun("99_summary", "ok", 1.0, run_id=summary.run_id)])
    args = ["load", "--users", "3", "--rates", "10", "--duration", "1.5", "--settle", "0.5", "--warmup", "0.5",
            "--think", "0.1", "--students", "40", "--no-profile", "--flame-dir", str(tmp_path / "flames")]
    assert main(args) == 0
    out, err = capsys.readouterr()
    assert "optimized/baseline (95% CI)" in out and "\n0 failed requests" in out
    assert app_password not in out + err

    saved = latest_results(settings.results_dir, EXPERIMENT)
    assert f"results: {saved.path}" in out and saved.run_id in out and saved.metadata["origin"] == "load"
    index = (settings.reports_dir / "index.html").read_text()
    assert '<td class="stale">stale</td>' in index and f"08_api_load {saved.run_id}" in index
    assert saved.metadata["parameters"]["users"] == [3] and saved.metadata["parameters"]["duration_s"] == 1.5
    assert saved.metadata["headline"].startswith("3 users: median")
    latency = saved.samples(kind="latency")
    assert set(latency["mode"]) == {"baseline", "optimized"} and latency["ok"].all()
    assert app_password not in saved.path.read_bytes().decode("latin-1")
