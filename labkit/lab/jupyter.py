"""`labkit jupyter` (`make jupyter`): JupyterLab on notebooks/ with the lab's servers, stopped with it.

The defaults suit a headless machine and root: JupyterLab listens on 127.0.0.1, opens no browser
unless there is a display, and accepts running as root. Extra arguments (`JUPYTER_ARGS` in make)
come after the defaults, so they win (`--ip=0.0.0.0`, `--port=9999`, `--ServerApp.open_browser=True`).
The embedded servers this command starts are stopped when JupyterLab ends, Ctrl-C included;
servers that ran before it (another session's, `labkit services up`) are left alone.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from labkit.lab import services
from labkit.lab.errors import ServiceError
from labkit.settings import Settings, project_root

__all__ = ["jupyter_arguments", "run_jupyter"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _has_display() -> bool:
    return sys.platform == "darwin" or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def jupyter_arguments(
    extra: Sequence[str], *, notebooks: Path, as_root: bool | None = None, display: bool | None = None
) -> list[str]:
    """The arguments of `jupyter lab`: the lab's defaults for this machine, then `extra` (which win)."""
    as_root = os.geteuid() == 0 if as_root is None else as_root
    display = _has_display() if display is None else display
    args = [f"--notebook-dir={notebooks}", "--ip=127.0.0.1"]
    if not display:
        args.append("--no-browser")
    if as_root:
        args.append("--allow-root")
    return args + list(extra)


def run_jupyter(settings: Settings, extra: Sequence[str] = (), *, command: Sequence[str] | None = None) -> int:
    """Start the servers, run JupyterLab until it ends or this process is interrupted, stop what it started.

    `command` replaces `python -m jupyterlab` (the tests use a stand-in). Returns JupyterLab's exit
    status, or 0 when it was stopped by Ctrl-C or a termination signal.
    """
    if command is None:
        if importlib.util.find_spec("jupyterlab") is None:
            raise ServiceError("JupyterLab is not installed: pip install 'labkit[jupyter]' (`make jupyter` does)")
        command = [sys.executable, "-m", "jupyterlab"]
    notebooks = project_root() / "notebooks"
    interrupted = 0
    proc: subprocess.Popen[bytes] | None = None

    def stop(signum: int, frame: FrameType | None) -> None:
        # JupyterLab runs in its own session, so a terminal's Ctrl-C reaches only this process:
        # the first asks JupyterLab to shut down (kernels included), a second one kills it.
        nonlocal interrupted
        interrupted += 1
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM if interrupted == 1 else signal.SIGKILL)
        elif proc is None:
            raise KeyboardInterrupt

    before = services.running_embedded(settings)
    previous = {sig: signal.signal(sig, stop) for sig in _SIGNALS}
    try:
        for row in services.up(settings):
            print(f"{row.name:<11} {row.source:<9} {'running' if row.running else 'stopped':<8} {row.url}")
        started = sorted(services.running_embedded(settings) - before)
        if started:
            print(f"embedded {' and '.join(started)} started for this session: stopped when JupyterLab ends")
        args = jupyter_arguments(extra, notebooks=notebooks)
        print("jupyter lab " + " ".join(args), flush=True)
        proc = subprocess.Popen([*command, *args], env={**os.environ, **settings.as_environ()},
                                start_new_session=True)
        code = proc.wait()
    except KeyboardInterrupt:  # interrupted while the servers were starting
        code = 130
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        stopped = services.down(settings, only=sorted(services.running_embedded(settings) - before))
        if stopped:
            print(f"stopped embedded {' and '.join(stopped)}", flush=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0 if interrupted and code != 130 else code
