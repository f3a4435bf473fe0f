"""`make clean` removes everything the project generates and nothing else (a fresh `.env` stays)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

GENERATED = [
    ".venv/bin/python", "data/results/00_environment/r.parquet", "data/history/history.jsonl", "data/noise/m.json",
    "data/gate-study/data/results/00_environment/r.parquet",
    "data/services/postgresql/PG_VERSION", "data/labkit.sqlite3", "data/labkit.sqlite3-wal", "reports/runs.json",
    "reports/index.html", "reports/history.html", "reports/html/00_environment.html",
    "reports/html/00_environment.failed.html", "reports/executed/00_environment.ipynb",
    "reports/flames/flame-baseline.svg",
    "reports/screenshots/index.png", "build/lib/labkit/__init__.py", "dist/labkit.whl", "labkit.egg-info/PKG-INFO",
    "logs/slow_queries.log", "labkit/__pycache__/x.cpython-311.pyc", ".pytest_cache/README.md",
]
KEPT = ["Makefile", ".gitignore", "data/.gitkeep", "data/fixtures/seed.csv", "reports/.gitkeep", "labkit/x.py"]


@pytest.mark.skipif(shutil.which("make") is None or shutil.which("git") is None, reason="needs make and git")
def test_make_clean_leaves_only_tracked_files_and_the_local_env(tmp_path: Path) -> None:
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    shutil.copy(ROOT / ".gitignore", tmp_path / ".gitignore")
    for name in [*KEPT[2:], *GENERATED, ".env"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "add", *KEPT], cwd=tmp_path, check=True)
    subprocess.run(["make", "-s", "clean"], cwd=tmp_path, check=True, capture_output=True)
    ignored = subprocess.run(["git", "status", "--porcelain", "--ignored", "--untracked-files=all"], cwd=tmp_path,
                             check=True, capture_output=True, text=True).stdout.splitlines()
    assert [line for line in ignored if not line.startswith("A ")] == ["!! .env"]
    assert all((tmp_path / name).is_file() for name in KEPT)
