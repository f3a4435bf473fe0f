"""The seed's claims, measured: each experiment evaluates its rows from its own saved results.

An experiment supplies a `claims` module in its package (`labkit/lab/experiments/bulk_writes/claims.py`
for `03_bulk_writes`) with
`EVALUATORS = {claim_id: fn}`, each `fn(results) -> Finding` computed from the raw samples of that
experiment's newest intact lab run. Every experiment notebook ends with `show_claims(results)`.
"""

from labkit.lab.claims.base import Claim, Figure, Finding, Verdict, figure_of, ratio_of, ratio_text, speedup_verdict
from labkit.lab.claims.closing import show_claims
from labkit.lab.claims.registry import SEED_CLAIMS
from labkit.lab.claims.summary import (
    ClaimsEvaluation,
    claims,
    claims_table,
    evaluate_claims,
    evaluate_run,
    evaluators,
    findings_frame,
    skipped_table,
    styled_verdicts,
    verdict_counts,
)

__all__ = [
    "SEED_CLAIMS",
    "Claim",
    "ClaimsEvaluation",
    "Figure",
    "Finding",
    "Verdict",
    "claims",
    "claims_table",
    "evaluate_claims",
    "evaluate_run",
    "evaluators",
    "figure_of",
    "findings_frame",
    "ratio_of",
    "ratio_text",
    "show_claims",
    "skipped_table",
    "speedup_verdict",
    "styled_verdicts",
    "verdict_counts",
]
