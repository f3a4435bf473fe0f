"""Sync vs async for N independent reads: one after another, `asyncio.gather`, or a thread pool.

The reads are the demo domain's point query on PostgreSQL (one student with their profile level,
optionally made slower on the server with `pg_sleep`) and labkit cache GETs on Redis. Every
strategy answers the same reads; `check_answers` proves it before anything is timed.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pandas as pd
import psycopg
from sqlalchemy import Select, bindparam, func, select, true
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import Session

from labkit.cache import AsyncCache, Cache
from labkit.db import (
    async_session_factory,
    database_url,
    make_async_engine,
    make_engine,
    session_factory,
    unit_of_work,
)
from labkit.lab.bench.runner import Measurement, run_interleaved_async
from labkit.lab.bench.stats import ratio_of_medians
from labkit.lab.demo import Profile, Student, create_schema, demo_data, write_demo_data
from labkit.lab.errors import ParameterError
from labkit.settings import Settings

__all__ = ["KINDS", "STRATEGIES", "DRIVERS", "SCHEMA", "AsyncOpsLab", "open_lab", "speedups"]

SCHEMA = "labkit_nb06_async"
KINDS = ("db", "cache", "mix")
STRATEGIES = {
    "sync_sequential": "sync, one after another",
    "async_sequential": "async, awaited one after another",
    "async_gather": "async, asyncio.gather",
    "thread_pool": "sync, on a thread pool",
}
DRIVERS = {
    "psycopg_sync_sequential": "psycopg sync, one after another",
    "psycopg_async_sequential": "psycopg async, one after another",
    "asyncpg_sequential": "asyncpg, one after another",
    "psycopg_async_gather": "psycopg async, asyncio.gather",
    "asyncpg_gather": "asyncpg, asyncio.gather",
}
Case = Callable[[], Awaitable[object]]


def _read_statement(latency_ms: float) -> Select[Any]:
    """One student and their profile level; with a latency, the server first waits `pg_sleep`."""
    statement: Any = (select(Student.id, Student.name, Profile.level)
                 .join(Profile, Profile.student_id == Student.id)
                 .where(Student.id == bindparam("sid")))
    if latency_ms > 0:  # an InitPlan run once per statement, before the rows
        wait = select(true()).select_from(func.pg_sleep(bindparam("delay"))).scalar_subquery()
        statement = statement.where(wait)
    return statement


def _answer(row: Any) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "level": row.level}


@dataclass
class AsyncOpsLab:
    """Engines, caches and a thread pool over the experiment's schema and cache namespace."""

    engine: Engine
    async_engine: AsyncEngine
    psycopg_async_engine: AsyncEngine
    cache: Cache
    async_cache: AsyncCache
    pool: ThreadPoolExecutor
    students: int
    admin_url: str

    def __post_init__(self) -> None:
        self._sessions = session_factory(self.engine)
        self._async_sessions = {id(e): async_session_factory(e) for e in (self.async_engine,
                                                                           self.psycopg_async_engine)}

    def _plan(self, kind: str, n_ops: int) -> list[tuple[str, int]]:
        """Which reads a batch makes: ('db' | 'cache', student id) for each of the N operations."""
        if kind not in KINDS:
            raise ParameterError(f"kind={kind!r} is not valid: expected one of {', '.join(KINDS)}")
        if n_ops < 1:
            raise ParameterError(f"n_ops must be >= 1, got {n_ops}")
        ids = [1 + (i * 7919) % self.students for i in range(n_ops)]
        if kind == "mix":
            return [("db" if i % 2 == 0 else "cache", sid) for i, sid in enumerate(ids)]
        return [(kind, sid) for sid in ids]

    # -- one operation, each flavour -------------------------------------------------------

    def _sync_op(self, session: Session | None, op: tuple[str, int], latency_ms: float) -> Any:
        kind, sid = op
        if kind == "cache":
            return self.cache.get(f"student:{sid}")
        params = {"sid": sid, "delay": latency_ms / 1000}
        if session is not None:
            return _answer(session.execute(_read_statement(latency_ms), params).one())
        with self._sessions() as own:
            return _answer(own.execute(_read_statement(latency_ms), params).one())

    async def _async_op(self, session: Any, op: tuple[str, int], latency_ms: float,
                        engine: AsyncEngine | None = None) -> Any:
        kind, sid = op
        if kind == "cache":
            return await self.async_cache.get(f"student:{sid}")
        params = {"sid": sid, "delay": latency_ms / 1000}
        if session is not None:
            return _answer((await session.execute(_read_statement(latency_ms), params)).one())
        async with self._async_sessions[id(engine or self.async_engine)]() as own:
            return _answer((await own.execute(_read_statement(latency_ms), params)).one())

    # -- strategies --------------------------------------------------------------------------

    def cases(self, kind: str, n_ops: int, latency_ms: float = 0.0) -> dict[str, Case]:
        """The four strategies for one batch of N operations, as coroutine functions to time."""
        plan = self._plan(kind, n_ops)

        async def sync_sequential() -> list[Any]:
            with self._sessions() as session:
                return [self._sync_op(session, op, latency_ms) for op in plan]

        async def async_sequential() -> list[Any]:
            async with self._async_sessions[id(self.async_engine)]() as session:
                return [await self._async_op(session, op, latency_ms) for op in plan]

        async def async_gather() -> list[Any]:
            return list(await asyncio.gather(*(self._async_op(None, op, latency_ms) for op in plan)))

        async def thread_pool() -> list[Any]:
            return list(self.pool.map(lambda op: self._sync_op(None, op, latency_ms), plan))

        found = {"sync_sequential": sync_sequential, "async_sequential": async_sequential,
                 "async_gather": async_gather, "thread_pool": thread_pool}
        for name, fn in found.items():
            fn.__doc__ = STRATEGIES[name]
        return found  # type: ignore[return-value]

    def driver_cases(self, n_ops: int, latency_ms: float = 0.0) -> dict[str, Case]:
        """The same N database reads through psycopg (sync and async) and asyncpg."""
        plan = self._plan("db", n_ops)

        async def psycopg_sync_sequential() -> list[Any]:
            with self._sessions() as session:
                return [self._sync_op(session, op, latency_ms) for op in plan]

        async def sequential(engine: AsyncEngine) -> list[Any]:
            async with self._async_sessions[id(engine)]() as session:
                return [await self._async_op(session, op, latency_ms) for op in plan]

        async def gathered(engine: AsyncEngine) -> list[Any]:
            return list(await asyncio.gather(*(self._async_op(None, op, latency_ms, engine) for op in plan)))

        async def psycopg_async_sequential() -> list[Any]:
            return await sequential(self.psycopg_async_engine)

        async def asyncpg_sequential() -> list[Any]:
            return await sequential(self.async_engine)

        async def psycopg_async_gather() -> list[Any]:
            return await gathered(self.psycopg_async_engine)

        async def asyncpg_gather() -> list[Any]:
            return await gathered(self.async_engine)

        found = {"psycopg_sync_sequential": psycopg_sync_sequential,
                 "psycopg_async_sequential": psycopg_async_sequential, "asyncpg_sequential": asyncpg_sequential,
                 "psycopg_async_gather": psycopg_async_gather, "asyncpg_gather": asyncpg_gather}
        for name, fn in found.items():
            fn.__doc__ = DRIVERS[name]
        return found  # type: ignore[return-value]

    async def check_answers(self, cases: dict[str, Case]) -> int:
        """Run each case once and fail unless all return the same answers; returns how many."""
        answers = {name: await fn() for name, fn in cases.items()}
        first_name, first = next(iter(answers.items()))
        for name, got in answers.items():
            if got != first:
                raise AssertionError(f"{name} answered differently from {first_name}: {got!r} vs {first!r}")
            if any(a is None for a in got):  # type: ignore[attr-defined]
                raise AssertionError(f"{name} missed a read (a cache key or a student is absent)")
        return len(first)  # type: ignore[arg-type]

    async def measure(self, cases: dict[str, Case], *, repeats: int, warmups: int) -> dict[str, Measurement]:
        """Check the answers, then time the cases interleaved on the running event loop."""
        await self.check_answers(cases)
        return await run_interleaved_async(cases, repeats=repeats, warmups=warmups)

    async def close(self, *, drop: bool = True) -> None:
        """Dispose of engines, caches and threads; drop the schema and the cache keys."""
        if drop:
            await self.async_cache.delete(*(f"student:{i}" for i in range(1, self.students + 1)))
        self.pool.shutdown(wait=True)
        await self.async_cache.close()
        self.cache.close()
        await self.async_engine.dispose()
        await self.psycopg_async_engine.dispose()
        self.engine.dispose()
        if drop:
            with psycopg.connect(self.admin_url, autocommit=True) as admin:
                admin.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


