"""A py-spy flame graph (SVG) of a running process; where py-spy cannot attach, a note says why."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["FlameGraph", "FlameRecorder", "static_svg"]

_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL | re.IGNORECASE)
_HANDLER = re.compile(r"\son[a-z]+=\"[^\"]*\"", re.IGNORECASE)
_DOCTYPE = re.compile(r"<!DOCTYPE[^>]*>", re.IGNORECASE)


@dataclass(frozen=True)
class FlameGraph:
    """The SVG (None when not recorded) and a sentence on how it went."""

    svg: str | None
    note: str


def static_svg(svg: str) -> str:
    """The flame graph without its script, event handlers and DOCTYPE: inert, self-contained markup."""
    return _DOCTYPE.sub("", _HANDLER.sub("", _SCRIPT.sub("", svg)))


def _py_spy() -> str | None:
    here = Path(sys.executable).with_name("py-spy")
    return str(here) if here.is_file() else shutil.which("py-spy")


class FlameRecorder:
    """`py-spy record` on `pid` for `duration_s` s, started now and collected with `result()`."""

    def __init__(self, pid: int, duration_s: float, *, rate: int = 100) -> None:
        self.pid = pid
        self._folder = tempfile.TemporaryDirectory(prefix="labkit-pyspy-")
        self._out = Path(self._folder.name) / "flame.svg"
        self._process: subprocess.Popen[str] | None = None
        self._note = ""
        binary = _py_spy()
        if binary is None:
            self._note = "py-spy is not installed, so no flame graph was recorded"
            return
        command = [binary, "record", "--pid", str(pid), "--duration", str(max(1, round(duration_s))),
                   "--rate", str(rate), "--nonblocking", "--format", "flamegraph", "--output", str(self._out)]
        try:
            self._process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        except OSError as exc:
            self._note = f"py-spy could not start ({exc})"

    def result(self, timeout: float = 60.0) -> FlameGraph:
        """Wait for py-spy to finish; the flame graph, or a note saying why there is none."""
        try:
            if self._process is None:
                return FlameGraph(None, self._note)
            try:
                output, _ = self._process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                output, _ = self._process.communicate()
                return FlameGraph(None, "py-spy did not finish in time; no flame graph")
            if self._process.returncode != 0 or not self._out.is_file():
                reason = (output or "").strip().splitlines()[-1:] or ["no output"]
                return FlameGraph(None, f"py-spy could not attach to the service (pid {self.pid}): {reason[0]}")
            samples = re.search(r"Samples: (\d+)", output or "")
            count = f"{samples.group(1)} stack samples" if samples else "stack samples"
            return FlameGraph(static_svg(self._out.read_text()), f"py-spy recorded {count} of pid {self.pid}")
        finally:
            self._folder.cleanup()
