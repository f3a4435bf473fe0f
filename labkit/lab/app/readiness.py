"""Readiness: can the service answer now? PostgreSQL must answer; Redis and the breaker are reported.

Liveness (`/api/v1/health`) only says the process serves HTTP; readiness says whether requests would
succeed, so a load balancer stops sending traffic while the database is unreachable.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from anyio import to_thread
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from labkit.lab.app.failures import classify
from labkit.secrets import mask_text, mask_url, url_secrets

__all__ = ["check_database", "check_cache", "readiness", "log_startup"]

_PROBE_KEY = "__ready__"


def _sync_ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


async def check_database(engine: Engine | AsyncEngine, timeout: float) -> dict[str, Any]:
    """One `SELECT 1` within `timeout` s: {ok, latency_ms} or {ok: False, error, reason}."""
    started = time.perf_counter()
    try:
        if isinstance(engine, AsyncEngine):
            async def ping() -> None:
                async with engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))

            await asyncio.wait_for(ping(), timeout)
        else:
            await asyncio.wait_for(to_thread.run_sync(_sync_ping, engine, abandon_on_cancel=True), timeout)
    except Exception as error:
        failure = classify(asyncio.TimeoutError(f"no answer within {timeout:g} s")
                           if isinstance(error, asyncio.TimeoutError) else error)
        return {"ok": False, "error": failure.kind, "reason": failure.reason}
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1e3, 2)}


async def check_cache(cache: Any, timeout: float) -> dict[str, Any]:
    """One Redis round trip within `timeout` s, plus the circuit breaker's state; `enabled: False` without cache."""
    if cache is None:
        return {"enabled": False}
    breaker = cache.breaker
    out: dict[str, Any] = {"enabled": True, "breaker": breaker.state, "breaker_failures": breaker.failures}
    started = time.perf_counter()
    try:
        await asyncio.wait_for(cache.backend.exists(cache.full_key(_PROBE_KEY)), timeout)
    except (asyncio.TimeoutError, *cache.backend.errors) as error:
        out.update(ok=False, reason=mask_text(f"{type(error).__name__}: {error}".strip()))
        return out
    out.update(ok=True, latency_ms=round((time.perf_counter() - started) * 1e3, 2))
    return out


async def readiness(service: Any, timeout: float) -> tuple[bool, dict[str, Any]]:
    """(ready, report): ready when PostgreSQL answers; Redis is reported, as the cache fails open."""
    database, cache = await asyncio.gather(check_database(service.engine, timeout), check_cache(service.cache, timeout))
    ready = bool(database["ok"])
    return ready, {"status": "ready" if ready else "not ready", "database": database, "cache": cache}


async def log_startup(logger: logging.Logger, service: Any, database_url: str, redis_url: str | None,
                      mode: str, timeout: float) -> None:
    """Log, once at start, what the service connected to (URLs masked) and what failed."""
    _, report = await readiness(service, timeout)
    database, cache = report["database"], report["cache"]
    secrets = url_secrets(database_url) + url_secrets(redis_url)
    where = mask_url(database_url)
    if database["ok"]:
        logger.info("%s mode: PostgreSQL at %s answers (%.1f ms)", mode, where, database["latency_ms"])
    else:
        logger.warning("%s mode: PostgreSQL at %s failed: %s; not ready until it answers", mode, where,
                       mask_text(database["reason"], secrets))
    if not cache["enabled"]:
        logger.info("%s mode: no cache", mode)
    elif cache["ok"]:
        logger.info("%s mode: Redis at %s answers (%.1f ms)", mode, mask_url(redis_url or ""), cache["latency_ms"])
    else:
        logger.warning("%s mode: Redis at %s failed: %s; serving without the cache (fail-open)", mode,
                       mask_url(redis_url or ""), mask_text(cache["reason"], secrets))
