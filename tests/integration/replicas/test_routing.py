"""Read routing on a real primary with two real streaming replicas: writes to the primary, reads to
replicas, read-your-writes by WAL position, and a replica that goes away leaves the rotation."""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from labkit.db import (
    ReplicaRouter,
    async_routing_session_factory,
    make_async_engine,
    make_engine,
    routing_session_factory,
    unit_of_work,
)
from labkit.lab.services.replicas import ReplicaSet
from labkit.settings import Settings

WRITES = 1000


class Base(DeclarativeBase):
    pass


class Note(Base):
    __tablename__ = "routing_note"
    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str]


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _engine(url: str) -> Engine:
    return make_engine(Settings(pool_size=4, max_overflow=4, connect_timeout=2), url=url)


@pytest.fixture
def cluster(all_replicas_up: ReplicaSet) -> Iterator[tuple[ReplicaSet, Engine, list[Engine]]]:
    primary = _engine(all_replicas_up.primary_url)
    replicas = [_engine(url) for url in all_replicas_up.replica_urls]
    Base.metadata.drop_all(primary)
    Base.metadata.create_all(primary)
    all_replicas_up.wait_caught_up()
    yield all_replicas_up, primary, replicas
    for engine in [primary, *replicas]:
        engine.dispose()


@pytest.fixture
def write_load(cluster: tuple[ReplicaSet, Engine, list[Engine]]) -> Iterator[None]:
    """Another client writes WAL on the primary all along, so the replicas are always replaying."""
    servers = cluster[0]
    stop = threading.Event()

    def churn() -> None:
        with servers.primary.connect() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS routing_ballast (id bigserial, pad text)")
            while not stop.is_set():
                conn.execute("INSERT INTO routing_ballast (pad) SELECT repeat('x', 200) FROM generate_series(1, 500)")

    thread = threading.Thread(target=churn, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(30)


def _count_reads(engines: list[Engine]) -> Counter[int | None]:
    """How many reads of `routing_note` each engine served (by port)."""
    served: Counter[int | None] = Counter()
    for engine in engines:

        def seen(conn, cursor, statement, params, context, executemany, port=engine.url.port) -> None:  # type: ignore[no-untyped-def]
            if "FROM routing_note" in statement:
                served[port] += 1

        event.listen(engine, "before_cursor_execute", seen)
    return served


def test_reads_after_writes_through_the_router_are_never_stale(cluster, write_load) -> None:  # type: ignore[no-untyped-def]
    servers, primary, replicas = cluster
    Session = routing_session_factory(primary, replicas, check_interval=0.5)
    served = _count_reads(replicas)
    stale = 0
    for i in range(1, WRITES + 1):
        with unit_of_work(Session) as session:
            session.add(Note(id=i, body=f"note {i}"))
        with Session() as session:
            note = session.get(Note, i)
            stale += note is None or note.body != f"note {i}"
    print(f"LSN-aware router: {stale} stale of {WRITES}; replicas served {sum(served.values())} reads")
    assert stale == 0
    assert sum(served.values()) > 0, "every read went to the primary: the replicas were never used"


def test_naive_round_robin_reads_are_stale_under_the_same_load(cluster, write_load) -> None:  # type: ignore[no-untyped-def]
    _, primary, replicas = cluster
    write = sessionmaker(bind=primary)
    reads = [sessionmaker(bind=engine) for engine in replicas]
    turn = itertools.cycle(reads)
    stale = 0
    for i in range(1, WRITES + 1):
        with unit_of_work(write) as session:
            session.add(Note(id=i, body=f"note {i}"))
        with next(turn)() as session:
            stale += session.get(Note, i) is None
    print(f"naive round-robin: {stale} stale of {WRITES}")
    assert stale > 0, "no stale read: the check above proves nothing on this machine"


def test_writes_and_the_rest_of_their_transaction_go_to_the_primary(cluster) -> None:  # type: ignore[no-untyped-def]
    servers, primary, replicas = cluster
    Session = routing_session_factory(primary, replicas)
    with Session() as session:
        assert session.get_bind(clause=select(Note)) in replicas
        session.execute(select(Note).with_for_update())
        assert session.get_bind(clause=select(Note)) is primary  # pinned until the transaction ends
        session.rollback()
        assert session.get_bind(clause=select(Note)) in replicas
        session.add(Note(id=1, body="one"))
        session.flush()
        assert session.get_bind(clause=select(Note)) is primary
        session.commit()
        servers.wait_caught_up()
        assert session.get_bind(clause=select(Note)) in replicas


def test_reads_rotate_over_the_replicas(cluster) -> None:  # type: ignore[no-untyped-def]
    _, primary, replicas = cluster
    router = ReplicaRouter(primary, replicas)
    router.refresh()
    chosen = Counter(router.read_bind().url.port for _ in range(10))
    assert sorted(chosen.values()) == [5, 5]


def test_a_replica_stopped_mid_test_leaves_the_rotation_and_reads_continue(cluster) -> None:  # type: ignore[no-untyped-def]
    servers, primary, replicas = cluster
    clock = FakeClock()
    Session = routing_session_factory(primary, replicas, check_interval=10.0, clock=clock)
    router: ReplicaRouter = Session.kw["router"]
    with unit_of_work(Session) as session:
        session.add(Note(id=1, body="kept"))
    servers.wait_caught_up()
    for i in range(60):
        if i == 20:
            servers.replicas[1].stop()
        with Session() as session:
            assert session.scalars(select(Note.body)).one() == "kept"
    assert [s.in_rotation for s in router.status()] == [True, False]
    assert all(session_bind_is(Session, replicas[0]) for _ in range(4))

    servers.replicas[1].start()
    servers.wait_caught_up()
    clock.now += 10.0  # the next read checks the replicas again
    assert Counter(session_bind_is(Session, replicas[1]) for _ in range(4))[True] == 2
    assert [s.in_rotation for s in router.status()] == [True, True]


def test_a_replica_lagging_beyond_the_bound_leaves_the_rotation_until_it_catches_up(cluster) -> None:  # type: ignore[no-untyped-def]
    servers, primary, replicas = cluster
    router = ReplicaRouter(primary, replicas, max_lag_bytes=1024)
    lagging = servers.replicas[0]
    with lagging.connect() as conn:
        conn.execute("SELECT pg_wal_replay_pause()")
    try:
        with servers.primary.connect() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS routing_gap AS SELECT generate_series(1, 20000) AS id")
        servers.wait_caught_up(only=[1])
        status = router.refresh()
        assert not status[0].in_rotation and "lags" in status[0].reason
        assert status[1].in_rotation
    finally:
        with lagging.connect() as conn:
            conn.execute("SELECT pg_wal_replay_resume()")
    servers.wait_caught_up()
    assert [s.in_rotation for s in router.refresh()] == [True, True]


def session_bind_is(Session: sessionmaker[Session], engine: Engine) -> bool:
    with Session() as session:
        return session.get_bind(clause=select(Note)) is engine


async def test_the_async_router_reads_its_writes_from_replicas(all_replicas_up: ReplicaSet) -> None:
    settings = Settings(pool_size=4, max_overflow=4)
    primary = make_async_engine(settings, url=all_replicas_up.primary_url)
    replicas = [make_async_engine(settings, url=url) for url in all_replicas_up.replica_urls]
    Session = async_routing_session_factory(primary, replicas, check_interval=0.5)
    try:
        async with primary.begin() as conn:
            await conn.run_sync(Base.metadata.drop_all)
            await conn.run_sync(Base.metadata.create_all)
        stale = 0
        on_replica = 0
        for i in range(1, 201):
            async with Session() as session:
                session.add(Note(id=i, body=f"note {i}"))
                await session.commit()
            async with Session() as session:
                note = await session.get(Note, i)
                stale += note is None
                on_replica += session.sync_session.get_bind(clause=select(Note)) is not primary.sync_engine
        assert stale == 0
        assert on_replica > 0
    finally:
        for engine in [primary, *replicas]:
            await engine.dispose()


async def test_the_async_router_takes_a_stopped_replica_out_and_reads_continue(all_replicas_up: ReplicaSet) -> None:
    settings = Settings(pool_size=4, max_overflow=4, connect_timeout=2)
    primary = make_async_engine(settings, url=all_replicas_up.primary_url)
    replicas = [make_async_engine(settings, url=url) for url in all_replicas_up.replica_urls]
    Session = async_routing_session_factory(primary, replicas, check_interval=3600)
    router: ReplicaRouter = Session.kw["router"]
    try:
        async with primary.begin() as conn:
            await conn.run_sync(Base.metadata.drop_all)
            await conn.run_sync(Base.metadata.create_all)
        async with Session() as session:
            session.add(Note(id=1, body="kept"))
            await session.commit()
        all_replicas_up.wait_caught_up()
        for i in range(40):
            if i == 10:
                all_replicas_up.replicas[0].stop()
            async with Session() as session:
                assert (await session.scalars(select(Note.body))).one() == "kept"
        assert [s.in_rotation for s in router.status()] == [False, True]
    finally:
        for engine in [primary, *replicas]:
            await engine.dispose()
