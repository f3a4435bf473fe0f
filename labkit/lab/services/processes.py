"""Server processes this process starts: finding their binary; stopping them politely, by force if they linger."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess

__all__ = ["find_executable", "stop_process"]


def find_executable(name: str, also: tuple[str, ...] = ()) -> str | None:
    """`name` on PATH, else the first executable of the paths `also` (sbin folders are not always on PATH)."""
    return shutil.which(name) or next((path for path in also if os.access(path, os.X_OK)), None)


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
