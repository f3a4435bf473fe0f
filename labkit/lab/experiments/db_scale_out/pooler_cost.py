"""What PgBouncer changes for clients that connect often: the cost of a connection set-up (connect,
one statement, close) direct vs through the pooler, and many short-lived clients at once."""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg

from labkit.lab.bench import Measurement, run_interleaved

__all__ = ["connection_setup", "short_lived_clients"]


def _connect_once(url: str) -> None:
    with psycopg.connect(url, autocommit=True, prepare_threshold=None) as conn:
        conn.execute("SELECT 1").fetchone()


def connection_setup(direct_url: str, pooled_url: str, *, repeats: int = 30, warmups: int = 3,
                     inner: int = 5) -> dict[str, Measurement]:
    """Connect, run `SELECT 1`, close: straight to PostgreSQL vs through PgBouncer, interleaved."""

    def direct() -> None:
        """connect + SELECT 1 + close, straight to PostgreSQL"""
        _connect_once(direct_url)

    def pooled() -> None:
        """connect + SELECT 1 + close, through PgBouncer"""
        _connect_once(pooled_url)

    return run_interleaved({"direct": direct, "pgbouncer": pooled}, repeats=repeats, warmups=warmups, inner=inner)


def short_lived_clients(url: str, *, clients: int = 200, concurrency: int = 20) -> dict[str, Any]:
    """`clients` clients, `concurrency` at a time, each connecting, running one statement and leaving.

    Returns each client's time (seconds), the failures and the wall time of the whole burst.
    """
    times: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    left = iter(range(clients))

    def worker() -> None:
        while True:
            with lock:
                if next(left, None) is None:
                    return
            start = time.perf_counter()
            try:
                _connect_once(url)
            except psycopg.Error as error:
                with lock:
                    failures.append(str(error).strip().splitlines()[0])
                continue
            with lock:
                times.append(time.perf_counter() - start)

    began = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"times": times, "failures": failures, "wall": time.perf_counter() - began}
