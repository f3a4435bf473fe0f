"""`labkit jupyter` starts the servers, runs JupyterLab headless, and stops what it started when it ends.

A stand-in for JupyterLab records its arguments and waits for a signal, as the real server does.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from labkit.lab import services
from labkit.lab.jupyter import jupyter_arguments
from labkit.settings import Settings

FAKE_JUPYTER = ("import json, os, signal, sys; "
                "print('FAKE-JUPYTER', os.getpid(), json.dumps(sys.argv[1:]), flush=True); signal.pause()")
WRAPPER = ("import sys; from labkit.lab.jupyter import run_jupyter; from labkit.settings import Settings; "
           "sys.exit(run_jupyter(Settings.from_env(), sys.argv[1:], "
           f"command=[sys.executable, '-c', {FAKE_JUPYTER!r}]))")


@pytest.fixture
def embedded_redis(settings: Settings) -> Iterator[Settings]:
    """The test settings less the Redis URL: Redis is the embedded one, in this test's data folder."""
    local = settings.with_overrides(redis_url="")
    yield local
    services.down(local)


def _start(settings: Settings) -> tuple[subprocess.Popen[str], list[str], int, list[str]]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(settings.as_environ())
    proc = subprocess.Popen([sys.executable, "-c", WRAPPER, "--port=9999"], env=env, stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None
    before = []
    for line in proc.stdout:
        if line.startswith("FAKE-JUPYTER "):
            _, pid, args = line.split(" ", 2)
            return proc, before, int(pid), json.loads(args)
        before.append(line)
    raise AssertionError(f"JupyterLab was never started; output: {''.join(before)}")


def _embedded_running(settings: Settings) -> set[str]:
    return {r.name for r in services.status(settings) if r.source == "embedded" and r.running}


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_defaults_suit_a_headless_machine_and_root_and_extra_arguments_come_last() -> None:
    args = jupyter_arguments(["--ip=0.0.0.0"], notebooks=Path("nb"), as_root=True, display=False)
    assert args == ["--notebook-dir=nb", "--ip=127.0.0.1", "--no-browser", "--allow-root", "--ip=0.0.0.0"]
    assert jupyter_arguments([], notebooks=Path("nb"), as_root=False, display=True) == [
        "--notebook-dir=nb", "--ip=127.0.0.1"]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "terminate"])
def test_the_servers_it_started_stop_when_jupyterlab_ends(embedded_redis: Settings, sig: signal.Signals) -> None:
    proc, before, jupyter_pid, args = _start(embedded_redis)
    assert "embedded redis started for this session: stopped when JupyterLab ends\n" in before
    assert args[-1] == "--port=9999" and "--ip=127.0.0.1" in args and "--no-browser" in args
    assert ("--allow-root" in args) == (os.geteuid() == 0)
    assert _embedded_running(embedded_redis) == {"redis"}

    proc.send_signal(sig)
    rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert "stopped embedded redis" in rest
    assert _gone(jupyter_pid)
    assert _embedded_running(embedded_redis) == set()


def test_servers_that_ran_before_are_left_running(embedded_redis: Settings) -> None:
    services.up(embedded_redis)
    proc, before, _, _ = _start(embedded_redis)
    assert not any("started for this session" in line for line in before)
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "stopped" not in rest
    assert _embedded_running(embedded_redis) == {"redis"}
