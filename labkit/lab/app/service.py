"""The demo service: students, learning paths and metrics over the demo domain, in one mode chosen at start."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

from fastapi import FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from labkit.lab.app.baseline import BaselineStudents
from labkit.lab.app.config import AppConfig
from labkit.lab.app.failures import FailureLog, classify
from labkit.lab.app.metrics import CacheWindow, metrics_json, prometheus_text
from labkit.lab.app.optimized import OptimizedStudents
from labkit.lab.app.readiness import log_startup, readiness
from labkit.lab.app.shapes import MAX_LIMIT, MAX_OFFSET, STUDENT_ID_MAX
from labkit.lab.app.stats import RequestStats
from labkit.monitor import QueryMonitor
from labkit.secrets import url_secrets

__all__ = ["create_app", "API", "LOGGER"]

API = "/api/v1"
LOGGER = logging.getLogger("labkit.lab.app")
_UNCOUNTED = ("/metrics", f"{API}/metrics", "/openapi.json")


class _Timing:
    """Pure ASGI middleware: times each request to its last byte (metrics endpoints left out)."""

    def __init__(self, app: ASGIApp, stats: RequestStats) -> None:
        self.app = app
        self.stats = stats

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in _UNCOUNTED:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self.stats.record(status[0], time.perf_counter() - started)


class _Failures:
    """Pure ASGI middleware: an exception that escapes a route becomes a JSON error, logged by `FailureLog`.

    The response is complete, so the keep-alive connection stays usable.
    """

    def __init__(self, app: ASGIApp, log: FailureLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = [False]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                started[0] = True
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as error:
            failure = classify(error)
            self.log.record(failure, error)
            if started[0]:  # too late for a status: let the server close the connection
                raise
            await JSONResponse(failure.body(), status_code=failure.status, headers=failure.headers())(
                scope, receive, send)


async def _every_second(cache: Any, window: CacheWindow, failures: FailureLog) -> None:
    """Each second: snapshot the cache counters for the windowed hit rate, log breaker transitions and the
    failure summaries that are due."""
    seen = (cache.breaker.opens, cache.breaker.closes) if cache is not None else (0, 0)
    while True:
        failures.flush_due()
        if cache is not None:
            m = cache.metrics()
            hits = int(m["hits"])
            window.sample(hits, hits + int(m["misses"]) + int(m["lookups_bypassed"]))
            now = (m["breaker_opens"], m["breaker_closes"])
            if now != seen:
                LOGGER.warning("cache breaker %s (opened %d times, closed %d times so far; %d cache errors)",
                               m["breaker"], now[0], now[1], m["errors"])
                seen = now
        await asyncio.sleep(1.0)


def _not_found(student_id: int) -> JSONResponse:
    return JSONResponse({"detail": f"student {student_id} not found", "student_id": student_id}, status_code=404)


def _answer(found: Any) -> Any:
    """Bytes are a JSON body encoded already (a cached response); anything else FastAPI encodes."""
    return Response(found, media_type="application/json") if isinstance(found, bytes) else found


def _invalid(_: Request, exc: Exception) -> JSONResponse:
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    fields = [str(e["loc"][-1]) for e in errors if e.get("loc")]
    detail = [{"field": str(e["loc"][-1]) if e.get("loc") else None, "in": str(e["loc"][0]) if e.get("loc") else None,
               "message": e.get("msg", ""), "type": e.get("type", "")} for e in errors]
    message = "invalid " + ", ".join(fields) if fields else "invalid request"
    return JSONResponse({"detail": message, "fields": fields, "errors": detail}, status_code=422)


def create_app(config: AppConfig) -> FastAPI:
    """The FastAPI application for `config.mode`; engines and cache are built when it starts."""
    stats = RequestStats()
    state: dict[str, Any] = {}
    secrets = url_secrets(config.settings.database_url) + url_secrets(config.settings.redis_url)
    failures = FailureLog(LOGGER, secrets=secrets)
    window = CacheWindow()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        service = OptimizedStudents(config) if config.mode == "optimized" else BaselineStudents(config)
        monitor = QueryMonitor(config.settings).attach(service.engine)
        state.update(service=service, monitor=monitor, failures=failures)
        await log_startup(LOGGER, service, config.settings.database_url or "", config.settings.redis_url,
                          config.mode, config.settings.connect_timeout)
        sampler = asyncio.create_task(_every_second(service.cache, window, failures))
        try:
            yield
        finally:
            sampler.cancel()
            monitor.detach_all()
            failures.flush()
            await service.close()

    app = FastAPI(title=f"labkit demo service ({config.mode})", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json")
    app.add_middleware(_Failures, log=failures)
    app.add_middleware(_Timing, stats=stats)  # added last, so outermost: it times the error answers too
    app.add_exception_handler(RequestValidationError, _invalid)

    @app.api_route(f"{API}/health", methods=["GET", "HEAD"])
    async def health() -> dict[str, Any]:
        """Liveness: the process serves HTTP (says nothing of the database)."""
        return {"status": "ok", "mode": config.mode}

    @app.api_route(f"{API}/ready", methods=["GET", "HEAD"])
    async def ready() -> JSONResponse:
        """Readiness: 200 when PostgreSQL answers, else 503; Redis and the breaker reported either way."""
        ok, report = await readiness(state["service"], config.settings.connect_timeout)
        headers = {} if ok else {"Retry-After": "1"}
        return JSONResponse({**report, "mode": config.mode}, status_code=200 if ok else 503, headers=headers)

    @app.get(f"{API}/students/{{student_id}}")
    async def student(student_id: int = Path(ge=1, le=STUDENT_ID_MAX)) -> Any:
        found = await state["service"].student(student_id)
        return _not_found(student_id) if found is None else _answer(found)

    @app.get(f"{API}/students")
    async def students(
        is_active: bool | None = None,
        level: Literal["beginner", "intermediate", "advanced"] | None = None,
        limit: int = Query(20, ge=1, le=MAX_LIMIT),
        offset: int = Query(0, ge=0, le=MAX_OFFSET),
    ) -> Any:
        return _answer(await state["service"].students(is_active, level, limit, offset))

    @app.get(f"{API}/students/{{student_id}}/learning-path")
    async def learning_path(student_id: int = Path(ge=1, le=STUDENT_ID_MAX)) -> Any:
        found = await state["service"].learning_path(student_id)
        return _not_found(student_id) if found is None else _answer(found)

    @app.get(f"{API}/metrics")
    async def metrics() -> dict[str, Any]:
        return metrics_json(config.mode, state["service"], state["monitor"], stats, window, failures.counts)

    @app.get("/metrics", response_class=PlainTextResponse)
    async def prometheus() -> PlainTextResponse:
        payload = metrics_json(config.mode, state["service"], state["monitor"], stats, window, failures.counts)
        return PlainTextResponse(prometheus_text(payload), media_type="text/plain; version=0.0.4")

    return app
