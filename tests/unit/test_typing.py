"""The library layer (labkit less labkit.lab) passes `mypy --strict`."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STRICT = ["labkit/__init__.py", "labkit/errors.py", "labkit/settings.py", "labkit/secrets.py", "labkit/db",
          "labkit/monitor", "labkit/cache"]


def test_the_library_passes_mypy_strict() -> None:
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed: pip install -e '.[dev]'")
    result = subprocess.run([sys.executable, "-m", "mypy", "--strict", *STRICT], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, f"mypy --strict failed:\n{result.stdout}{result.stderr}"
