"""The real uvicorn subprocess on 127.0.0.1, loaded briefly by locust and by the open-loop client."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from labkit.lab.app import AppConfig
from labkit.lab.load import FlameRecorder, ServiceProcess, Workload, run_locust, run_open_loop
from tests.integration.app.conftest import STUDENTS


def test_uvicorn_subprocess_serves_locust_and_open_loop_without_errors(
    app_config: Callable[[str], AppConfig]
) -> None:
    with ServiceProcess(app_config("optimized")) as service:
        assert service.url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{service.url}/api/v1/health").json()["mode"] == "optimized"
        flame = FlameRecorder(service.pid, 2.0)
        closed, _ = run_locust(service.url, users=4, duration_s=2.0, students=STUDENTS, think_s=0.05)
        note = flame.result()
        opened = run_open_loop(service.url, rate=25.0, duration_s=1.0, workload=Workload(STUDENTS))
        metrics = service.metrics()
    assert closed and all(s.ok for s in closed), [s for s in closed if not s.ok][:3]
    assert {s.name for s in closed} >= {"learning_path", "student"}
    assert len(opened) == 25 and all(s.ok for s in opened)
    assert metrics["performance"]["requests_total"] >= len(closed) + len(opened)  # plus the readiness polls
    assert metrics["cache"]["total_requests"] > 0
    assert note.svg is None or ("<svg" in note.svg and "<script" not in note.svg), note.note
    assert service.process is not None and service.process.poll() is not None  # stopped on exit
