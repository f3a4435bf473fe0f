"""Which driver settings work through PgBouncer in each pool mode, measured rather than copied.

Several clients share a small server pool and each runs the same few parameterised statements
many times, so a driver that prepares statements on the server meets another client's prepared
statement (or misses its own) whenever PgBouncer hands it a different server connection. A cell
counts the statements that failed; a setting works in a mode when none did.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Any

import asyncpg
import psycopg

from labkit.lab.services.pooler import pgbouncer

__all__ = ["CompatResult", "DRIVER_SETTINGS", "compatibility", "compatibility_table"]

# (driver, the setting as a reader would write it, keyword arguments of the driver's connect)
DRIVER_SETTINGS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("psycopg", "prepare_threshold=5 (default)", {"prepare_threshold": 5}),
    ("psycopg", "prepare_threshold=None", {"prepare_threshold": None}),
    ("asyncpg", "statement_cache_size=100 (default)", {"statement_cache_size": 100}),
    ("asyncpg", "statement_cache_size=0", {"statement_cache_size": 0}),
)


@dataclass(frozen=True)
class CompatResult:
    """One driver setting in one pool mode: statements run, how many failed, the first error."""

    driver: str
    setting: str
    pool_mode: str
    statements: int
    errors: int
    first_error: str

    @property
    def works(self) -> bool:
        """No statement failed."""
        return self.errors == 0


def _first_line(error: BaseException) -> str:
    return f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"


def _run_psycopg(url: str, kw: dict[str, Any], clients: int, statements: int) -> tuple[int, str]:
    errors: list[str] = []
    lock = threading.Lock()

    def client() -> None:
        with psycopg.connect(url, autocommit=True, **kw) as conn:
            for i in range(statements):
                try:
                    conn.execute(f"SELECT %s::int + {i % 7}", (i,)).fetchone()  # seven distinct statements
                except psycopg.Error as error:
                    with lock:
                        errors.append(_first_line(error))

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(errors), errors[0] if errors else ""


def _run_asyncpg(url: str, kw: dict[str, Any], clients: int, statements: int) -> tuple[int, str]:
    errors: list[str] = []

    async def client() -> None:
        conn = await asyncpg.connect(url, **kw)
        try:
            for i in range(statements):
                try:
                    await conn.fetchval(f"SELECT $1::int + {i % 7}", i)
                except (asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                    errors.append(_first_line(error))
        finally:
            await conn.close()

    async def main() -> None:
        await asyncio.gather(*(client() for _ in range(clients)))

    # A thread of its own: a notebook's kernel already runs an event loop in this one.
    thread = threading.Thread(target=asyncio.run, args=(main(),))
    thread.start()
    thread.join()
    return len(errors), errors[0] if errors else ""


def compatibility(server_url: str, *, modes: tuple[str, ...] = ("session", "transaction"), clients: int = 6,
                  statements: int = 40, pool_size: int = 2) -> list[CompatResult]:
    """Every driver setting through PgBouncer in each mode, in front of the server at `server_url`."""
    results = []
    for mode in modes:
        with pgbouncer(server_url, pool_mode=mode, pool_size=pool_size) as bouncer:
            for driver, setting, kw in DRIVER_SETTINGS:
                run = _run_psycopg if driver == "psycopg" else _run_asyncpg
                errors, first = run(bouncer.url, kw, clients, statements)
                results.append(CompatResult(driver, setting, mode, clients * statements, errors, first))
    return results


def compatibility_table(results: list[CompatResult]) -> str:
    """A markdown table: one row per driver setting, one column per pool mode (works, or failures)."""
    modes = list(dict.fromkeys(r.pool_mode for r in results))
    rows = list(dict.fromkeys((r.driver, r.setting) for r in results))
    cell = {(r.driver, r.setting, r.pool_mode): r for r in results}
    lines = ["| driver | setting | " + " | ".join(modes) + " |", "|---|---|" + "---|" * len(modes)]
    for driver, setting in rows:
        marks = []
        for mode in modes:
            r = cell[(driver, setting, mode)]
            marks.append("works" if r.works else f"fails ({r.errors}/{r.statements})")
        lines.append(f"| {driver} | `{setting}` | " + " | ".join(marks) + " |")
    return "\n".join(lines)
