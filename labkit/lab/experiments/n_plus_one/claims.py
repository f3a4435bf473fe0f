"""02_n_plus_one: the seed's N+1, database query time (and its < 50 ms target), simple SELECT and JOIN rows.

"Database query time" is read as the learning-path read of N students with profile and courses,
lazy loading (before) against labkit's `find_all` (after): its ratio depends on N, so every N
measured is judged. "Simple SELECT" and "JOIN queries" are the same statement on the baseline
engine (no pool, driver defaults) before and the optimized engine after.
"""

from __future__ import annotations

from typing import Any

from labkit.lab.bench.results import Results
from labkit.lab.bench.stats import Ratio
from labkit.lab.claims.base import (
    Figure,
    Finding,
    before_after,
    close_call,
    count_verdict,
    figure_of,
    preferred_backends,
    ratio_of,
    speedup_verdict,
)
from labkit.lab.errors import ResultsError

__all__ = ["EVALUATORS", "BEFORE", "AFTER", "CLAIMED_QUERY_RATIO", "TARGET_MS", "CLAIMED_SELECT_RATIO",
           "CLAIMED_JOIN_RATIO"]

BEFORE, AFTER = "lazy", "find_all"
CLAIMED_QUERY_RATIO = 32 / 80  # Database Query Time 80 ms -> 32 ms
TARGET_MS = 50.0  # Database Query Time goal < 50 ms
CLAIMED_SELECT_RATIO = 5 / 20  # Simple SELECT 20 ms -> 5 ms
CLAIMED_JOIN_RATIO = 15 / 60  # JOIN queries 60 ms -> 15 ms


def _sizes(results: Results, kind: str) -> tuple[str, list[int]]:
    """The preferred backend and every N at which both lazy loading and find_all were measured."""
    frame = results.samples(kind=kind)
    backend = preferred_backends(frame, results)[0]
    frame = frame[frame["backend"] == backend]
    both = set(frame.loc[frame["case"] == BEFORE, "students"]) & set(frame.loc[frame["case"] == AFTER, "students"])
    if not both:
        raise ResultsError(f"run {results.run_id} has no N with both {BEFORE} and {AFTER} on {backend}")
    return backend, sorted(int(n) for n in both)


def _where(backend: str, n: int, case: str, kind: str = "time") -> dict[str, Any]:
    return {"kind": kind, "backend": backend, "students": n, "case": case}


def n_plus_one(results: Results) -> Finding:
    """Statements to read N students with profile and courses: lazy loading vs find_all, and the detector."""
    backend, sizes = _sizes(results, "statements")
    counts = results.samples(kind="statements", backend=backend)
    by = {case: counts[counts["case"] == case].set_index("students") for case in (BEFORE, AFTER)}
    top = sizes[-1]
    lazy, eager = (float(by[c].loc[top, "value"]) for c in (BEFORE, AFTER))
    before, after = Figure(lazy, lazy, lazy, "statements"), Figure(eager, eager, eager, "statements")
    ratio = Ratio(eager / lazy, eager / lazy, eager / lazy)
    flagged = {c: sorted(int(n) for n in sizes if bool(by[c].loc[n, "n_plus_one"])) for c in (BEFORE, AFTER)}
    listing = ", ".join(f"N={n}: {int(by[BEFORE].loc[n, 'value'])} → {int(by[AFTER].loc[n, 'value'])}"
                        for n in sizes)
    detail = f"statements on {backend}, lazy → find_all: {listing}"
    if flagged[AFTER]:
        return Finding("depends", f"{detail}; the N+1 detector also fires on find_all from N={flagged[AFTER][0]} "
                       "(selectinload repeats one SELECT per batch of 500 ids)", before, after, ratio)
    if not flagged[BEFORE]:
        return Finding("depends", f"{detail}; at these N lazy loading repeats no SELECT often enough to be "
                       "called N+1 by the detector: measure larger N", before, after, ratio)
    return Finding("confirmed", f"{detail}; the N+1 detector fires on lazy loading (N={flagged[BEFORE][0]}"
                   f"{'+' if len(flagged[BEFORE]) > 1 else ''}) and never on find_all", before, after, ratio)


