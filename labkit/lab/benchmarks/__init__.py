"""Benchmark suites for `make bench`: same-run ratios against their targets, printed as a table.

Each module here exposes `run(settings, *, quick=False) -> list[BenchRow]`; `settings` arrives
with every backend URL resolved (embedded servers started when no URL is given).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence

from labkit.lab import services
from labkit.lab.bench.targets import BenchRow, format_bench_table
from labkit.lab.errors import ParameterError
from labkit.settings import Settings

__all__ = ["suite_names", "run_benchmarks"]


def suite_names() -> list[str]:
    """Every benchmark module in this package, by name."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def run_benchmarks(
    settings: Settings, *, quick: bool = False, suites: Sequence[str] | None = None, strict: bool = False
) -> int:
    """Run the suites, print one table; exit status 1 only when `strict` and a target was missed."""
    known = suite_names()
    chosen = list(suites) if suites else known
    unknown = [s for s in chosen if s not in known]
    if unknown:
        raise ParameterError(f"unknown benchmark suite(s) {unknown}; suites: {', '.join(known)}")
    resolved = settings.with_overrides(
        database_url=services.postgres_url(settings, driver=""), redis_url=services.redis_url(settings)
    )
    rows: list[BenchRow] = []
    for name in chosen:
        module = importlib.import_module(f"{__name__}.{name}")
        print(f"running suite {name}{' (quick)' if quick else ''} ...", flush=True)
        rows.extend(module.run(resolved, quick=quick))
    print()
    print(format_bench_table(rows))
    missed = [r for r in rows if r.verdict == "missed"]
    print(f"\n{len(rows)} comparisons, {sum(r.verdict == 'met' for r in rows)} targets met, {len(missed)} missed.")
    return 1 if strict and missed else 0
