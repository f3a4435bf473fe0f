"""How an experiment notebook ends: `show_claims(results)` judges and displays the claims of its run."""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest

from labkit.lab.bench import ExperimentRun, Measurement, load_results
from labkit.lab.bench.results import Results
from labkit.lab.claims import SEED_CLAIMS, Figure, Finding, show_claims
from labkit.lab.errors import ResultsError
from labkit.lab.experiments import EXPERIMENTS, claims_modules
from labkit.lab.experiments.memory import claims as memory_claims

ROOT = Path(__file__).resolve().parents[2]
JUDGING = sorted({c.experiment for c in SEED_CLAIMS})  # the experiment notebooks that judge seed claims


def _run(tmp_path: Path, experiment: str) -> Results:
    run = ExperimentRun(experiment, results_dir=tmp_path)
    run.add([Measurement("a", np.full(5, 0.01))], kind="unrelated")
    return load_results(run.save())


def _shown(results: Results) -> tuple[object, str]:
    """What show_claims displays: the styled table and the markdown text."""
    displayed: list[object] = []
    show_claims(results, show=displayed.append)
    assert len(displayed) == 2, displayed
    styler, markdown = displayed
    return styler, markdown.data  # type: ignore[attr-defined]


def test_every_notebook_that_judges_claims_is_an_experiment_from_01_to_11() -> None:
    # 09_faults measures resilience, of which the seed claims nothing: its verdicts close its own notebook.
    assert JUDGING == [n for n in EXPERIMENTS if "01" <= n[:2] <= "11" and n != "09_faults"]


def test_the_table_has_one_row_per_claim_of_the_experiment(tmp_path: Path) -> None:
    styler, _ = _shown(_run(tmp_path, "07_memory"))
    table = styler.data  # type: ignore[attr-defined]
    assert list(table["metric"]) == [c.metric for c in SEED_CLAIMS if c.experiment == "07_memory"]
    assert list(table.columns) == ["metric", "seed claim", "our before", "our after", "after/before", "verdict",
                                   "why"]
    assert list(table["seed claim"]) == ["500MB → 350MB, -30%", "goal < 400MB, reported 350MB"]


def test_a_claim_whose_evaluator_raises_is_pending_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unmeasured(results: Results) -> Finding:
        raise ResultsError("postgresql was not in backends")

    monkeypatch.setitem(memory_claims.EVALUATORS, "memory_usage", unmeasured)
    styler, markdown = _shown(_run(tmp_path, "07_memory"))
    row = styler.data.iloc[0]  # type: ignore[attr-defined]
    assert (row["seed claim"], row["verdict"]) == ("500MB → 350MB, -30%", "pending")
    assert "postgresql was not in backends" in row["why"]
    assert ("- **Memory Usage** (seed: 500MB → 350MB, -30%): **pending**; the run cannot judge it: "
            "postgresql was not in backends.") in markdown


def test_the_sentences_count_verdicts_and_set_our_figures_beside_the_seed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def confirmed(results: Results) -> Finding:
        return Finding("confirmed", "held", before=Figure(500.0, 490.0, 510.0, "MB"),
                       after=Figure(300.0, 295.0, 305.0, "MB"))

    monkeypatch.setitem(memory_claims.EVALUATORS, "memory_usage", confirmed)
    styler, markdown = _shown(_run(tmp_path, "07_memory"))
    assert markdown.splitlines()[0] == "This run judges 2 of the seed's claims: 1 confirmed, 1 pending."
    assert "- **Memory Usage** (seed: 500MB → 350MB, -30%): **confirmed**; ours 500 MB → 300 MB." in markdown
    assert styler.data.iloc[0]["our after"] == "300 MB [295, 305]"  # type: ignore[attr-defined]


def test_a_run_of_an_experiment_without_claims_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="00_environment.*judges no claim"):
        show_claims(_run(tmp_path, "00_environment"), show=lambda _: None)


@pytest.mark.parametrize("name", JUDGING)
def test_the_notebook_ends_with_show_claims(name: str) -> None:
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code[-1].source.strip() == "show_claims(results)"
    assert nb.cells[-1] is code[-1], "nothing follows the claims"
    assert sum("show_claims(" in cell.source for cell in code) == 1


@pytest.mark.parametrize("name", JUDGING)
def test_the_notebook_judges_claims_only_through_show_claims(name: str) -> None:
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    code = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    evaluators = {fn.__name__ for module in claims_modules() for fn in module.EVALUATORS.values()}
    judging = ["EVALUATORS", "evaluate_run(", "evaluate_claims(", "claims_table(", "styled_verdicts(", ".verdict"]
    judging += [f"{fn}(" for fn in sorted(evaluators) if not fn.startswith("_") and fn != "evaluate"]
    assert [word for word in judging if word in code] == []
