"""Sessions that send writes to the primary and reads to streaming replicas (sync and asyncio).

This is SQLAlchemy's documented `Session.get_bind` recipe (a Session subclass handed to
`sessionmaker(class_=...)`, or to `async_sessionmaker(sync_session_class=...)`), not a fork of
the ORM. Per transaction:

- flushes, INSERT/UPDATE/DELETE, `SELECT ... FOR UPDATE`, textual SQL and `use_primary()` go to
  the primary, and pin the rest of the transaction there (so it reads its own uncommitted rows);
- plain SELECTs go to one replica chosen by the `ReplicaRouter` (kept for the transaction, so its
  reads share one snapshot), or to the primary when no replica has replayed this context's last
  commit yet (read-your-writes by WAL position);
- a replica that refuses the connection leaves the rotation and the read goes elsewhere.

The asyncio flavour is the same class: `AsyncSession` runs it inside its greenlet.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from labkit.db.replicas import CONNECTION_ERRORS, ReplicaRouter

__all__ = ["RoutingSession", "routing_session_factory", "async_routing_session_factory"]

class RoutingSession(Session):
    """A Session bound to a `ReplicaRouter`: writes and transactions to the primary, reads to replicas."""

    def __init__(self, *, router: ReplicaRouter, **kw: Any) -> None:
        super().__init__(**kw)
        self.router = router
        self._pinned = False  # this transaction has used the primary for a write
        self._read_engine: Engine | None = None

    def get_bind(self, mapper: Any = None, *, clause: Any = None, bind: Any = None, **kw: Any) -> Engine | Connection:
        """The primary for writes (and for the rest of a transaction that wrote), else a replica."""
        if bind is not None:
            return bind  # type: ignore[no-any-return]
        if self._pinned:
            return self.router.primary
        if self._flushing or not isinstance(clause, Select) or clause._for_update_arg is not None:
            self._pinned = True
            return self.router.primary
        if self._read_engine is None:
            self._read_engine = self.router.read_bind()
        return self._read_engine

    def use_primary(self) -> None:
        """Send the rest of this transaction to the primary (and record its commit for read-your-writes)."""
        self._pinned = True

    def _connection_for_bind(self, engine: Any, execution_options: Any = None, **kw: Any) -> Connection:
        # A replica that refuses the connection leaves the rotation; the read goes to the next choice
        # (another replica, at worst the primary), each replica tried once.
        tried: set[int] = set()
        while True:
            try:
                return super()._connection_for_bind(engine, execution_options, **kw)
            except CONNECTION_ERRORS as error:
                if not self.router.is_replica(engine):
                    raise
                tried.add(id(engine))
                self.router.mark_down(engine, f"connection failed: {type(error).__name__}")
                engine = self.router.read_bind()
                if id(engine) in tried:
                    engine = self.router.primary
                self._read_engine = engine


@event.listens_for(RoutingSession, "after_commit")
def _after_commit(session: Session) -> None:
    if isinstance(session, RoutingSession) and session._pinned:
        session.router.note_commit()


@event.listens_for(RoutingSession, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if isinstance(session, RoutingSession) and transaction.parent is None:
        session._pinned = False
        session._read_engine = None


def routing_session_factory(
    primary: Engine, replicas: Sequence[Engine], *, router: ReplicaRouter | None = None, **router_kw: Any,
) -> sessionmaker[RoutingSession]:
    """Sessions that write to `primary` and read from `replicas` (objects readable after commit).

    `router_kw` goes to `ReplicaRouter` (`max_lag_bytes`, `check_interval`, `strategy`, `clock`).
    """
    router = router or ReplicaRouter(primary, replicas, **router_kw)
    return sessionmaker(class_=RoutingSession, router=router, expire_on_commit=False)


def async_routing_session_factory(
    primary: AsyncEngine, replicas: Sequence[AsyncEngine], **router_kw: Any,
) -> async_sessionmaker[AsyncSession]:
    """The asyncio twin: `AsyncSession`s whose sync session is a `RoutingSession` over the same rules."""
    router = ReplicaRouter(primary.sync_engine, [engine.sync_engine for engine in replicas], **router_kw)
    return async_sessionmaker(sync_session_class=RoutingSession, router=router, expire_on_commit=False)
