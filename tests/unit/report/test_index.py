"""The index marks a stale summary, links a failure beside the last good pages, and never links a missing file."""

from __future__ import annotations

import json
import re
from pathlib import Path

from labkit.lab.bench import ExperimentRun, run_case
from labkit.lab.report.index import NotebookRun, read_runs, write_index, write_runs


def _save(results_dir: Path, experiment: str, origin: str) -> str:
    run = ExperimentRun(experiment, results_dir=results_dir, origin=origin)
    run.add([run_case(lambda: None, repeats=1, warmups=0, name="x")])
    run.save()
    return run.run_id


def _row(index: str, name: str) -> str:
    return next(row for row in index.split("<tr>") if row.startswith(f"<td>{name}</td>"))


def test_a_summary_older_than_a_run_it_reads_is_marked_stale(tmp_path: Path) -> None:
    results, reports = tmp_path / "results", tmp_path / "reports"
    _save(results, "08_api_load", "load")
    summary = NotebookRun("99_summary", "ok", 1.0, run_id=_save(results, "99_summary", "report"))
    assert 'class="stale"' not in write_index(reports, [summary], results_dir=results).read_text()

    _save(results, "08_api_load", "interactive")  # not a run the summary reads
    assert 'class="stale"' not in write_index(reports, [summary], results_dir=results).read_text()

    newer = _save(results, "08_api_load", "load")
    index = write_index(reports, [summary], results_dir=results).read_text()
    row = _row(index, "99_summary")
    assert '<td class="stale">stale</td>' in row and f"08_api_load {newer}" in row
    assert "labkit run 99_summary" in row and "Stale (older than runs they read): 99_summary." in index


def test_a_failed_run_links_its_failure_page_and_the_last_good_pages(tmp_path: Path) -> None:
    failed = NotebookRun("01_cache", "failed", 2.0, error="boom", reviewer_html="html/01_cache.html",
                         full_html="html/01_cache.full.html", failed_html="html/01_cache.failed.html",
                         last_good_run_id="20260101T000000Z-good00")
    for link in ("html/01_cache.html", "html/01_cache.full.html", "html/01_cache.failed.html"):
        (tmp_path / link).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / link).write_text("<html></html>")
    row = _row(write_index(tmp_path, [failed]).read_text(), "01_cache")
    assert '<a href="html/01_cache.failed.html">failure</a>' in row
    assert '<a href="html/01_cache.html">last good report</a>' in row and "last good: 20260101T000000Z-good00" in row


def test_records_whose_pages_are_gone_leave_the_index(tmp_path: Path) -> None:
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "01_kept.html").write_text("<html></html>")
    write_runs(tmp_path, [NotebookRun("01_kept", "ok", 1.0, reviewer_html="html/01_kept.html",
                                      full_html="html/01_kept.full.html"),
                          NotebookRun("02_gone", "ok", 1.0, reviewer_html="html/02_gone.html")])
    runs = read_runs(tmp_path)
    assert list(runs) == ["01_kept"] and runs["01_kept"].full_html is None
    index = write_index(tmp_path, runs.values()).read_text()
    assert [href for href in re.findall(r'href="([^"]+)"', index) if not (tmp_path / href).is_file()] == []
    assert "02_gone" not in index


def test_a_runs_file_from_before_these_fields_still_reads(tmp_path: Path) -> None:
    (tmp_path / "runs.json").write_text(json.dumps([{"name": "01_a", "status": "ok", "duration_s": 1.0}]))
    assert read_runs(tmp_path)["01_a"].failed_html is None