async def open_lab(pg_url: str, redis_url: str, *, students: int = 1000, max_ops: int = 10,
                   settings: Settings | None = None, key_prefix: str | None = None) -> AsyncOpsLab:
    """Create the schema with `students` demo students, cache each as a key, open the pools.

    Each of the three engines' pools holds `max_ops` connections, so that N concurrent reads never
    queue for one; keep 3 × `max_ops` under the server's `max_connections`.
    """
    if students < 1:
        raise ParameterError(f"students must be >= 1, got {students}")
    settings = settings or Settings.from_env()
    admin_url = database_url(url=pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        admin.execute(f"CREATE SCHEMA {SCHEMA}")
    size = max(1, max_ops)
    pool_kw: dict[str, Any] = {"pool_size": size, "max_overflow": 0}
    timeout = max(1, math.ceil(settings.connect_timeout))
    engine = make_engine(settings, url=pg_url, connect_args={
        "connect_timeout": timeout, "options": f"-csearch_path={SCHEMA}"}, **pool_kw)
    async_engine = make_async_engine(settings, url=pg_url, connect_args={
        "timeout": settings.connect_timeout, "server_settings": {"search_path": SCHEMA}}, **pool_kw)
    psycopg_async_engine = create_async_engine(
        database_url(url=pg_url).set(drivername="postgresql+psycopg"), pool_pre_ping=settings.pool_pre_ping,
        connect_args={"connect_timeout": timeout, "options": f"-csearch_path={SCHEMA}"}, **pool_kw)
    create_schema(engine)
    data = demo_data(students=students, courses=10, enrollments_per_student=1)
    with unit_of_work(session_factory(engine)) as session:
        write_demo_data(session, data)
    prefix = key_prefix or f"labkit-nb06-{uuid.uuid4().hex[:8]}"
    cache = Cache.from_url(redis_url, max_connections=size + 2, key_prefix=prefix, default_ttl=3600)
    async_cache = AsyncCache.from_url(redis_url, max_connections=size + 2, key_prefix=prefix, default_ttl=3600)
    levels = {p["student_id"]: p["level"] for p in data.profiles}
    await async_cache.set_many({f"student:{s['id']}": {"id": s["id"], "name": s["name"], "level": levels[s["id"]]}
                                for s in data.students})
    pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="labkit-nb06")
    return AsyncOpsLab(engine, async_engine, psycopg_async_engine, cache, async_cache, pool, students, admin_url)


def speedups(samples: pd.DataFrame, *, by: Sequence[str], base: str = "sync_sequential") -> pd.DataFrame:
    """Per group: each case's time over `base`'s and the speedup (base / case), with 95% CIs."""
    rows = []
    samples = samples[samples["phase"] == "sample"] if "phase" in samples else samples
    for key, group in samples.groupby(list(by), sort=True):
        key = key if isinstance(key, tuple) else (key,)
        base_values = group.loc[group["case"] == base, "value"].to_numpy()
        if base_values.size == 0:
            continue
        for case, values in group.groupby("case", sort=False)["value"]:
            if case == base:
                continue
            r = ratio_of_medians(base_values, values.to_numpy())
            rows.append({**dict(zip(by, key)), "case": case, "label": group.loc[values.index[0], "label"],
                         "ratio": r.value, "ratio_low": r.ci_low, "ratio_high": r.ci_high,
                         "speedup": 1 / r.value, "speedup_low": 1 / r.ci_high, "speedup_high": 1 / r.ci_low,
                         "base_median": float(pd.Series(base_values).median()),
                         "median": float(values.median())})
    return pd.DataFrame(rows)
