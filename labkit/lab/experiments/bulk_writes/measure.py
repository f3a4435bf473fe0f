"""03_bulk_writes, measured and read back: inserts and updates at each size, rows/s and ratios.

Each size runs every strategy in rounds (order rotating), the table emptied (inserts) or
vacuumed (updates) between rounds, untimed. Row-at-a-time strategies only run up to
`per_row_max` rows: at 100k rows they would take minutes and prove nothing new.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import pandas as pd

from labkit.db import EngineProfile
from labkit.lab.bench import ratio_between, summary_table
from labkit.lab.bench.results import measurements_frame
from labkit.lab.bench.rounds import run_rounds
from labkit.lab.experiments.bulk_writes import inserts as bulk_inserts
from labkit.lab.experiments.bulk_writes import updates as bulk_updates
from labkit.lab.experiments.bulk_writes.inserts import InsertBench, activity_records
from labkit.lab.experiments.bulk_writes.updates import UpdateBench
from labkit.lab.experiments.scratch_db import backend_of, scratch_database
from labkit.settings import Settings

__all__ = ["BASELINES", "LABKIT", "runnable", "measure_writes", "throughput", "throughput_table",
           "speedups", "writes_headline"]

BASELINES = {"insert": "commit_per_row", "update": "orm_per_row"}
LABKIT = {"insert": "labkit_bulk_insert", "update": "labkit_bulk_update"}
_ROW_AT_A_TIME = bulk_inserts.ROW_AT_A_TIME | bulk_updates.ROW_AT_A_TIME


def runnable(names: Sequence[str], rows: int, per_row_max: int) -> list[str]:
    """The strategies that run at `rows`: row-at-a-time ones only up to `per_row_max` rows."""
    return [n for n in names if n not in _ROW_AT_A_TIME or rows <= per_row_max]


def measure_writes(url: str, *, settings: Settings, sizes: Sequence[int], inserts: Sequence[str],
                   updates: Sequence[str], repeats: int, warmups: int, per_row_max: int,
                   per_row_repeats: int | None = None, profile: EngineProfile = "optimized") -> pd.DataFrame:
    """Seconds per call of each insert (kind `insert`) and update (kind `update`) strategy at each size.

    Row-at-a-time strategies run only up to `per_row_max` rows, with `per_row_repeats` timed calls.
    """
    backend = backend_of(url)
    frames = []
    with scratch_database(url, f"labkit_nb03_{uuid.uuid4().hex[:6]}", settings=settings, profile=profile) as db:
        for rows in sorted(set(sizes)):
            tags: dict[str, Any] = {"backend": backend, "rows": rows, "profile": profile}
            names = runnable(inserts, rows, per_row_max)
            if names:
                bench = InsertBench(db, activity_records(rows))
                try:
                    measured = run_rounds(bench.cases(names), repeats=repeats, warmups=warmups,
                                          between=bench.empty, repeats_of=_slow(names, per_row_repeats))
                    bench.empty()
                finally:
                    bench.close()
                frames.append(measurements_frame(measured, kind="insert", **tags))
            names = runnable(updates, rows, per_row_max)
            if names:
                updating = UpdateBench(db, rows)
                try:
                    measured = run_rounds(updating.cases(names), repeats=repeats, warmups=warmups,
                                          between=updating.tidy, repeats_of=_slow(names, per_row_repeats))
                    if not updating.holds_last_values():
                        raise AssertionError(f"after {names}, the table does not hold the values last written")
                finally:
                    updating.close()
                frames.append(measurements_frame(measured, kind="update", **tags))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _slow(names: Sequence[str], repeats: int | None) -> dict[str, int]:
    return {n: repeats for n in names if n in _ROW_AT_A_TIME} if repeats else {}


# --- reading saved rows back --------------------------------------------------------------------


def throughput(samples: pd.DataFrame) -> pd.DataFrame:
    """One row per backend, operation, size and strategy: median time, rows/s with its CI, the
    speedup over the row-at-a-time baseline and the time relative to the raw driver's."""
    out = []
    timed = samples[samples["kind"].isin(["insert", "update"])]
    for (backend, kind, rows), group in timed.groupby(["backend", "kind", "rows"], sort=True):
        rows = int(rows)
        present = set(group["case"])
        baseline = BASELINES[kind] if BASELINES[kind] in present else None
        for r in summary_table(group, by=["case", "label"]).itertuples():
            out.append({
                "backend": backend, "kind": kind, "rows": rows, "case": r.case, "label": r.label,
                "median": r.median, "ci_low": r.ci_low, "ci_high": r.ci_high,
                "rows_per_s": rows / r.median, "rps_low": rows / r.ci_high, "rps_high": rows / r.ci_low,
                "speedup": ratio_between(group, r.case, baseline).value if baseline else float("nan"),
                "vs_raw": ratio_between(group, "raw", r.case).value if "raw" in present else float("nan"),
            })
    return pd.DataFrame(out)


