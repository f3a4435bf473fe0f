"""Which server serves a read: replicas in rotation, taken out when down or lagging, LSN-aware.

A `ReplicaRouter` holds the primary's engine and one engine per streaming replica. Reads rotate
over the replicas in rotation; a replica that does not answer, or whose replay is more than
`max_lag_bytes` of WAL behind the primary, leaves the rotation and comes back once a later check
finds it answering and caught up. Checks run at most every `check_interval` seconds, on the
thread that routes a read (no background thread), with the clock injected for tests.

Read-your-writes: a commit on the primary records the primary's WAL insert position in a
context variable (per thread, per asyncio task). A later read in that context goes to a replica
only once the replica's `pg_last_wal_replay_lsn()` has reached that position, else to the
primary. There is no fixed "stick to the primary for N seconds".
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine

from labkit.errors import DatabaseArgumentError, DatabaseUnreachable
from labkit.secrets import mask_url

__all__ = ["ReplicaRouter", "ReplicaStatus", "parse_lsn"]

# What a replica that cannot serve raises: refused or lost connections (labkit's engines say DatabaseUnreachable).
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    DatabaseUnreachable, sa_exc.OperationalError, sa_exc.InterfaceError, OSError,
)
_STRATEGIES = ("round_robin", "least_busy")
_UNKNOWN = 1 << 64  # beyond any LSN: no replica qualifies


def parse_lsn(text: str) -> int:
    """A PostgreSQL LSN (`16/B374D848`) as one integer, comparable and subtractable."""
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) | int(low or "0", 16)


@dataclass(frozen=True)
class ReplicaStatus:
    """One replica as the router last saw it: in rotation or not, how far behind, and why."""

    url: str  # masked
    in_rotation: bool
    replay_lsn: int
    lag_bytes: int | None
    reason: str


class _Replica:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.url = mask_url(engine.url.render_as_string(hide_password=False))
        self.up = True
        self.replay_lsn = 0
        self.lag_bytes: int | None = None
        self.reason = "not checked yet"


class ReplicaRouter:
    """Routes reads over streaming replicas of `primary`; see the module docstring for the rules."""

    def __init__(
        self,
        primary: Engine,
        replicas: Sequence[Engine],
        *,
        max_lag_bytes: int = 16 * 1024 * 1024,
        check_interval: float = 1.0,
        strategy: str = "round_robin",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_lag_bytes < 0:
            raise DatabaseArgumentError(f"max_lag_bytes={max_lag_bytes!r} is not valid: expected an integer >= 0")
        if check_interval < 0:
            raise DatabaseArgumentError(f"check_interval={check_interval!r} is not valid: expected seconds >= 0")
        if strategy not in _STRATEGIES:
            raise DatabaseArgumentError(f"strategy={strategy!r} is not valid: expected one of {', '.join(_STRATEGIES)}")
        self.primary = primary
        self.max_lag_bytes = max_lag_bytes
        self.check_interval = check_interval
        self.strategy = strategy
        self._clock = clock
        self._replicas = [_Replica(engine) for engine in replicas]
        self._by_engine = {id(r.engine): r for r in self._replicas}
        self._turn = itertools.count()
        self._next_check = float("-inf")
        self._check_lock = threading.Lock()
        self._commit_lsn: ContextVar[int] = ContextVar(f"labkit_commit_lsn_{id(self)}", default=0)

    # --- what the sessions call ------------------------------------------------------------

    def read_bind(self) -> Engine:
        """The engine for a read now: a replica in rotation that has this context's last commit, else the primary."""
        if not self._replicas:
            return self.primary
        if self._clock() >= self._next_check:
            self.refresh(blocking=False)
        needed = self._commit_lsn.get()
        if needed == _UNKNOWN:
            return self.primary
        candidates = self._in_rotation()
        for replica in candidates:
            if replica.replay_lsn >= needed:
                return replica.engine
        for replica in candidates:  # the cached positions are old: ask the replicas themselves
            if self._check_replay(replica) >= needed:
                return replica.engine
        return self.primary

    def note_commit(self) -> int:
        """Record the primary's WAL position after a commit in this context; reads here wait for it.

        If the primary cannot be asked (the commit went through, the next connection did not), this
        context's reads go to the primary until a later commit records a position.
        """
        lsn = self._primary_lsn()
        if lsn is None:  # committed, but its position is unknown: this context reads from the primary
            self._commit_lsn.set(_UNKNOWN)
            return _UNKNOWN
        if lsn > self._commit_lsn.get() or self._commit_lsn.get() == _UNKNOWN:
            self._commit_lsn.set(lsn)
        return lsn

    def commit_lsn(self) -> int:
        """The WAL position the reads of this context must see (0: none yet)."""
        return self._commit_lsn.get()

    def is_replica(self, engine: object) -> bool:
        """Whether `engine` is one of this router's replicas."""
        return id(engine) in self._by_engine

    def mark_down(self, engine: Engine, reason: str) -> None:
        """Take a replica out of rotation at once (a connection to it failed); a later check puts it back."""
        replica = self._by_engine.get(id(engine))
        if replica is not None:
            replica.up = False
            replica.reason = reason

    # --- health ---------------------------------------------------------------------------

    def refresh(self, *, blocking: bool = True) -> list[ReplicaStatus]:
        """Check every replica now (reachable, replay position, lag) and update the rotation."""
        if not self._check_lock.acquire(blocking=blocking):
            return self.status()  # another thread is checking: route on what is known
        try:
            self._next_check = self._clock() + self.check_interval
            head = self._primary_lsn()
            for replica in self._replicas:
                lsn = self._check_replay(replica, head=head)
                if lsn < 0:
                    continue
                replica.lag_bytes = max(0, head - lsn) if head is not None else None
                if replica.lag_bytes is not None and replica.lag_bytes > self.max_lag_bytes:
                    replica.up = False
                    replica.reason = f"lags {replica.lag_bytes} bytes of WAL (bound {self.max_lag_bytes})"
                else:
                    replica.up = True
                    replica.reason = "in rotation"
        finally:
            self._check_lock.release()
        return self.status()

    def status(self) -> list[ReplicaStatus]:
        """Each replica as last seen, in order (URLs masked)."""
        return [ReplicaStatus(r.url, r.up, r.replay_lsn, r.lag_bytes, r.reason) for r in self._replicas]

    def _in_rotation(self) -> list[_Replica]:
        live = [r for r in self._replicas if r.up]
        if len(live) < 2:
            return live
        if self.strategy == "least_busy":
            return sorted(live, key=lambda r: r.engine.pool.checkedout() if hasattr(r.engine.pool, "checkedout")
                          else 0)
        start = next(self._turn) % len(live)
        return live[start:] + live[:start]

    def _primary_lsn(self) -> int | None:
        try:
            with self.primary.connect() as conn:
                return parse_lsn(str(conn.exec_driver_sql("SELECT pg_current_wal_insert_lsn()::text").scalar()))
        except CONNECTION_ERRORS:
            return None

    def _check_replay(self, replica: _Replica, *, head: int | None = None) -> int:
        """Ask a replica how far it has replayed; -1 (and out of rotation) when it cannot answer."""
        try:
            with replica.engine.connect() as conn:
                text = conn.exec_driver_sql("SELECT pg_last_wal_replay_lsn()::text").scalar()
        except CONNECTION_ERRORS as error:
            replica.up = False
            replica.reason = f"unreachable: {type(error).__name__}"
            return -1
        if text is None:  # not in recovery: a primary, not a streaming replica
            replica.up = False
            replica.reason = "not a replica (pg_last_wal_replay_lsn() is null)"
            return -1
        replica.replay_lsn = max(replica.replay_lsn, parse_lsn(str(text)))
        return replica.replay_lsn
