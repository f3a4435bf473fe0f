"""Optimized mode: a Redis cache in front, eager loading, a connection pool, async calls made concurrently.

Whole responses are cached as JSON bytes, so a hit costs one Redis GET and no encoding; a
miss loads the parts (each cached on its own) concurrently and encodes them once.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import joinedload, selectinload

from labkit.cache import AsyncCache, cached
from labkit.db.sessions import async_session_factory, async_unit_of_work
from labkit.lab.app.config import AppConfig
from labkit.lab.app.database import async_engine
from labkit.lab.app.shapes import count_statement, course_json, list_statement, recommendations_statement, student_json
from labkit.lab.demo.models import Enrollment, Student

__all__ = ["OptimizedStudents"]


class OptimizedStudents:
    """Reads go through `@cached`; misses load eagerly over pooled asyncpg connections."""

    def __init__(self, config: AppConfig) -> None:
        self.engine: AsyncEngine = async_engine(config)
        self._sessions = async_session_factory(self.engine)
        self.cache = AsyncCache.from_settings(config.settings)
        ttl, list_ttl = config.cache_ttl, config.list_ttl
        self._student = cached(prefix="api:student", ttl=ttl, cache=self.cache)(self._load_student)
        self._path = cached(prefix="api:path", ttl=ttl, cache=self.cache)(self._load_path)
        self._recommended = cached(prefix="api:recommended", ttl=ttl, cache=self.cache)(self._load_recommended)
        # Pages are versioned: a write cannot name every page that holds the student, so it bumps them all.
        self._page = cached(prefix="api:students", ttl=list_ttl, cache=self.cache, versioned=True)(self._load_page)
        self._total = cached(prefix="api:students-count", ttl=list_ttl, cache=self.cache)(self._load_total)
        self._student_body = cached(prefix="api:student-json", ttl=ttl, cache=self.cache)(self._student_json)
        self._path_body = cached(prefix="api:path-json", ttl=ttl, cache=self.cache)(self._path_json)
        self._page_body = cached(prefix="api:students-json", ttl=list_ttl, cache=self.cache,
                                 versioned=True)(self._page_json)
        # A read whose SELECT began before a write committed may store the old row after the write dropped
        # it; it does so within a statement timeout, so dropping the entries again after that closes the gap.
        self.forget_again_after_s = config.statement_timeout_s + 1.0
        self._pending: set[asyncio.Task[None]] = set()

    async def close(self) -> None:
        for task in self._pending:
            task.cancel()
        await asyncio.gather(*self._pending, return_exceptions=True)
        await self.cache.close()
        await self.engine.dispose()

    async def student(self, student_id: int) -> bytes | None:
        return await self._student_body(student_id)

    async def students(self, is_active: bool | None, level: str | None, limit: int, offset: int) -> bytes:
        return await self._page_body(is_active, level, limit, offset)

    async def learning_path(self, student_id: int) -> bytes | None:
        return await self._path_body(student_id)

    async def rename(self, student_id: int, name: str) -> bytes | None:
        """Write the new name, then drop every cached read that shows it (after the commit, so a read
        that misses now loads the new row), and drop the student's entries once more a little later."""
        async with async_unit_of_work(self._sessions) as session:
            student = await session.get(Student, student_id, options=[joinedload(Student.profile)])
            if student is None:
                return None
            student.name = name
            body = student_json(student, student.profile)
        # Pages are versioned: a read that began before the bump stores under the old version, which
        # nobody reads again, so they need no second pass.
        await asyncio.gather(self._forget(student_id), self.cache.bump_namespace("api:students"),
                             self.cache.bump_namespace("api:students-json"))
        task = asyncio.create_task(self._forget_later(student_id))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        return msgspec.json.encode(body)

    async def _forget(self, student_id: int) -> None:
        await asyncio.gather(self._student.invalidate(student_id), self._student_body.invalidate(student_id),
                             self._path.invalidate(student_id), self._path_body.invalidate(student_id))

    async def _forget_later(self, student_id: int) -> None:
        await asyncio.sleep(self.forget_again_after_s)
        await self._forget(student_id)

    # -- whole responses, encoded once -----------------------------------------------------

    async def _student_json(self, student_id: int) -> bytes | None:
        found = await self._student(student_id)
        return None if found is None else msgspec.json.encode(found)

    async def _page_json(self, is_active: bool | None, level: str | None, limit: int, offset: int) -> bytes:
        items, total = await asyncio.gather(self._page(is_active, level, limit, offset),
                                            self._total(is_active, level))
        return msgspec.json.encode({"items": items, "total": total, "limit": limit, "offset": offset})

    async def _path_json(self, student_id: int) -> bytes | None:
        path, recommended = await asyncio.gather(self._path(student_id), self._recommended(student_id))
        if path is None:
            return None
        return msgspec.json.encode({**path, "recommendations": recommended})

    # -- what a miss runs ------------------------------------------------------------------

    async def _load_student(self, student_id: int) -> dict[str, Any] | None:
        async with self._sessions() as session:
            student = await session.get(Student, student_id, options=[joinedload(Student.profile)])
            return None if student is None else student_json(student, student.profile)

    async def _load_path(self, student_id: int) -> dict[str, Any] | None:
        statement = (select(Student).where(Student.id == student_id)
                     .options(joinedload(Student.profile),
                              selectinload(Student.enrollments).joinedload(Enrollment.course)))
        async with self._sessions() as session:
            student = (await session.scalars(statement)).first()
            if student is None:
                return None
            courses = sorted((course_json(e.course, e) for e in student.enrollments), key=lambda c: c["course_id"])
            return {"student": student_json(student, student.profile), "courses": courses}

    async def _load_recommended(self, student_id: int) -> list[dict[str, Any]]:
        async with self._sessions() as session:
            return [course_json(c) for c in await session.scalars(recommendations_statement(student_id))]

    async def _load_page(self, is_active: bool | None, level: str | None, limit: int,
                         offset: int) -> list[dict[str, Any]]:
        statement = list_statement(is_active, level, limit, offset).options(joinedload(Student.profile))
        async with self._sessions() as session:
            return [student_json(s, s.profile) for s in await session.scalars(statement)]

    async def _load_total(self, is_active: bool | None, level: str | None) -> int:
        async with self._sessions() as session:
            return int(await session.scalar(count_statement(is_active, level)) or 0)
