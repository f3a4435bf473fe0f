"""The README's "Use labkit in your own service" program runs verbatim against the real servers."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## Use labkit in your own service"


def _section_code() -> tuple[str, str]:
    """The section's install line and its Python program, exactly as the README shows them."""
    text = (ROOT / "README.md").read_text()
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    install = re.search(r"```bash\n(.*?)```", section, re.S)
    program = re.search(r"```python\n(.*?)```", section, re.S)
    assert install and program, "the section needs a bash install block and a python block"
    return install.group(1), program.group(1)


def test_the_section_installs_the_library_alone() -> None:
    install, _ = _section_code()
    assert install.split("#")[0].split() == ["pip", "install", "labkit"]


def test_the_section_runs_verbatim(db_pg_url: str, redis_url: str, redis_namespace: str, tmp_path: Path) -> None:
    _, program = _section_code()
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "CACHE_"))}
    environ.update(DATABASE_URL=db_pg_url, REDIS_URL=redis_url, CACHE_KEY_PREFIX=redis_namespace,
                   LABKIT_LOG_DIR=str(tmp_path / "logs"))
    for run in (1, 2):  # a second run starts cold again: the program leaves nothing behind it relies on
        done = subprocess.run([sys.executable, "-c", program], cwd=tmp_path, env=environ,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert lines[0] == str(sorted(f"book {i}" for i in range(1, 501) if i % 50 + 1 == 7)), run
        assert lines[1] == "True 1", "the second call is served from Redis"
        assert lines[2] == "50 500 2", "50 authors with their books in two statements"
        assert lines[3].startswith("N+1: ") and "50×" in done.stdout, "the lazy loop raises NPlusOneDetected"