def _ratios(results: Results, backend: str, sizes: list[int]) -> dict[int, Ratio]:
    return {n: ratio_of(results, _where(backend, n, BEFORE), _where(backend, n, AFTER)) for n in sizes}


def db_query_time(results: Results) -> Finding:
    """Reading N students with profile and courses: lazy loading (before) vs find_all (after), at every N."""
    backend, sizes = _sizes(results, "time")
    ratios = _ratios(results, backend, sizes)
    top = sizes[-1]
    before = figure_of(results, unit="ms", **_where(backend, top, BEFORE))
    after = figure_of(results, unit="ms", **_where(backend, top, AFTER))
    holds = [n for n in sizes if ratios[n].value <= CLAIMED_QUERY_RATIO]
    listing = ", ".join(f"N={n}: {ratios[n].format(2)}" for n in sizes)
    detail = f"find_all/lazy time on {backend}: {listing} (seed: {CLAIMED_QUERY_RATIO:.2f}×)"
    verdict = count_verdict(len(holds), len(sizes))
    if verdict == "depends":
        missing = [n for n in sizes if n not in holds]
        detail += f"; holds at N={', '.join(map(str, holds))}, not at N={', '.join(map(str, missing))}"
    return Finding(verdict, detail, before, after, ratios[top])


def target_db_query(results: Results) -> Finding:
    """find_all of N students with profile and courses against the 50 ms goal, at every N."""
    backend, sizes = _sizes(results, "time")
    figures = {n: figure_of(results, unit="ms", **_where(backend, n, AFTER)) for n in sizes}
    meets = [n for n in sizes if figures[n].ci_high < TARGET_MS]
    listing = ", ".join(f"N={n}: {figures[n].value:.3g} ms" for n in sizes)
    detail = f"find_all on {backend}: {listing} (goal < {TARGET_MS:g} ms)"
    verdict = count_verdict(len(meets), len(sizes))
    if verdict == "depends":
        detail += f"; under the goal up to N={max(meets)}"
    shown = max(meets) if meets else sizes[0]
    return Finding(verdict, detail, None, figures[shown], None)


def _profile_finding(results: Results, query: str, claimed: float, words: str) -> Finding:
    frame = results.samples(kind="profile", query=query)
    backend = preferred_backends(frame, results)[0]
    where: dict[str, Any] = {"kind": "profile", "query": query, "backend": backend}
    before, after, ratio = before_after(results, {"case": "baseline", **where}, {"case": "optimized", **where})
    others = []
    for other in sorted(set(frame["backend"]) - {backend}):
        r = ratio_of(results, {"case": "baseline", **where, "backend": other},
                     {"case": "optimized", **where, "backend": other})
        others.append(f"{other} {r.format(2)}")
    detail = (f"{words} on {backend}, baseline engine (no pool, driver defaults) → optimized: "
              f"{before.value:.3g} → {after.value:.3g} ms, {ratio.format(2)} (seed: {claimed:.2f}×)"
              + close_call(ratio, claimed))
    if others:
        detail += "; " + ", ".join(others)
    return Finding(speedup_verdict(ratio, claimed), detail, before, after, ratio)


def simple_select(results: Results) -> Finding:
    """One student by primary key, the baseline engine against the optimized one."""
    return _profile_finding(results, "simple_select", CLAIMED_SELECT_RATIO, "one student by primary key")


def join_query(results: Results) -> Finding:
    """A page of learning paths by one Core join, the baseline engine against the optimized one."""
    return _profile_finding(results, "join_query", CLAIMED_JOIN_RATIO, "one page of learning paths by a Core join")


EVALUATORS = {
    "n_plus_one": n_plus_one,
    "db_query_time": db_query_time,
    "target_db_query": target_db_query,
    "simple_select": simple_select,
    "join_query": join_query,
}
