"""The seed's tables rebuilt from the newest intact lab run of each experiment."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from labkit.lab.bench.results import LAB_ORIGINS, LatestRun, Results, find_latest
from labkit.lab.claims.base import Claim, Finding, ratio_text
from labkit.lab.claims.registry import SEED_CLAIMS
from labkit.lab.errors import DamagedResultsError, LabError, ResultsError

__all__ = ["ClaimsEvaluation", "evaluators", "claims", "evaluate_claims", "evaluate_run", "claims_table",
           "styled_verdicts", "findings_frame", "verdict_counts", "skipped_table"]


def evaluators() -> dict[str, Callable[[Results], Finding]]:
    """Claim id to its evaluate function, gathered from each experiment's `claims` module."""
    from labkit.lab.experiments import claims_modules

    found: dict[str, Callable[[Results], Finding]] = {}
    for module in claims_modules():
        for claim_id, fn in getattr(module, "EVALUATORS", {}).items():
            if claim_id in found:
                raise LabError(f"claim {claim_id!r} is evaluated twice")
            found[claim_id] = fn
    known = {c.id for c in SEED_CLAIMS}
    unknown = sorted(set(found) - known)
    if unknown:
        raise LabError(f"evaluators for unknown claims {unknown}; claims are {sorted(known)}")
    return found


def claims() -> list[Claim]:
    """The seed's claims, each with its evaluator when its experiment supplies one."""
    found = evaluators()
    return [replace(c, evaluate=found.get(c.id)) for c in SEED_CLAIMS]


class ClaimsEvaluation(list[tuple[Claim, Finding]]):
    """Each claim with its finding, plus where each experiment's run came from and the files passed over."""

    def __init__(self, findings: Iterable[tuple[Claim, Finding]], sources: Mapping[str, LatestRun]) -> None:
        super().__init__(findings)
        self.sources = dict(sources)

    @property
    def skipped(self) -> list[DamagedResultsError]:
        """Damaged results files newer than the run each experiment was judged from, newest first."""
        return [error for source in self.sources.values() for error in source.skipped]


def evaluate_claims(
    results_dir: str | Path,
    only_runs: Mapping[str, Results] | None = None,
    *,
    origins: Iterable[str] | None = LAB_ORIGINS,
) -> ClaimsEvaluation:
    """Each claim judged from its experiment's newest intact run among `origins` (None: any origin).

    Damaged files are passed over and listed in `.skipped`; a claim is pending when no run can judge it.
    """
    cache: dict[str, Results | None] = dict(only_runs or {})
    sources: dict[str, LatestRun] = {}
    out = []
    for claim in claims():
        if claim.experiment not in cache:
            sources[claim.experiment] = find_latest(results_dir, claim.experiment, origins=origins)
            cache[claim.experiment] = sources[claim.experiment].results
        out.append((claim, _judge(claim, cache[claim.experiment], sources.get(claim.experiment))))
    return ClaimsEvaluation(out, sources)


def skipped_table(evaluated: ClaimsEvaluation) -> pd.DataFrame:
    """One row per damaged file the summary passed over: experiment, file, what is wrong with it."""
    rows = [{"experiment": name, "file": str(error.path), "why": error.reason}
            for name, source in evaluated.sources.items() for error in source.skipped]
    return pd.DataFrame(rows, columns=["experiment", "file", "why"])


def evaluate_run(results: Results, experiment: str | None = None) -> list[tuple[Claim, Finding]]:
    """The claims one experiment measures, judged from `results` (a run just saved, say)."""
    name = experiment or str(results.metadata.get("experiment"))
    return [(claim, _judge(claim, results)) for claim in claims() if claim.experiment == name]


def _judge(claim: Claim, results: Results | None, source: LatestRun | None = None) -> Finding:
    """A claim's finding from one run; `pending` when it cannot be judged, saying why."""
    if claim.evaluate is None:
        return Finding("pending", f"pending: {claim.experiment} does not measure this yet")
    if results is None:
        if source is not None and source.files:
            return Finding("pending", f"pending: {source.why_none()}")
        return Finding("pending", f"pending: no saved run of {claim.experiment}")
    try:
        finding = claim.evaluate(results)
    except (ResultsError, KeyError, ValueError) as exc:
        finding = Finding("pending", f"pending: the run cannot judge it: {exc}")
    return replace(finding, run_id=finding.run_id or results.run_id)


def claims_table(evaluated: Iterable[tuple[Claim, Finding]]) -> pd.DataFrame:
    """One row per claim: the seed's words and numbers beside ours, the ratio and the verdict."""
    rows = []
    for claim, f in evaluated:
        rows.append({
            "table": claim.table,
            "metric": claim.metric,
            "seed before": claim.seed_before,
            "seed after": claim.seed_after,
            "seed change": claim.seed_change,
            "seed claim": claim.seed_text,
            "our before": f.before.format() if f.before else "",
            "our after": f.after.format() if f.after else "",
            "after/before": ratio_text(f.ratio) if f.ratio else "",
            "verdict": f.verdict,
            "why": f.detail,
            "experiment": claim.experiment,
            "run": f.run_id or "",
        })
    return pd.DataFrame(rows)


def styled_verdicts(table: pd.DataFrame, columns: Sequence[str]) -> Any:
    """`columns` of a `claims_table` for display, each verdict in its colour, no index, text read left to right."""
    from labkit.lab.report.plots import VERDICT_COLORS

    shown = table[list(columns)]
    # The long "why" column would squeeze the short ones into a word per line.
    widths = {c: [{"selector": "td", "props": "min-width: 7em;"}] for c in shown.columns if c not in ("why", "verdict")}
    return (
        shown.style.hide(axis="index")
        .map(lambda v: f"color: {VERDICT_COLORS[v]}; font-weight: bold; white-space: nowrap"
             if v in VERDICT_COLORS else "", subset=["verdict"])
        .set_table_styles([{"selector": "th, td", "props": "text-align: left; vertical-align: top;"}])
        .set_table_styles(widths, overwrite=False)
    )


def verdict_counts(evaluated: Iterable[tuple[Claim, Finding]]) -> dict[str, int]:
    """How many claims got each verdict, in a fixed order."""
    counts = {"confirmed": 0, "not reproduced": 0, "depends": 0, "pending": 0}
    for _, finding in evaluated:
        counts[finding.verdict] += 1
    return counts


def findings_frame(evaluated: Iterable[tuple[Claim, Finding]]) -> pd.DataFrame:
    """Tidy rows for saving: one per claim, value = our after/before ratio (NaN when unmeasured)."""
    rows = []
    for claim, f in evaluated:
        rows.append({
            "case": claim.id, "label": claim.metric, "phase": "sample", "iteration": 0,
            "value": f.ratio.value if f.ratio else float("nan"),
            "ci_low": f.ratio.ci_low if f.ratio else float("nan"),
            "ci_high": f.ratio.ci_high if f.ratio else float("nan"),
            "unit": "ratio", "seed_table": claim.table, "verdict": f.verdict, "source_experiment": claim.experiment,
            "source_run": f.run_id or "",
        })
    return pd.DataFrame(rows)
