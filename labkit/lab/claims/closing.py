"""How every experiment notebook ends: the seed's claims it measures, judged from the run it just saved.

The evaluators are those `99_summary` uses (each experiment's `EVALUATORS`, via the registry); a
claim that this run cannot judge (a backend not measured, say) shows as pending with the reason.
"""

from __future__ import annotations

from collections.abc import Callable

from labkit.lab.bench.results import Results
from labkit.lab.claims.base import Claim, Finding
from labkit.lab.claims.summary import claims, claims_table, evaluate_run, styled_verdicts, verdict_counts
from labkit.lab.errors import ResultsError

__all__ = ["CLOSING_COLUMNS", "show_claims"]

# The columns of `claims_table` that a notebook's closing table shows.
CLOSING_COLUMNS = ("metric", "seed claim", "our before", "our after", "after/before", "verdict", "why")


def show_claims(results: Results, *, show: Callable[[object], object] | None = None) -> None:
    """Display one styled verdict table and a verdict sentence per claim that `results`' experiment judges.

    `show` receives what is displayed (IPython's `display` unless given).
    """
    evaluated = evaluate_run(results)
    if not evaluated:
        experiment = results.metadata.get("experiment")
        judging = sorted({claim.experiment for claim in claims() if claim.evaluate is not None})
        raise ResultsError(f"run {results.run_id} is of {experiment!r}, which judges no claim of the seed; "
                           f"experiments that do: {judging}")
    from IPython.display import Markdown, display

    out = show or display
    out(styled_verdicts(claims_table(evaluated), CLOSING_COLUMNS))
    out(Markdown(_sentences(evaluated)))


def _sentences(evaluated: list[tuple[Claim, Finding]]) -> str:
    """A lead line counting the verdicts, then one line per claim: verdict, the seed's figures and ours."""
    counts = ", ".join(f"{n} {verdict}" for verdict, n in verdict_counts(evaluated).items() if n)
    lines = [f"This run judges {len(evaluated)} of the seed's claims: {counts}."]
    lines += [f"- {_sentence(claim, finding)}" for claim, finding in evaluated]
    return "\n".join(lines)


def _sentence(claim: Claim, finding: Finding) -> str:
    said = f"**{claim.metric}** (seed: {claim.seed_text}): **{finding.verdict}**"
    if finding.verdict == "pending":
        return f"{said}; {finding.detail.removeprefix('pending: ').rstrip('.')}."
    ours = ""
    if finding.after is not None:
        ours = finding.after.format(ci=False)
        if finding.before is not None:
            ours = f"{finding.before.format(ci=False)} → {ours}"
        if finding.ratio is not None:
            ours += f" ({finding.ratio.value:.3g}×)"
    return f"{said}; ours {ours}." if ours else f"{said}; {finding.detail.rstrip('.')}."
