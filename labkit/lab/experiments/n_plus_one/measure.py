"""02_n_plus_one, measured and read back: one call per section, tidy rows out; tables from saved rows.

Each measuring function opens a scratch database of its own on the backend (seeded, dropped at
the end), counts every strategy's statements once under a QueryMonitor, checks that all
strategies read the same answer, then times them interleaved.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import pandas as pd

from labkit.lab.bench import ratio_between, run_interleaved, summary_table
from labkit.lab.bench.results import measurements_frame
from labkit.lab.experiments.n_plus_one.loading import (
    answers_agree,
    count_statements,
    loading_cases,
    profile_cases,
    seed_students,
)
from labkit.lab.experiments.n_plus_one.parents_children import parent_cases, seed_parents
from labkit.lab.experiments.scratch_db import backend_of, scratch_database
from labkit.settings import Settings

__all__ = [
    "PROFILE_QUERIES",
    "measure_loading",
    "measure_parents",
    "measure_profiles",
    "detector_findings",
    "loading_headline",
    "loading_table",
    "parents_table",
    "profiles_table",
    "ratios_to",
]

PROFILE_QUERIES = ("simple_select", "join_query")


def _name() -> str:
    return f"labkit_nb02_{uuid.uuid4().hex[:6]}"  # concurrent runs on one server never share tables


def measure_loading(url: str, *, settings: Settings, students: Sequence[int], strategies: Sequence[str],
                    repeats: int, warmups: int, courses: int = 50, enrollments_per_student: int = 5
                    ) -> pd.DataFrame:
    """Statements (kind `statements`) and times (kind `time`) of each strategy at each N (column `students`)."""
    backend = backend_of(url)
    frames = []
    with scratch_database(url, _name(), settings=settings) as db:
        seed_students(db.engine, max(students), courses=courses, enrollments_per_student=enrollments_per_student)
        for n in sorted(set(students)):
            cases = loading_cases(db.engine, n, strategies)
            counts = count_statements(db.engine, cases, settings=settings).assign(kind="statements",
                                                                                   backend=backend, students=n)
            answers_agree(counts)
            frames.append(counts)
            timed = run_interleaved(cases, repeats=repeats, warmups=warmups)
            frames.append(measurements_frame(timed, kind="time", backend=backend, students=n))
    return pd.concat(frames, ignore_index=True)


def measure_parents(url: str, *, settings: Settings, parents: int, children: int, repeats: int, warmups: int
                    ) -> pd.DataFrame:
    """SQLAlchemy's shape: statements (kind `parents_statements`) and times (`parents_time`) per strategy."""
    backend = backend_of(url)
    tags: dict[str, Any] = {"backend": backend, "parents": parents, "children": children}
    with scratch_database(url, _name(), settings=settings) as db:
        seed_parents(db.engine, parents, children)
        cases = parent_cases(db.engine)
        counts = count_statements(db.engine, cases, settings=settings).assign(kind="parents_statements", **tags)
        answers_agree(counts)
        timed = run_interleaved(cases, repeats=repeats, warmups=warmups)
    return pd.concat([counts, measurements_frame(timed, kind="parents_time", **tags)], ignore_index=True)


def measure_profiles(url: str, *, settings: Settings, students: int, page: int, repeats: int, warmups: int,
                     courses: int = 50, enrollments_per_student: int = 5) -> pd.DataFrame:
    """Each query of `PROFILE_QUERIES` on the baseline and the optimized engine (kind `profile`)."""
    backend = backend_of(url)
    frames = []
    with scratch_database(url, _name(), settings=settings) as db:
        seed_students(db.engine, students, courses=courses, enrollments_per_student=enrollments_per_student)
        engines = {"baseline": db.make_engine("baseline"), "optimized": db.engine}
        for query in PROFILE_QUERIES:
            cases = profile_cases(engines, query, students=students, page=page)
            timed = run_interleaved(cases, repeats=repeats, warmups=warmups)
            frames.append(measurements_frame(timed, kind="profile", query=query, backend=backend))
    return pd.concat(frames, ignore_index=True)


# --- reading saved rows back --------------------------------------------------------------------


def ratios_to(samples: pd.DataFrame, reference: str, cases: Sequence[str] | None = None) -> pd.DataFrame:
    """Each case's median time over `reference`'s, with the 95% CI, from one interleaved set of samples."""
    labels = dict(zip(samples["case"], samples["label"]))
    rows = []
    for case in cases or list(dict.fromkeys(samples["case"])):
        if case == reference:
            continue
        r = ratio_between(samples, reference, case)
        rows.append({"case": case, "label": labels[case], "ratio": r.value, "ci_low": r.ci_low, "ci_high": r.ci_high})
    return pd.DataFrame(rows)


