"""How long embedded servers live: SIGTERM and SIGHUP end a command as Ctrl-C does, so its cleanup runs.

A command that started embedded servers stops them on the way out (its `finally`); a signal that
killed Python outright would skip that and leave the servers re-parented to PID 1. SIGKILL cannot
be caught: the next command finds those servers through their recorded owner (`adopt_orphans`).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from labkit.lab.services.embedded import OWNER_ENV

__all__ = ["Interrupted", "signals_as_interrupt"]

_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class Interrupted(KeyboardInterrupt):
    """The command received SIGTERM or SIGHUP; handled like Ctrl-C (a KeyboardInterrupt)."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"{signal.Signals(signum).name} received")


def _raise(signum: int, _frame: FrameType | None) -> None:
    for other in _SIGNALS:  # once is enough: a second SIGTERM must not cut the cleanup short (SIGKILL still can)
        signal.signal(other, signal.SIG_IGN)
    raise Interrupted(signum)


@contextmanager
def signals_as_interrupt() -> Iterator[None]:
    """Inside the block, SIGTERM and SIGHUP raise `Interrupted`; this process owns the servers its kernels start."""
    os.environ.setdefault(OWNER_ENV, str(os.getpid()))
    if threading.current_thread() is not threading.main_thread():  # handlers live in the main thread only
        yield
        return
    previous = {s: signal.signal(s, _raise) for s in _SIGNALS}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
