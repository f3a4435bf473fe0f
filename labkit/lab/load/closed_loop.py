"""Closed-loop load: locust, headless in a subprocess, N users each waiting for its answer, then thinking.

Raw samples come from the file the locust users write (see `labkit.lab.load.locust_users`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from labkit.lab.errors import ParameterError, ServiceError
from labkit.lab.load.open_loop import Sample

__all__ = ["run_locust", "LOCUSTFILE"]

LOCUSTFILE = Path(__file__).with_name("locust_users.py")  # not imported here: locust patches the process


def run_locust(base_url: str, *, users: int, duration_s: float, students: int, think_s: float = 0.5,
               spawn_rate: float | None = None, seed: int = 0, locustfile: Path | None = None,
               grace_s: float = 60.0) -> tuple[list[Sample], float]:
    """Run locust for `duration_s` s with `users` users; (samples timed from the step start, its t0 epoch)."""
    if users < 1 or duration_s <= 0:
        raise ParameterError(f"users={users!r}, duration_s={duration_s!r}: need users >= 1 and a duration > 0")
    with tempfile.TemporaryDirectory(prefix="labkit-locust-") as folder:
        samples_path = Path(folder) / "samples.csv"
        env = {**os.environ, "LABKIT_LOCUST_SAMPLES": str(samples_path), "LABKIT_LOAD_STUDENTS": str(students),
               "LABKIT_LOAD_THINK_S": str(think_s), "LABKIT_LOAD_SEED": str(seed),
               "LABKIT_LOAD_DURATION_S": str(duration_s)}
        rate = spawn_rate or float(users)  # every user within about a second
        command = [sys.executable, "-m", "locust", "-f", str(locustfile or LOCUSTFILE), "--headless",
                   "--host", base_url, "-u", str(users), "-r", f"{rate:g}",
                   "--only-summary", "--loglevel", "ERROR", "--exit-code-on-error", "0"]
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True,
                                  timeout=duration_s + grace_s)
        except subprocess.TimeoutExpired as exc:
            raise ServiceError(f"locust did not finish within {duration_s + grace_s:g} s") from exc
        if done.returncode != 0:
            raise ServiceError(f"locust failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
        if not samples_path.is_file():
            raise ServiceError(f"locust wrote no samples:\n{done.stderr[-2000:]}")
        rows = [line.split(",") for line in samples_path.read_text().splitlines() if line]
    if not rows:
        return [], 0.0
    t0 = min(float(r[0]) for r in rows)
    samples = [Sample(float(start) - t0, name, float(latency), int(status), ok == "1")
               for start, name, latency, status, ok in rows]
    return sorted(samples, key=lambda s: s.start), t0
