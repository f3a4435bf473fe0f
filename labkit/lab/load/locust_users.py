"""Locust users of the demo service: learners browsing students and learning paths.

Run by `tests/load_testing/locustfile.py` and by `labkit load` (headless, in a subprocess). With
`LABKIT_LOCUST_SAMPLES` set, every request is also written to that file as a raw sample
(`start,name,latency_s,status,ok`), so statistics come from samples, not from locust's summary.
"""

from __future__ import annotations

import atexit
import os
import random
import time
from typing import Any

import gevent
from locust import FastHttpUser, between, events, task

from labkit.lab.load.workload import Workload

__all__ = ["LearnerUser", "SAMPLES_ENV", "STUDENTS_ENV", "THINK_ENV", "DURATION_ENV"]

SAMPLES_ENV = "LABKIT_LOCUST_SAMPLES"
STUDENTS_ENV = "LABKIT_LOAD_STUDENTS"
THINK_ENV = "LABKIT_LOAD_THINK_S"
SEED_ENV = "LABKIT_LOAD_SEED"
DURATION_ENV = "LABKIT_LOAD_DURATION_S"

_WORKLOAD = Workload(students=int(os.environ.get(STUDENTS_ENV, "2000")))
_THINK = float(os.environ.get(THINK_ENV, "1.0"))
_SEED = int(os.environ.get(SEED_ENV, "0"))
_SAMPLES: list[str] = []


@events.request.add_listener
def _keep(request_type: str, name: str, response_time: float, response_length: int, response: Any = None,
          exception: Any = None, start_time: float | None = None, **_: Any) -> None:
    status = getattr(response, "status_code", 0) or 0
    _SAMPLES.append(f"{start_time or 0.0:.6f},{name},{response_time / 1e3:.6f},{status},{int(exception is None)}")


def _flush() -> None:
    path = os.environ.get(SAMPLES_ENV)
    if path and _SAMPLES:
        with open(path, "a", encoding="utf-8") as out:
            out.write("\n".join(_SAMPLES) + "\n")
        _SAMPLES.clear()


events.quitting.add_listener(lambda **_: _flush())


@events.test_start.add_listener
def _stop_on_time(environment: Any, **_: Any) -> None:
    """Quit after LABKIT_LOAD_DURATION_S seconds of wall time from the test's start.

    Used instead of `--run-time`, whose timer reads gevent's cached loop time: after a slow
    start (imports on a busy machine) that time is stale and the run ends at once.
    """
    duration = os.environ.get(DURATION_ENV)
    if not duration:
        return
    deadline = time.monotonic() + float(duration)

    def stop() -> None:
        while time.monotonic() < deadline:
            gevent.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
        if environment.runner is not None:
            environment.runner.quit()

    gevent.spawn(stop)
atexit.register(_flush)


class LearnerUser(FastHttpUser):
    """A learner: opens learning paths and profiles, browses the student list, now and then a dead link."""

    wait_time = between(0.5 * _THINK, 1.5 * _THINK)

    def on_start(self) -> None:
        self.rng = random.Random(_SEED * 1_000_003 + id(self))

    def _get(self, name: str) -> None:
        req = _WORKLOAD.request(name, self.rng)
        with self.client.get(req.path, name=name, catch_response=True) as response:
            if response.status_code == req.expected_status:
                response.success()
            else:
                response.failure(f"status {response.status_code}, expected {req.expected_status}")

    @task(8)
    def learning_path(self) -> None:
        self._get("learning_path")

    @task(6)
    def student(self) -> None:
        self._get("student")

    @task(4)
    def browse_students(self) -> None:
        self._get("students")

    @task(1)
    def health(self) -> None:
        self._get("health")

    @task(1)
    def dead_link(self) -> None:
        self._get("missing")
