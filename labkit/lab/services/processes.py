"""Stopping a server process this process started: politely first, by force when it lingers."""

from __future__ import annotations

import signal
import subprocess

__all__ = ["stop_process"]


def stop_process(process: subprocess.Popen[bytes], timeout: float = 5.0, sig: int = signal.SIGTERM) -> None:
    """Send `sig` (SIGTERM), wait up to `timeout` s, then SIGKILL and wait again; nothing to do once it has exited."""
    if process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout)
