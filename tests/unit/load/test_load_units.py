"""The load driver's pieces that need no server: workload, request stats, metrics text, SVG cleaning, statistics."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from labkit.errors import SettingsError
from labkit.lab.app.config import AppConfig
from labkit.lab.app.metrics import prometheus_text
from labkit.lab.app.stats import RequestStats
from labkit.lab.load import Workload, memory_table, mode_ratios, ratio_of_quantiles, static_svg, step_table
from labkit.lab.load.driver import LoadPlan, Step, _step_rows
from labkit.lab.load.open_loop import Sample
from labkit.settings import Settings


def test_workload_is_deterministic_and_stays_in_range() -> None:
    w = Workload(students=100)
    first = [w.next(random.Random(3)).path for _ in range(1)] + [r.path for r in _draw(w, 3, 200)]
    again = [w.next(random.Random(3)).path for _ in range(1)] + [r.path for r in _draw(w, 3, 200)]
    assert first == again
    ids = [w.student_id(random.Random(i)) for i in range(500)]
    assert min(ids) >= 1 and max(ids) <= 100
    assert sum(i <= 10 for i in ids) > sum(i > 90 for i in ids)  # skewed towards popular students


def _draw(w: Workload, seed: int, n: int) -> list:
    rng = random.Random(seed)
    return [w.next(rng) for _ in range(n)]


def test_missing_students_expect_a_404() -> None:
    request = Workload(students=10).request("missing", random.Random(0))
    assert request.expected_status == 404 and int(request.path.rsplit("/", 1)[1]) > 10


def test_workload_rejects_unknown_endpoints() -> None:
    with pytest.raises(ValueError, match="unknown endpoints"):
        Workload(students=10, mix={"nope": 1.0})


def test_request_stats_counts_a_sliding_window_on_an_injected_clock() -> None:
    now = [100.0]
    stats = RequestStats(window_s=10, clock=lambda: now[0])
    for _ in range(50):
        stats.record(200, 0.01)
    now[0] = 110.0
    stats.record(500, 0.02)
    snap = stats.snapshot()
    assert snap["requests"] == 51 and snap["errors"] == 1 and snap["by_status"] == {"200": 50, "500": 1}
    assert snap["requests_per_second"] == pytest.approx(0.1)  # the first 50 left the window
    assert 0.009 < snap["p50_s"] < 0.012


def test_app_config_names_a_bad_mode() -> None:
    with pytest.raises(SettingsError, match="LABKIT_APP_MODE"):
        AppConfig(Settings(), "turbo")  # type: ignore[arg-type]


def test_prometheus_text_has_help_type_and_samples() -> None:
    payload = {"mode": "optimized", "performance": {"requests_total": 3, "by_status": {"200": 3}, "p50": 0.01,
                                                    "p95": None, "p99": 0.02, "requests_per_second": 1.5},
               "cache": {"enabled": True, "hits": 2, "misses": 1, "errors": 0, "lookups_bypassed": 1, "hit_rate": 50.0,
                         "breaker": "half-open", "breaker_opens": 1, "breaker_closes": 0},
               "database": {"query_count": 4, "pool_size": 20, "active_connections": 0, "connects": 1,
                            "errors": {"unreachable": 2}},
               "process": {"rss_bytes": 1234}}
    text = prometheus_text(payload)
    assert '# TYPE labkit_cache_hits_total counter\nlabkit_cache_hits_total{mode="optimized"} 2' in text
    assert 'quantile="0.95"} NaN' in text and "process_resident_memory_bytes 1234" in text
    assert 'labkit_cache_breaker_state{mode="optimized",state="half-open"} 1' in text
    assert 'labkit_cache_hit_ratio{mode="optimized"} 0.5' in text
    assert 'labkit_db_errors_total{mode="optimized",kind="unreachable"} 2' in text


def test_static_svg_drops_scripts_and_handlers() -> None:
    svg = ('<?xml version="1.0"?><!DOCTYPE svg PUBLIC "x" "http://example.org/x.dtd"><svg onload="init(evt)">'
           '<script type="text/ecmascript"><![CDATA[ var a = 1; ]]></script><g onclick="zoom(this)"><rect/></g></svg>')
    out = static_svg(svg)
    assert "<script" not in out and "onload" not in out and "onclick" not in out and "DOCTYPE" not in out
    assert "<rect/>" in out


def test_plan_rejects_a_step_shorter_than_its_settling_time() -> None:
    with pytest.raises(ValueError, match="settle_s"):
        LoadPlan(duration_s=1.0, settle_s=1.0)


def _frame() -> pd.DataFrame:
    plan = LoadPlan(users=(10,), rates=(), duration_s=4.0, settle_s=1.0)
    rows = []
    for mode, latency in (("baseline", 0.3), ("optimized", 0.1)):
        rng = np.random.default_rng(1)
        samples = [Sample(t, "student", float(latency * rng.uniform(0.8, 1.2)), 200, True)
                   for t in np.arange(0.0, 3.9, 0.05 if mode == "optimized" else 0.2)]
        rows += _step_rows(mode, Step("closed", users=10), samples, plan)
    for mode, base in (("baseline", 100e6), ("optimized", 90e6)):
        rows += [{"case": "server_rss", "label": "", "phase": "sample", "iteration": i, "value": base + i, "unit": "B",
                  "kind": "memory", "mode": mode, "t": i * 0.25} for i in range(20)]
    return pd.DataFrame(rows)


def test_step_table_and_ratios_come_from_the_raw_rows() -> None:
    frame = _frame()
    table = step_table(frame).set_index("mode")
    assert table.loc["optimized", "requests_per_s"] > 3 * table.loc["baseline", "requests_per_s"]
    assert table.loc["baseline", "p50_ms"] == pytest.approx(300, rel=0.2) and table["errors"].sum() == 0
    ratios = mode_ratios(frame).iloc[0]
    assert ratios["p50_ratio"] == pytest.approx(1 / 3, rel=0.2) and ratios["rps_ratio"] > 3
    memory = memory_table(frame).set_index("mode")
    assert memory.loc["optimized", "growth_mb"] == pytest.approx(19 / 2**20)


def test_ratio_of_quantiles_recovers_a_known_ratio() -> None:
    a = np.linspace(1.0, 2.0, 400)
    r = ratio_of_quantiles(a, a * 0.5, 0.95)
    assert r.value == pytest.approx(0.5) and r.ci_low <= 0.5 <= r.ci_high


def test_open_loop_fails_a_request_still_unanswered_at_its_deadline() -> None:
    """A server that trickles its answer byte by byte never trips a per-read timeout; the deadline still cuts it."""
    import socket
    import threading
    import time

    from labkit.lab.load import run_open_loop

    answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: application/json\r\n\r\n{}"

    def trickle(server: socket.socket) -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(4096)
            for byte in answer:  # the whole answer takes about 2 s
                time.sleep(2.0 / len(answer))
                try:
                    conn.sendall(bytes([byte]))
                except OSError:  # the client gave up
                    return

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(4)
        thread = threading.Thread(target=trickle, args=(server,), daemon=True)
        thread.start()
        samples = run_open_loop(f"http://127.0.0.1:{server.getsockname()[1]}", rate=1.0, duration_s=1.0,
                                workload=Workload(10), timeout=0.5)
        thread.join(5)
    assert len(samples) == 1
    assert samples[0].status == 0 and not samples[0].ok  # cut at its deadline, not served late with a 200
    assert samples[0].latency >= 0.5