def throughput_table(table: pd.DataFrame, backend: str, kind: str) -> pd.DataFrame:
    """For display: per strategy and size, rows/s, × faster than the baseline, × the raw driver's time."""
    part = table[(table["backend"] == backend) & (table["kind"] == kind)]
    faster = f"× faster than {BASELINES[kind]}"
    blocks = {}
    for rows, at in part.groupby("rows", sort=True):
        blocks[f"{int(rows):,} rows"] = pd.DataFrame({
            "rows/s": [f"{v:,.0f}" for v in at["rows_per_s"]],
            faster: ["" if pd.isna(v) else f"{v:,.1f}" for v in at["speedup"]],
            "× raw time": ["" if pd.isna(v) else f"{v:.2f}" for v in at["vs_raw"]],
        }, index=at["label"].to_list())
    if not blocks:
        return pd.DataFrame()
    out = pd.concat(blocks, axis=1).reindex(list(dict.fromkeys(part["label"]))).fillna("not run")
    out.index.name = "strategy"
    return out


def speedups(samples: pd.DataFrame, kind: str, rows: int, reference: str | None = None) -> pd.DataFrame:
    """Each strategy's speedup over `reference` (default: the baseline) at one size, per backend, with CIs."""
    reference = reference or BASELINES[kind]
    out = []
    timed = samples[(samples["kind"] == kind) & (samples["rows"] == rows)]
    for backend, group in timed.groupby("backend", sort=False):
        if reference not in set(group["case"]):
            continue
        labels = dict(zip(group["case"], group["label"]))
        for case in dict.fromkeys(group["case"]):
            if case != reference:
                r = ratio_between(group, case, reference)  # median(reference) / median(case)
                out.append({"backend": backend, "case": case, "label": labels[case], "speedup": r.value,
                            "ci_low": r.ci_low, "ci_high": r.ci_high})
    return pd.DataFrame(out)


def writes_headline(frame: pd.DataFrame) -> str:
    """One line for the index page: the seed's 1,000-record insert and labkit's best rows/s."""
    table = throughput(frame[frame["phase"] == "sample"])
    if table.empty:
        return "no write strategy measured"
    backend = "postgresql" if "postgresql" in set(table["backend"]) else sorted(set(table["backend"]))[0]
    part = table[(table["backend"] == backend) & (table["kind"] == "insert")]
    parts = []
    seed = part[(part["rows"] == 1000) & (part["case"] == LABKIT["insert"])]
    if not seed.empty and not pd.isna(seed["speedup"].iloc[0]):
        speedup = seed["speedup"].iloc[0]
        parts.append(f"1,000 rows on {backend}: bulk_insert {speedup:,.0f}× faster than a commit per row")
    best = part[part["case"] == LABKIT["insert"]].sort_values("rows").tail(1)
    if not best.empty:
        r = best.iloc[0]
        raw = f", {r.vs_raw:.2f}× the raw driver's time" if not pd.isna(r.vs_raw) else ""
        parts.append(f"bulk_insert {r.rows_per_s:,.0f} rows/s at {r.rows:,} rows{raw}")
    return "; ".join(parts) or f"inserts and updates on {backend}"
