"""What the service answers when its database fails: a JSON error with the right status, one log line.

Unreachable server, lost connection or exhausted pool → 503 with `Retry-After`; a statement
timeout → 504; anything else → 500. Logging is rate-limited per kind: the first failure of a kind
is one line, later ones are counted and summed up in one line per interval (no traceback floods).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import exc as sa_exc

from labkit.errors import DatabaseUnreachable, PoolExhausted
from labkit.secrets import mask_text

__all__ = ["Failure", "FailureLog", "classify", "KINDS"]

KINDS = ("unreachable", "connection_lost", "pool_exhausted", "timeout", "rejected", "internal")
_CONNECTION_STATES = {"57P01", "57P02", "57P03", "53300", "53000"}  # shutdown, crash, starting, too many clients
_TIMEOUT_STATES = {"57014", "55P03"}  # statement timeout (query canceled), lock timeout


@dataclass(frozen=True)
class Failure:
    """How one exception is answered: status, kind (a metrics label), a one-line reason, Retry-After."""

    status: int
    kind: str
    reason: str
    retry_after_s: int | None = None

    def body(self) -> dict[str, object]:
        """The JSON body of the error response."""
        titles = {503: "database unavailable", 504: "database timed out", 500: "internal error"}
        out: dict[str, object] = {"detail": f"{titles.get(self.status, 'error')}: {self.reason}", "error": self.kind}
        if self.retry_after_s is not None:
            out["retry_after_s"] = self.retry_after_s
        return out

    def headers(self) -> dict[str, str]:
        """`Retry-After` on a 503."""
        return {} if self.retry_after_s is None else {"Retry-After": str(self.retry_after_s)}


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return (text.splitlines()[0] if text else type(error).__name__)[:300]


def _sqlstate(error: BaseException | None) -> str | None:
    state = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    return str(state) if state else None


def classify(error: BaseException, *, retry_after_s: int = 1) -> Failure:
    """The answer to an exception raised while serving a request."""
    if isinstance(error, PoolExhausted):
        return Failure(503, "pool_exhausted", _first_line(error), retry_after_s)
    if isinstance(error, DatabaseUnreachable):
        return Failure(503, "unreachable", _first_line(error), retry_after_s)
    if isinstance(error, sa_exc.DBAPIError):
        orig = error.orig
        state = _sqlstate(orig) or _sqlstate(getattr(orig, "__cause__", None))
        reason = _first_line(orig if orig is not None else error)
        if state in _TIMEOUT_STATES:
            return Failure(504, "timeout", reason)
        if error.connection_invalidated or state in _CONNECTION_STATES or (state or "").startswith("08"):
            return Failure(503, "connection_lost", reason, retry_after_s)
        if state is None and isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError)):
            return Failure(503, "connection_lost", reason, retry_after_s)  # the driver lost the server
        return Failure(500, "rejected", reason)
    if isinstance(error, TimeoutError):
        return Failure(504, "timeout", _first_line(error))
    if isinstance(error, (ConnectionError, OSError)):
        return Failure(503, "unreachable", _first_line(error), retry_after_s)
    return Failure(500, "internal", f"{type(error).__name__}: {_first_line(error)}")


class FailureLog:
    """Counts failures by kind and logs them: the first of a kind at once, then one summary per interval."""

    def __init__(self, logger: logging.Logger, *, interval_s: float = 10.0, secrets: list[str] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.logger = logger
        self.interval_s = interval_s
        self.secrets = secrets or []
        self.clock = clock
        self.counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._window_start: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def record(self, failure: Failure, error: BaseException | None = None) -> None:
        """Count one failure; log it unless its kind was logged less than `interval_s` ago."""
        now = self.clock()
        with self._lock:
            self.counts[failure.kind] = self.counts.get(failure.kind, 0) + 1
            started = self._window_start.get(failure.kind)
            if started is not None and now - started < self.interval_s:
                self._suppressed[failure.kind] = self._suppressed.get(failure.kind, 0) + 1
                return
            suppressed = self._suppressed.pop(failure.kind, 0)
            self._window_start[failure.kind] = now
        more = f" ({suppressed} more since the last line)" if suppressed else ""
        message = mask_text(f"{failure.status} {failure.kind}: {failure.reason}{more}", self.secrets)
        with_trace = failure.kind == "internal" and error is not None  # a bug: its traceback, once per interval
        self.logger.warning(message, exc_info=error if with_trace else None)

    def flush_due(self) -> None:
        """Log the untold failures of each kind whose interval has passed (an outage that ended says how it ended)."""
        now = self.clock()
        with self._lock:
            due = {kind: n for kind, n in self._suppressed.items()
                   if n and now - self._window_start.get(kind, now) >= self.interval_s}
            for kind in due:
                self._suppressed.pop(kind)
                self._window_start[kind] = now
        for kind, count in due.items():
            self.logger.warning("%d more %s failures in the last %.0f s", count, kind, self.interval_s)

    def flush(self) -> None:
        """Log the counts not logged yet (at shutdown)."""
        with self._lock:
            pending, self._suppressed = self._suppressed, {}
        for kind, count in pending.items():
            if count:
                self.logger.warning("%d more %s failures since the last line", count, kind)
