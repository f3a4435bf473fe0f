"""How the demo service answers and logs database failures: status by kind, rate-limited log lines."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import exc as sa_exc

from labkit.errors import DatabaseUnreachable, PoolExhausted
from labkit.lab.app.failures import Failure, FailureLog, classify
from labkit.lab.app.metrics import CacheWindow


class _PgError(Exception):
    def __init__(self, message: str, sqlstate: str | None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def _dbapi(sqlstate: str | None, kind: type[sa_exc.DBAPIError] = sa_exc.DBAPIError) -> sa_exc.DBAPIError:
    return kind("SELECT 1", {}, _PgError("server said no", sqlstate))


@pytest.mark.parametrize(("error", "status", "kind"), [
    (DatabaseUnreachable("PostgreSQL", "postgresql://u:***@h:1/d", "h:1", "refused"), 503, "unreachable"),
    (PoolExhausted("no database connection became free within 1 s"), 503, "pool_exhausted"),
    (_dbapi("57014"), 504, "timeout"),
    (_dbapi("57P01"), 503, "connection_lost"),
    (_dbapi(None, sa_exc.OperationalError), 503, "connection_lost"),
    (_dbapi("23505"), 500, "rejected"),
    (ZeroDivisionError("boom"), 500, "internal"),
])
def test_each_failure_has_its_status_and_kind(error: BaseException, status: int, kind: str) -> None:
    failure = classify(error)
    assert (failure.status, failure.kind) == (status, kind)
    assert ("Retry-After" in failure.headers()) == (status == 503)


def test_the_first_failure_of_a_kind_is_logged_and_the_rest_summed_per_interval(
    caplog: pytest.LogCaptureFixture
) -> None:
    now = [0.0]
    log = FailureLog(logging.getLogger("test.failures"), interval_s=10, clock=lambda: now[0],
                     secrets=["s3cret"])
    failure = Failure(503, "unreachable", "postgresql://u:s3cret@h:1 refused", 1)
    with caplog.at_level(logging.WARNING, logger="test.failures"):
        for second in range(25):  # 10 failures a second for 25 s
            now[0] = float(second)
            for _ in range(10):
                log.record(failure)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3 and log.counts == {"unreachable": 250}
    assert "(99 more since the last line)" in lines[1] and "s3cret" not in "".join(lines)


def test_an_outage_that_ended_has_its_last_count_logged_once_its_interval_passed(
    caplog: pytest.LogCaptureFixture
) -> None:
    now = [0.0]
    log = FailureLog(logging.getLogger("test.failures.due"), interval_s=10, clock=lambda: now[0])
    failure = Failure(503, "pool_exhausted", "no connection became free", 1)
    with caplog.at_level(logging.WARNING, logger="test.failures.due"):
        for _ in range(5):
            log.record(failure)
        now[0] = 9.0
        log.flush_due()  # not yet
        now[0] = 10.0
        log.flush_due()
        log.flush_due()  # told already
    assert [r.getMessage() for r in caplog.records][1:] == ["4 more pool_exhausted failures in the last 10 s"]


def test_the_recent_hit_rate_falls_to_zero_while_every_lookup_bypasses_the_cache() -> None:
    now = [0.0]
    window = CacheWindow(window_s=10, clock=lambda: now[0])
    hits = lookups = 0
    for second in range(30):
        now[0] = float(second)
        if second < 20:
            hits, lookups = hits + 9, lookups + 10  # 90 % hits
        else:
            lookups += 10  # Redis is down: lookups bypass the cache
        window.sample(hits, lookups)
    assert window.hit_rate(hits, lookups) == 0.0
    assert round(100 * hits / lookups) == 60  # what an all-time rate would still claim


def test_no_lookup_in_the_window_is_no_hit_rate() -> None:
    now = [0.0]
    window = CacheWindow(window_s=10, clock=lambda: now[0])
    window.sample(50, 60)
    now[0] = 30.0
    assert window.hit_rate(50, 60) is None
