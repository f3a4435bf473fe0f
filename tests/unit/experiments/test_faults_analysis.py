"""09_faults' reading of its rows: errors during a fault, recovery after it, hit rates, lost writes, verdicts."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from labkit.lab.experiments.faults.analysis import fault_table, verdicts
from labkit.lab.experiments.faults.measure import FaultPlan

_BASE = dict(kind="", mode="", fault="", endpoint="", status=0, ok=True, t=0.0, t_end=0.0, counter="", phase="sample")


def _request(mode: str, t: float, latency: float = 0.01, status: int = 200) -> dict[str, Any]:
    return {**_BASE, "kind": "latency", "mode": mode, "t": t, "value": latency, "status": status,
            "ok": status == 200}


def _run(fail_until: float, *, lost: int = 0, status: int = 503) -> pd.DataFrame:
    """10 requests/s for 10 s; a fault from 4 to 6 s; requests fail (with `status`) from 4 s to `fail_until`."""
    rows = [{**_BASE, "kind": "fault", "fault": "postgres_restart", "label": "PostgreSQL stopped", "t": 4.0,
             "t_end": 6.0, "calm": 2.0, "until": 10.0, "value": 2.0}]
    for i in range(100):
        t = i / 10
        rows.append(_request("optimized", t, status=status if 4.0 <= t < fail_until else 200))
    for t, hits, lookups in [(2.0, 10, 20), (4.0, 30, 40), (6.0, 30, 60), (10.0, 46, 100)]:
        rows += [{**_BASE, "kind": "cache", "mode": "optimized", "counter": "hits", "t": t, "value": hits},
                 {**_BASE, "kind": "cache", "mode": "optimized", "counter": "lookups", "t": t, "value": lookups}]
    rows += [{**_BASE, "kind": "ledger", "t": 2.0 + i / 10, "value": 0 if i < lost else 1} for i in range(50)]
    return pd.DataFrame(rows)


def test_errors_during_the_fault_and_the_seconds_to_recover_after_it() -> None:
    row = fault_table(_run(fail_until=7.0)).iloc[0]
    assert (row["requests"], row["errors"], row["errors_by_status"]) == (20, 20, "503×20")
    assert row["recovery_s"] == pytest.approx(1.0) and row["recovered"]  # the bins from 7 s on are all good
    assert (row["hit_rate_before_pct"], row["hit_rate_after_pct"]) == (100.0, 40.0)


def test_one_slow_request_is_noise_but_a_slow_half_second_is_not_recovered_yet() -> None:
    frame = _run(fail_until=6.0)
    lone = frame.index[(frame["kind"] == "latency") & (frame["t"].round(1) == 6.6)]
    assert fault_table(frame.assign(value=frame["value"].where(~frame.index.isin(lone), 0.9))).iloc[0][
        "recovery_s"] == 0.0
    slow = frame.index[(frame["kind"] == "latency") & frame["t"].between(6.95, 7.45)]
    row = fault_table(frame.assign(value=frame["value"].where(~frame.index.isin(slow), 0.9))).iloc[0]
    assert row["recovery_s"] == pytest.approx(1.5) and row["errors_after"] == 0


def test_a_service_that_fails_to_the_end_of_the_window_has_not_recovered() -> None:
    table = fault_table(_run(fail_until=11.0))
    assert not table.iloc[0]["recovered"]
    assert verdicts(table).iloc[0]["why"] == "did not recover within the window"


def test_a_500_or_a_lost_write_is_not_resilient() -> None:
    table = fault_table(_run(fail_until=6.0, status=500, lost=2))
    verdict = verdicts(table).iloc[0]
    assert verdict["verdict"] == "not resilient"
    assert verdict["why"] == "answered 500×20; lost 2 acknowledged writes"


def test_quick_recovery_with_only_503s_and_nothing_lost_is_resilient() -> None:
    assert verdicts(fault_table(_run(fail_until=6.0))).iloc[0]["verdict"] == "resilient"


def test_each_fault_gets_calm_fault_and_recovery_windows_in_turn() -> None:
    plan = FaultPlan(faults=["redis_freeze", "pool_exhausted"], warmup_s=1, before_s=1, fault_s=2, after_s=3)
    first, second = plan.windows()
    assert (first.calm, first.start, first.end, first.until) == (1, 2, 4, 7)
    assert (second.calm, second.start) == (7, 8) and plan.duration_s == 13


def test_an_unknown_fault_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValueError, match="redis_restart"):
        FaultPlan(faults=["disk_full"])
