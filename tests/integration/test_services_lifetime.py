"""Embedded servers outlive no command by accident: SIGTERM stops them, SIGKILL leaves orphans the next command finds.

Each test runs the real `labkit report` in a data folder of its own, with embedded servers only.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from labkit.lab import services
from labkit.lab.cli import main
from labkit.settings import Settings

pytestmark = pytest.mark.notebook
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # Not under pytest's tmp root, which is mode 0700: the embedded PostgreSQL runs as another user under root.
    folder = Path(tempfile.mkdtemp(prefix="labkit-lifetime-"))
    try:
        yield folder
    finally:
        services.down(Settings.from_env(environ={"LABKIT_DATA_DIR": str(folder)}, env_file=None))
        shutil.rmtree(folder, ignore_errors=True)


def _environ(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "LABKIT_SERVICES_OWNER")}
    return {**env, "LABKIT_DATA_DIR": str(data_dir), "LABKIT_REPORTS_DIR": str(data_dir / "reports"),
            "LABKIT_LOG_DIR": str(data_dir / "logs")}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _report_with_servers_up(data_dir: Path) -> tuple[subprocess.Popen[str], dict[str, int]]:
    """`labkit report` on 00_environment, returned once both embedded servers it started run."""
    command = [sys.executable, "-m", "labkit.lab.cli", "report", "--only", "00_environment", "--tiny"]
    process = subprocess.Popen(command, cwd=ROOT, env=_environ(data_dir), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    state = data_dir / "services" / "state.json"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            entries = json.loads(state.read_text())
        except (OSError, ValueError):
            entries = {}
        pids = {name: entries[name].get("pid") for name in ("postgresql", "redis") if name in entries}
        if len(pids) == 2 and all(pid and _alive(pid) for pid in pids.values()):
            return process, pids
        time.sleep(0.1)  # polling the state file, not waiting for time to pass
    process.kill()
    pytest.fail(f"the embedded servers did not start:\n{process.communicate()[0]}")


def _gone(pids: dict[str, int], within_s: float = 20.0) -> bool:
    deadline = time.monotonic() + within_s
    while any(_alive(pid) for pid in pids.values()):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_sigterm_stops_the_embedded_servers_the_report_started(data_dir: Path) -> None:
    process, pids = _report_with_servers_up(data_dir)
    time.sleep(1.0)  # let the notebook get under way: the signal lands mid-run, as a CI timeout's would
    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=60)[0]
    assert process.returncode == 128 + signal.SIGTERM, output
    assert "interrupted (SIGTERM received)" in output
    assert _gone(pids), f"still running: {[n for n, p in pids.items() if _alive(p)]}\n{output}"


def test_after_a_sigkill_the_next_command_says_whose_servers_it_found_and_reuses_them(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    process, pids = _report_with_servers_up(data_dir)
    process.kill()
    process.communicate(timeout=30)
    assert all(_alive(pid) for pid in pids.values())  # SIGKILL: nothing could stop them
    status = subprocess.run([sys.executable, "-m", "labkit.lab.cli", "services", "status"], cwd=ROOT,
                            env=_environ(data_dir), capture_output=True, text=True, timeout=60)
    assert status.returncode == 0 and status.stdout.count(f"left running by labkit pid {process.pid}") == 2
    for name, value in _environ(data_dir).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert main(["services", "up"]) == 0
    out = capsys.readouterr().out
    assert f"embedded postgresql was left running by labkit pid {process.pid}, which is gone: reusing it" in out
    settings = Settings.from_env(environ=_environ(data_dir), env_file=None)
    rows = {row.name: row for row in services.status(settings)}
    assert rows["postgresql"].pid == pids["postgresql"] and rows["postgresql"].orphaned_from is None  # reused
