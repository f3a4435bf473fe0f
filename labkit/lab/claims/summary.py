"""The seed's tables rebuilt from the latest saved run of each experiment."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from labkit.lab.bench.results import Results, latest_results
from labkit.lab.claims.base import Claim, Finding, ratio_text
from labkit.lab.claims.registry import SEED_CLAIMS
from labkit.lab.errors import ResultsError

__all__ = ["evaluators", "claims", "evaluate_claims", "evaluate_run", "claims_table", "styled_verdicts",
           "findings_frame", "verdict_counts"]

def evaluators() -> dict[str, Callable[[Results], Finding]]:
    """Claim id to its evaluate function, gathered from each experiment's `claims` module."""
    from labkit.lab.experiments import claims_modules

    found: dict[str, Callable[[Results], Finding]] = {}
    for module in claims_modules():
        for claim_id, fn in getattr(module, "EVALUATORS", {}).items():
            if claim_id in found:
                raise ValueError(f"claim {claim_id!r} is evaluated twice")
            found[claim_id] = fn
    known = {c.id for c in SEED_CLAIMS}
    unknown = sorted(set(found) - known)
    if unknown:
        raise ValueError(f"evaluators for unknown claims {unknown}; claims are {sorted(known)}")
    return found


def claims() -> list[Claim]:
    """The seed's claims, each with its evaluator when its experiment supplies one."""
    found = evaluators()
    return [replace(c, evaluate=found.get(c.id)) for c in SEED_CLAIMS]


def evaluate_claims(
    results_dir: str | Path, only_runs: Mapping[str, Results] | None = None
) -> list[tuple[Claim, Finding]]:
    """Each claim with its finding; `pending` where the experiment or its saved run is missing."""
    cache: dict[str, Results | None] = dict(only_runs or {})
    out = []
    for claim in claims():
        if claim.experiment not in cache:
            try:
                cache[claim.experiment] = latest_results(results_dir, claim.experiment)
            except ResultsError:
                cache[claim.experiment] = None
        out.append((claim, _judge(claim, cache[claim.experiment])))
    return out


def evaluate_run(results: Results, experiment: str | None = None) -> list[tuple[Claim, Finding]]:
    """The claims one experiment measures, judged from `results` (a run just saved, say)."""
    name = experiment or str(results.metadata.get("experiment"))
    return [(claim, _judge(claim, results)) for claim in claims() if claim.experiment == name]


def _judge(claim: Claim, results: Results | None) -> Finding:
    """A claim's finding from one run; `pending` when it cannot be judged, saying why."""
    if claim.evaluate is None:
        return Finding("pending", f"pending: {claim.experiment} does not measure this yet")
    if results is None:
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
