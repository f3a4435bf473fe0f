"""Replica lag under a write load, and stale reads-after-write with and without the LSN-aware router.

Both run on a `ReplicaSet` the lab started. A writer thread keeps the primary producing WAL while
the measurement runs, so the replicas are always replaying something; nothing here sleeps to let
time pass except the sampler's interval.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd
from sqlalchemy import Integer, String, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from labkit.db import make_engine, routing_session_factory, unit_of_work
from labkit.lab.services.replicas import ReplicaSet
from labkit.settings import Settings

__all__ = ["write_load", "replica_lag", "stale_reads"]


class _Base(DeclarativeBase):
    pass


class _Note(_Base):
    __tablename__ = "scale_out_note"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    body: Mapped[str] = mapped_column(String(40))


@contextmanager
def write_load(servers: ReplicaSet, *, batch_rows: int = 500) -> Iterator[None]:
    """Another client inserts batches of `batch_rows` rows on the primary until the block ends."""
    stop = threading.Event()

    def churn() -> None:
        with servers.primary.connect() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS scale_out_ballast (id bigserial, pad text)")
            while not stop.is_set():
                conn.execute("INSERT INTO scale_out_ballast (pad) SELECT repeat('x', 200) "
                             "FROM generate_series(1, %s)", (batch_rows,))
            conn.execute("TRUNCATE scale_out_ballast")

    thread = threading.Thread(target=churn, name="labkit-write-load", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(60)


def replica_lag(servers: ReplicaSet, *, samples: int = 200, interval: float = 0.01) -> pd.DataFrame:
    """Sample every replica's replay lag on the primary (`pg_stat_replication`): seconds and bytes.

    One tidy row per replica and sample (case `replica_lag`, label the replica, value in seconds);
    the primary reports no time lag while a replica has nothing to replay, and those samples are left out.
    """
    rows: list[dict[str, Any]] = []
    with servers.primary.connect() as conn:
        for i in range(samples):
            found = conn.execute(
                "SELECT application_name, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint, "
                "extract(epoch FROM replay_lag)::float8 FROM pg_stat_replication ORDER BY application_name"
            ).fetchall()
            for name, lag_bytes, lag_seconds in found:
                if lag_seconds is not None:
                    rows.append({"case": "replica_lag", "label": str(name), "phase": "sample", "iteration": i,
                                 "value": float(str(lag_seconds)), "unit": "s", "lag_bytes": int(str(lag_bytes or 0))})
            time.sleep(interval)  # the sampling period
    return pd.DataFrame(rows, columns=["case", "label", "phase", "iteration", "value", "unit", "lag_bytes"])


def _read_back(factory: sessionmaker[Any], key: int, replica_ports: set[int]) -> tuple[float, bool, bool]:
    """Read one row back in a new session: its time, whether it was missing, whether a replica served it."""
    with factory() as session:
        start = time.perf_counter()
        note = session.get(_Note, key)
        took = time.perf_counter() - start
        served_by = session.get_bind(clause=select(_Note))  # the transaction's read engine
    return took, note is None, isinstance(served_by, Engine) and served_by.url.port in replica_ports


def stale_reads(servers: ReplicaSet, *, writes: int = 1000, settings: Settings | None = None) -> pd.DataFrame:
    """Write a row and read it back at once, `writes` times per way: the LSN-aware router, then naive
    round-robin over the replicas. One tidy row per read: its time, whether it was stale, where it ran."""
    settings = settings or Settings(pool_size=4, max_overflow=4)
    primary = make_engine(settings, url=servers.primary_url)
    replicas = [make_engine(settings, url=url) for url in servers.replica_urls]
    ports = {int(engine.url.port or 0) for engine in replicas}
    try:
        _Base.metadata.drop_all(primary)
        _Base.metadata.create_all(primary)
        servers.wait_caught_up()
        routed = routing_session_factory(primary, replicas, check_interval=0.5)
        write: sessionmaker[Any] = sessionmaker(bind=primary)
        turn = itertools.cycle([sessionmaker(bind=engine) for engine in replicas])
        rows: list[dict[str, Any]] = []
        with write_load(servers):
            for case, label in (("lsn_router", "LSN-aware router"), ("naive_round_robin", "naive round-robin")):
                offset = 0 if case == "lsn_router" else writes
                for i in range(1, writes + 1):
                    key = offset + i
                    with unit_of_work(routed if case == "lsn_router" else write) as session:
                        session.add(_Note(id=key, body=f"note {key}"))
                    reader = routed if case == "lsn_router" else next(turn)
                    took, stale, on_replica = _read_back(reader, key, ports)
                    rows.append({"case": case, "label": label, "phase": "sample", "iteration": i, "value": took,
                                 "unit": "s", "stale": stale, "on_replica": on_replica})
        _Base.metadata.drop_all(primary)
    finally:
        for engine in [primary, *replicas]:
            engine.dispose()
    return pd.DataFrame(rows)


def read_throughput(servers: ReplicaSet, *, replicas: int, workers: int = 4, seconds: float = 1.0,
                    rows: int = 1000, settings: Settings | None = None) -> dict[str, Any]:
    """Primary-key reads per second through the router with `replicas` of the set serving reads
    (0: every read on the primary), from `workers` threads for `seconds`.

    All servers share this machine's cores, so more replicas add no CPU here: what this shows is
    the router's spread of reads and its cost, not a cluster's scale-out.
    """
    settings = settings or Settings(pool_size=workers, max_overflow=0)
    primary = make_engine(settings, url=servers.primary_url)
    serving = [make_engine(settings, url=url) for url in servers.replica_urls[:replicas]]
    try:
        _Base.metadata.drop_all(primary)
        _Base.metadata.create_all(primary)
        with unit_of_work(sessionmaker(bind=primary)) as session:
            session.add_all([_Note(id=i, body=f"note {i}") for i in range(1, rows + 1)])
        servers.wait_caught_up()
        factory = routing_session_factory(primary, serving)
        counts = [0] * workers
        errors: list[str] = []
        go = threading.Event()
        deadline = [0.0]

        def worker(index: int) -> None:
            go.wait()
            key = index
            while time.perf_counter() < deadline[0]:
                key = key % rows + 1
                try:
                    with factory() as session:
                        session.get(_Note, key)
                except Exception as error:  # counted, not raised: a failed read is a result here
                    errors.append(type(error).__name__)
                    continue
                counts[index] += 1

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(workers)]
        for thread in threads:
            thread.start()
        deadline[0] = time.perf_counter() + seconds
        go.set()
        for thread in threads:
            thread.join()
        _Base.metadata.drop_all(primary)
    finally:
        for engine in [primary, *serving]:
            engine.dispose()
    return {"replicas": replicas, "workers": workers, "seconds": seconds, "reads": sum(counts),
            "reads_per_second": sum(counts) / seconds, "errors": errors}
