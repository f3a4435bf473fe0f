"""The seed's tables rebuilt from the latest saved run of each experiment."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path

import pandas as pd

from labkit.bench.results import Results, latest_results
from labkit.claims.base import Claim, Finding
from labkit.claims.registry import SEED_CLAIMS
from labkit.errors import ResultsError

__all__ = ["evaluators", "claims", "evaluate_claims", "claims_table", "findings_frame", "verdict_counts"]

_FRAMEWORK_MODULES = {"base", "registry", "summary"}


def evaluators() -> dict[str, Callable[[Results], Finding]]:
    """Claim id to its evaluate function, gathered from each experiment module in this package."""
    import labkit.claims as package

    found: dict[str, Callable[[Results], Finding]] = {}
    for info in pkgutil.iter_modules(package.__path__):
        if info.name not in _FRAMEWORK_MODULES:
            module = importlib.import_module(f"{package.__name__}.{info.name}")
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
        results = cache[claim.experiment]
        if claim.evaluate is None:
            finding = Finding("pending", f"pending: {claim.experiment} does not measure this yet")
        elif results is None:
            finding = Finding("pending", f"pending: no saved run of {claim.experiment}")
        else:
            try:
                finding = claim.evaluate(results)
            except (ResultsError, KeyError, ValueError) as exc:
                finding = Finding("pending", f"pending: run {results.run_id} of {claim.experiment} lacks it ({exc})")
            finding = replace(finding, run_id=finding.run_id or results.run_id)
        out.append((claim, finding))
    return out


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
            "our before": f.before.format() if f.before else "",
            "our after": f.after.format() if f.after else "",
            "after/before": f"{f.ratio.value:.3g}× [{f.ratio.ci_low:.3g}, {f.ratio.ci_high:.3g}]" if f.ratio else "",
            "verdict": f.verdict,
            "why": f.detail,
            "experiment": claim.experiment,
            "run": f.run_id or "",
        })
    return pd.DataFrame(rows)


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
