"""Notebooks run through the same runner as `make lab`, against the real servers."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from labkit.lab.bench import load_results
from labkit.lab.cli import main
from labkit.lab.report import read_runs, run_all, run_notebook
from labkit.settings import Settings

pytestmark = pytest.mark.notebook

TINY_00 = {"repeats": 5, "warmups": 1, "aa_repeats": 5}


def _code(source: str, tags: list[str] | None = None) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    if tags:
        cell.metadata["tags"] = tags
    return cell


def _write(path: Path, *cells: nbformat.NotebookNode) -> Path:
    nb = nbformat.v4.new_notebook(cells=list(cells))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def _all_text_under(*folders: Path) -> str:
    return "\n".join(
        p.read_bytes().decode("utf-8", "replace") for folder in folders if folder.exists()
        for p in folder.rglob("*") if p.is_file()
    )


def test_environment_notebook_renders_both_views_with_embedded_charts(settings: Settings) -> None:
    record = run_notebook("00_environment", settings, TINY_00, progress=False)
    assert record.ok, record.error
    reports = settings.reports_dir
    reviewer = (reports / record.reviewer_html).read_text()
    full = (reports / record.full_html).read_text()
    assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', reviewer)) >= 2
    assert not re.search(r'<(script|link)[^>]+(src|href)="https?://', reviewer + full)
    assert "highlight hl-ipython3" in full and "highlight hl-ipython3" not in reviewer
    assert "Noise floor:" in reviewer
    index = (reports / "index.html").read_text()
    assert 'href="html/00_environment.html"' in index and 'href="html/00_environment.full.html"' in index
    assert record.run_id and record.run_id in index
    saved = load_results(settings.results_dir / "00_environment" / f"{record.run_id}.parquet")
    assert set(saved.samples(kind="round_trip")["label"]) == {"SQLite SELECT 1", "PostgreSQL SELECT 1", "Redis PING"}
    assert len(saved.samples(kind="aa")) == 2 * TINY_00["aa_repeats"]
    assert saved.metadata["server_versions"]["postgresql"].startswith("PostgreSQL")


def test_no_password_reaches_reports_data_or_logs(settings: Settings, pg_url: str, tmp_path: Path) -> None:
    # The system server trusts local connections, so a password in the URL is accepted and ignored.
    secret_url = pg_url.replace("postgresql://postgres@", "postgresql://postgres:SOMEPASSWORD@")
    with_secret = settings.with_overrides(database_url=secret_url)
    record = run_notebook("00_environment", with_secret, {**TINY_00, "backends": ["postgresql"]}, progress=False)
    assert record.ok, record.error
    text = _all_text_under(with_secret.reports_dir, with_secret.data_dir, with_secret.log_dir)
    assert "SOMEPASSWORD" not in text
    assert "postgres:***@" in text


def test_a_failing_notebook_is_reported_and_the_others_still_run(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    _write(folder / "01_broken.ipynb", _code("n: int = 1  # a number", ["parameters"]),
           _code("raise RuntimeError('planted failure')"))
    _write(folder / "02_fine.ipynb", _code("n: int = 1  # a number", ["parameters"]),
           _code("from labkit.lab.bench import ExperimentRun, run_case\n"
                 "from labkit.settings import Settings\n"
                 "run = ExperimentRun('02_fine', results_dir=Settings.from_env().results_dir)\n"
                 "run.add([run_case(lambda: None, repeats=2, warmups=0, name='noop')])\n"
                 "run.save(headline='fine')"))
    records = {r.name: r for r in run_all(settings, notebooks=folder, progress=False)}
    assert records["01_broken"].status == "failed" and "planted failure" in records["01_broken"].error
    assert records["02_fine"].ok and records["02_fine"].headline == "fine"
    broken_html = (settings.reports_dir / records["01_broken"].failed_html).read_text()
    assert "planted failure" in broken_html
    index = (settings.reports_dir / "index.html").read_text()
    assert '<td class="failed">failed</td>' in index and "1 failed: 01_broken" in index
    assert set(read_runs(settings.reports_dir)) == {"01_broken", "02_fine"}


def test_cli_run_exits_non_zero_on_failure_and_on_bad_parameters(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in settings.as_environ().items():
        monkeypatch.setenv(name, value)
    broken = _write(tmp_path / "broken.ipynb", _code("n: int = 1  # a number (at least 0)", ["parameters"]),
                    _code("1 / 0"))
    assert main(["run", str(broken)]) == 1
    assert "ZeroDivisionError" in capsys.readouterr().err
    assert main(["run", str(broken), "-p", "n=-1"]) == 2
    assert "parameter 'n'=-1 must be at least 0" in capsys.readouterr().err
    assert main(["run", str(broken), "-p", "nosuch=1"]) == 2
    assert "unknown parameter 'nosuch'" in capsys.readouterr().err


def test_a_failed_rerun_keeps_the_last_good_pages_beside_its_failure_page(settings: Settings, tmp_path: Path) -> None:
    notebook = _write(
        tmp_path / "01_flaky.ipynb", _code("fail: bool = False  # raise instead of saving", ["parameters"]),
        _code("from labkit.lab.bench import ExperimentRun, run_case\n"
              "from labkit.settings import Settings\n"
              "if fail:\n"
              "    raise RuntimeError('planted failure')\n"
              "run = ExperimentRun('01_flaky', results_dir=Settings.from_env().results_dir)\n"
              "run.add([run_case(lambda: None, repeats=2, warmups=0, name='noop')])\n"
              "run.save(headline='good run')\n"
              "print('GOOD PAGE')"))
    good = run_notebook(notebook, settings, {}, progress=False)
    failed = run_notebook(notebook, settings, {"fail": True}, progress=False)
    reports = settings.reports_dir
    assert good.ok and failed.status == "failed" and "planted failure" in failed.error
    assert failed.reviewer_html == good.reviewer_html and "GOOD PAGE" in (reports / failed.reviewer_html).read_text()
    assert failed.failed_html == "html/01_flaky.failed.html"
    assert "planted failure" in (reports / failed.failed_html).read_text()
    assert failed.last_good_run_id == good.run_id
    index = (reports / "index.html").read_text()
    assert 'href="html/01_flaky.failed.html">failure</a>' in index
    assert 'href="html/01_flaky.html">last good report' in index

    again = run_notebook(notebook, settings, {}, progress=False)
    assert again.ok and again.failed_html is None and not (reports / "html" / "01_flaky.failed.html").exists()
    assert "failure</a>" not in (reports / "index.html").read_text()