def loading_table(samples: pd.DataFrame, reference: str = "core_join") -> pd.DataFrame:
    """Per strategy and N: statements, median time (ms) and its ratio to `reference`; one backend's rows."""
    counts = samples[samples["kind"] == "statements"]
    times = samples[samples["kind"] == "time"]
    blocks = {}
    for n, at_n in times.groupby("students", sort=True):
        table = summary_table(at_n, by=["case", "label"])
        statements = counts[counts["students"] == n].set_index("case")["value"]
        block = {
            "statements": [int(statements.get(case, -1)) for case in table["case"]],
            "median ms": (table["median"] * 1e3).round(3).to_list(),
        }
        if reference in set(table["case"]):
            block[f"× {reference}"] = [round(ratio_between(at_n, reference, str(c)).value, 2) for c in table["case"]]
        blocks[f"N={int(n)}"] = pd.DataFrame(block, index=table["label"].to_list())
    if not blocks:
        return pd.DataFrame()
    out = pd.concat(blocks, axis=1)
    out.index.name = "strategy"
    return out


def detector_findings(samples: pd.DataFrame, backend: str) -> str:
    """Which strategies labkit's N+1 detector flagged on `backend`, and at which N ("none" if none)."""
    counts = samples[(samples["kind"] == "statements") & (samples["backend"] == backend)]
    flagged = counts[counts["n_plus_one"].astype(bool)]
    parts = [f"{label} at N={', '.join(str(int(n)) for n in sorted(group['students']))}"
             for label, group in flagged.groupby("label", sort=False)]
    return "; ".join(parts) or "none"


def parents_table(samples: pd.DataFrame) -> pd.DataFrame:
    """SQLAlchemy's table shape for one backend: statements, median seconds with CI, × the fastest."""
    times = samples[samples["kind"] == "parents_time"]
    counts = samples[samples["kind"] == "parents_statements"].set_index("case")["value"]
    table = summary_table(times, by=["case", "label"])
    fastest = table.loc[table["median"].idxmin(), "case"]
    out = pd.DataFrame({
        "strategy": table["label"],
        "statements": [int(counts.get(c, -1)) for c in table["case"]],
        "median s": table["median"].round(4),
        "95% CI (s)": [f"[{lo:.4f}, {hi:.4f}]" for lo, hi in zip(table["ci_low"], table["ci_high"])],
        f"× {fastest}": [round(ratio_between(times, str(fastest), str(c)).value, 2) for c in table["case"]],
    })
    return out.set_index("strategy")


def profiles_table(samples: pd.DataFrame) -> pd.DataFrame:
    """Per backend and query: baseline and optimized medians (ms) and optimized/baseline with its CI."""
    rows = []
    profile = samples[samples["kind"] == "profile"]
    for (backend, query), group in profile.groupby(["backend", "query"], sort=False):
        medians = group.groupby("case")["value"].median() * 1e3
        r = ratio_between(group, "baseline", "optimized")
        rows.append({"backend": backend, "query": query, "baseline ms": round(float(medians["baseline"]), 3),
                     "optimized ms": round(float(medians["optimized"]), 3), "optimized / baseline": r.format(2)})
    return pd.DataFrame(rows).set_index(["backend", "query"])


def loading_headline(frame: pd.DataFrame) -> str:
    """One line for the index page: lazy loading against find_all at the largest N (PostgreSQL first)."""
    counts, times = frame[frame["kind"] == "statements"], frame[frame["kind"] == "time"]
    if counts.empty:
        return "no loading strategy measured"
    backend = "postgresql" if "postgresql" in set(counts["backend"]) else sorted(set(counts["backend"]))[0]
    n = int(counts.loc[counts["backend"] == backend, "students"].max())
    count = counts[(counts["backend"] == backend) & (counts["students"] == n)].set_index("case")["value"]
    at = times[(times["backend"] == backend) & (times["students"] == n)]
    if not {"lazy", "find_all"} <= set(count.index):
        return f"N={n} on {backend}: " + ", ".join(f"{c} {int(v)} statement{'' if v == 1 else 's'}"
                                                  for c, v in count.items())
    slower = ratio_between(at, "find_all", "lazy")
    return (f"N={n} on {backend}: lazy loading {int(count['lazy'])} statements and {slower.value:.1f}× "
            f"find_all's time; find_all {int(count['find_all'])} statements")
