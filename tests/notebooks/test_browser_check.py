"""The reports open cleanly in headless Chromium, and the check catches what a reviewer would."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from labkit.lab.errors import ServiceError
from labkit.lab.report import run_notebook
from labkit.lab.report.browser import check_reports, find_chromium
from labkit.settings import Settings

pytestmark = pytest.mark.notebook

try:
    find_chromium()
except ServiceError as exc:  # CI installs it (`make browser`); a laptop may not have it
    pytest.skip(str(exc), allow_module_level=True)

SECRET = "SOMEPASSWORD"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, pg_url: str, redis_url: str) -> Path:
    root = tmp_path_factory.mktemp("browser")
    settings = Settings.from_env(
        environ={
            "DATABASE_URL": pg_url.replace("postgresql://postgres@", f"postgresql://postgres:{SECRET}@"),
            "REDIS_URL": redis_url, "LABKIT_DATA_DIR": str(root / "data"),
            "LABKIT_REPORTS_DIR": str(root / "reports"), "SQLITE_PATH": str(root / "lab.sqlite3"),
        },
        env_file=None,
    )
    record = run_notebook("00_environment", settings, {"repeats": 5, "warmups": 1, "aa_repeats": 5}, progress=False)
    assert record.ok, record.error
    return root / "reports"


@pytest.fixture
def reports(rendered: Path, tmp_path: Path) -> Path:
    """A private copy of the rendered reports that a test may damage."""
    return Path(shutil.copytree(rendered, tmp_path / "reports"))


def _edit(path: Path, old: str | re.Pattern[str], new: str) -> None:
    text = path.read_text()
    edited = old.sub(new, text, count=1) if isinstance(old, re.Pattern) else text.replace(old, new, 1)
    assert edited != text, "the planted change did not apply"
    path.write_text(edited)


def test_rendered_reports_pass_and_the_index_is_photographed(reports: Path) -> None:
    result = check_reports(reports, secrets=[SECRET])
    assert result.ok, [str(p) for p in result.problems]
    assert set(result.pages) == {"index.html", "html/00_environment.html", "html/00_environment.full.html"}
    assert (reports / "screenshots" / "index.png").stat().st_size > 0


def test_a_broken_chart_is_caught(reports: Path) -> None:
    _edit(reports / "html" / "00_environment.html", re.compile(r'src="data:image/png;base64,[^"]+"'),
          'src="data:image/png;base64,AAAA"')
    kinds = {(p.page, p.kind) for p in check_reports(reports, screenshots=False).problems}
    assert ("html/00_environment.html", "broken image") in kinds


def test_a_removed_chart_is_caught(reports: Path) -> None:
    _edit(reports / "html" / "00_environment.full.html", re.compile(r"<img[^>]+>"), "")
    kinds = {(p.page, p.kind) for p in check_reports(reports, screenshots=False).problems}
    assert ("html/00_environment.full.html", "chart missing") in kinds


def test_a_leaked_secret_is_caught_without_repeating_it(reports: Path) -> None:
    _edit(reports / "html" / "00_environment.html", "</main>", f"<p>postgresql://u:{SECRET}@db/x</p></main>")
    problems = check_reports(reports, secrets=[SECRET], screenshots=False).problems
    assert any(p.kind == "secret leaked" for p in problems)
    assert all(SECRET not in str(p) for p in problems)


def test_a_request_off_the_machine_is_caught_and_blocked(reports: Path) -> None:
    _edit(reports / "html" / "00_environment.html", "</main>", '<script src="http://127.0.0.1:9/x.js"></script></main>')
    kinds = {p.kind for p in check_reports(reports, screenshots=False).problems}
    assert "external request" in kinds


def test_a_broken_index_link_is_caught(reports: Path) -> None:
    _edit(reports / "index.html", "</table>", '</table><a href="html/nosuch.html">gone</a>')
    problems = check_reports(reports, screenshots=False).problems
    assert any(p.kind == "broken link" and "nosuch" in p.detail for p in problems)


def test_a_console_error_is_caught(reports: Path) -> None:
    _edit(reports / "html" / "00_environment.html", "</main>", "<script>console.error('planted')</script></main>")
    problems = check_reports(reports, screenshots=False).problems
    assert any(p.kind == "console error" and "planted" in p.detail for p in problems)
