"""03_bulk_writes: the seed's "Bulk Insert (1000 records) 10 s → 1 s" and "Bulk operations 90% faster".

"Before" for the 1,000-record row is the naive loop the seed's 10 s suggests, a commit per row;
"after" is labkit's `bulk_insert`. "Bulk operations" sets the ORM's own unit of work (`add_all`
with one commit; get-modify-commit for updates) against `bulk_insert` and `bulk_update`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from labkit.lab.bench.results import Results
from labkit.lab.bench.stats import Ratio
from labkit.lab.claims.base import (
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

__all__ = ["EVALUATORS", "SEED_ROWS", "CLAIMED_RATIO", "OPERATIONS"]

SEED_ROWS = 1000
CLAIMED_RATIO = 0.1  # 10 s -> 1 s, and "90% faster"
# operation -> (the ORM's way, labkit's way)
OPERATIONS = {"insert": ("add_all", "labkit_bulk_insert"), "update": ("orm_per_row", "labkit_bulk_update")}


def _where(kind: str, backend: str, rows: int, case: str) -> dict[str, Any]:
    return {"kind": kind, "backend": backend, "rows": rows, "case": case}


def bulk_insert_1000(results: Results) -> Finding:
    """1,000 records: a commit per row (before) against labkit's bulk_insert (after), same run."""
    frame = results.samples(kind="insert", rows=SEED_ROWS)
    measured = [] if frame.empty else [
        b for b in preferred_backends(frame, results)
        if {"commit_per_row", "labkit_bulk_insert"} <= set(frame.loc[frame["backend"] == b, "case"])]
    if not measured:
        raise ResultsError(f"run {results.run_id} has no {SEED_ROWS}-row insert with both a commit per row "
                           "and bulk_insert (include 1000 in sizes and per_row_max)")
    parts, findings = [], {}
    for backend in measured:
        before, after, ratio = before_after(results, _where("insert", backend, SEED_ROWS, "commit_per_row"),
                                            _where("insert", backend, SEED_ROWS, "labkit_bulk_insert"), unit="s")
        findings[backend] = (before, after, ratio)
        parts.append(f"{backend}: {before.value:.3g} s → {after.value * 1e3:.3g} ms ({ratio.speedup:,.0f}× faster)")
    before, after, ratio = findings[measured[0]]
    detail = (f"{SEED_ROWS:,} records, a commit per row → bulk_insert: " + "; ".join(parts)
              + " (seed: 10 s → 1 s, 10×)" + close_call(ratio, CLAIMED_RATIO))
    return Finding(speedup_verdict(ratio, CLAIMED_RATIO), detail, before, after, ratio)


def _largest_pair(frame: pd.DataFrame, backend: str, pair: tuple[str, str]) -> int | None:
    sizes = [int(rows) for rows, group in frame[frame["backend"] == backend].groupby("rows")
             if set(pair) <= set(group["case"])]
    return max(sizes) if sizes else None


def bulk_operations(results: Results) -> Finding:
    """The ORM's unit of work against labkit's bulk calls, for inserts and updates, at the largest shared size."""
    frame = results.samples()
    frame = frame[frame["kind"].isin(list(OPERATIONS))]
    backend = preferred_backends(frame, results)[0]
    ratios: dict[str, tuple[int, Ratio]] = {}
    for kind, pair in OPERATIONS.items():
        rows = _largest_pair(frame[frame["kind"] == kind], backend, pair)
        if rows is not None:
            ratios[kind] = (rows, ratio_of(results, _where(kind, backend, rows, pair[0]),
                                           _where(kind, backend, rows, pair[1])))
    if not ratios:
        raise ResultsError(f"run {results.run_id} has no size with both the ORM's way and labkit's on {backend}")
    shown = "update" if "update" in ratios else "insert"
    rows, ratio = ratios[shown]
    before = figure_of(results, unit="ms", **_where(shown, backend, rows, OPERATIONS[shown][0]))
    after = figure_of(results, unit="ms", **_where(shown, backend, rows, OPERATIONS[shown][1]))
    words = {"insert": "add_all + commit → bulk_insert", "update": "get-modify-commit per row → bulk_update"}
    listing = "; ".join(f"{words[k]} at {n:,} rows {r.format(3)} ({1 - r.value:.0%} less time)"
                        for k, (n, r) in ratios.items())
    detail = f"on {backend}: {listing} (seed: 90% faster, 0.1×)"
    detail += "".join(close_call(r, CLAIMED_RATIO).replace("; the CI", f"; {k}'s CI") for k, (_, r) in ratios.items())
    holding = [k for k, (_, r) in ratios.items() if r.value <= CLAIMED_RATIO]
    verdict = count_verdict(len(holding), len(ratios))
    if verdict == "depends":
        detail += f"; holds for {', '.join(holding)} only"
    return Finding(verdict, detail, before, after, ratio)


EVALUATORS = {"bulk_insert_1000": bulk_insert_1000, "bulk_operations": bulk_operations}
