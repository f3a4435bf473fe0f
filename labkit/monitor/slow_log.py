"""The slow-query log: one JSON line per statement over the threshold, parameters masked."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from labkit.secrets import mask_text

__all__ = ["SlowQueryLog", "mask_parameters", "read_slow_log"]

_MAX_STATEMENT = 4000


def mask_parameters(parameters: Any, executemany: bool = False) -> Any:
    """Parameters with every value replaced by its type name: shapes are logged, data never."""
    if executemany and isinstance(parameters, (list, tuple)):
        return {"executemany": len(parameters), "first": mask_parameters(parameters[0]) if parameters else None}
    if isinstance(parameters, dict):
        return {str(k): type(v).__name__ for k, v in parameters.items()}
    if isinstance(parameters, (list, tuple)):
        return [type(v).__name__ for v in parameters]
    return type(parameters).__name__ if parameters is not None else None


class SlowQueryLog:
    """Appends statements slower than `threshold_ms` to `path` as JSON lines."""

    def __init__(self, path: str | Path, threshold_ms: float) -> None:
        self.path = Path(path)
        self.threshold_ms = float(threshold_ms)
        self.written = 0
        self._lock = threading.Lock()

    def is_slow(self, seconds: float) -> bool:
        """True when a statement that took `seconds` belongs in the log."""
        return seconds * 1000.0 >= self.threshold_ms

    def write(self, *, seconds: float, statement: str, normalized: str, call_site: str,
              parameters: Any, executemany: bool, database: str) -> dict[str, Any]:
        """Append one record and return it."""
        record = {
            "ts": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "duration_ms": round(seconds * 1000.0, 3),
            "threshold_ms": self.threshold_ms,
            "statement": mask_text(statement[:_MAX_STATEMENT]),
            "normalized": normalized[:_MAX_STATEMENT],
            "call_site": call_site,
            "parameters": mask_parameters(parameters, executemany),
            "database": database,
        }
        line = json.dumps(record, default=str)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line + "\n")
            self.written += 1
        return record


def read_slow_log(path: str | Path) -> Iterator[dict[str, Any]]:
    """The records of a slow-query log, oldest first (nothing if the file does not exist)."""
    path = Path(path)
    if not path.is_file():
        return
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)
