"""The line of user code that caused a statement, across SQLAlchemy's async greenlet hop."""

from __future__ import annotations

import os
import sys
from types import FrameType

__all__ = ["call_site"]

_SKIP = (
    f"{os.sep}sqlalchemy{os.sep}",
    f"{os.sep}labkit{os.sep}monitor{os.sep}",
    f"{os.sep}labkit{os.sep}db{os.sep}",
    f"{os.sep}asyncio{os.sep}",
    f"{os.sep}greenlet{os.sep}",
    f"{os.sep}contextlib.py",
    f"{os.sep}threading.py",
)


def call_site(skip: tuple[str, ...] = _SKIP) -> str:
    """`path:line in function` of the first frame outside SQLAlchemy, labkit.db and asyncio."""
    frame: FrameType | None = sys._getframe(1)
    glet = None
    while True:
        while frame is not None:
            filename = frame.f_code.co_filename
            if not any(part in filename for part in skip):
                return f"{_short(filename)}:{frame.f_lineno} in {frame.f_code.co_name}"
            frame = frame.f_back
        try:  # async engines run the driver in a child greenlet: continue in its parent
            import greenlet

            glet = (glet or greenlet.getcurrent()).parent
        except ImportError:
            glet = None
        if glet is None:
            return "<unknown>"
        frame = glet.gr_frame


def _short(filename: str) -> str:
    try:
        relative = os.path.relpath(filename)
    except ValueError:
        return filename
    return filename if relative.startswith("..") else relative
