"""The noise floor: one PostgreSQL and one Redis round trip each measured against itself (A/A)."""

from __future__ import annotations

from labkit.lab.bench import BenchRow, ratio, run_interleaved
from labkit.lab.experiments.environment.probes import round_trip_cases
from labkit.settings import Settings

__all__ = ["run"]


def run(settings: Settings, *, quick: bool = False) -> list[BenchRow]:
    """A/A ratios: how far from 1.0 a ratio can stray on this machine with nothing changed."""
    repeats = 30 if quick else 1000
    urls = {"postgresql": str(settings.database_url), "redis": str(settings.redis_url)}
    rows = []
    with round_trip_cases(urls) as cases:
        for case in cases.values():
            ms = run_interleaved({"A": case, "B": case}, repeats=repeats, warmups=repeats // 10)
            rows.append(BenchRow("noise", f"A/A {case.__doc__} (n={repeats} per side)", ratio(ms["A"], ms["B"])))
    return rows
