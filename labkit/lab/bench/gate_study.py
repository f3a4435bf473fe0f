"""How far to trust `labkit compare` here: its false-alarm rate on A/A pairs and the slowdown it catches.

`python -m labkit.lab.bench.gate_study` (or `make gate-study`) runs an experiment N times to calibrate,
then 2×P more times as P A/A pairs; it judges every pair as `labkit compare` would (with and without the
calibration) and plants slowdowns of each backend's case into the second run of each pair.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np

from labkit.lab.bench.compare import compare_runs, judge_figures
from labkit.lab.bench.figures import figure_samples
from labkit.lab.bench.gate import run_saved
from labkit.lab.bench.machine import machine_fingerprint, machine_identity
from labkit.lab.bench.metadata import new_run_id
from labkit.lab.bench.noise import Spread, read_noise, replicate_spread, write_noise
from labkit.lab.bench.results import Results, list_runs, load_results, save_results
from labkit.lab.bench.stats import t_quantile
from labkit.lab.errors import ResultsError
from labkit.settings import Settings

__all__ = ["plant_slowdown", "planted", "wilson_interval", "runs_needed", "main"]

FACTORS = (1.1, 1.2, 1.3, 1.5, 2.0, 3.0)


def planted(results: Results, factor: float, **where: Any) -> Results:
    """A copy of a run whose rows matching `where` (e.g. case="redis") take `factor` times as long."""
    frame = results.frame.copy()
    mask = frame["phase"].notna()
    for column, value in where.items():
        mask &= frame[column] == value
    if not mask.any():
        raise ResultsError(f"no rows match {where} in run {results.run_id}")
    frame.loc[mask, "value"] = frame.loc[mask, "value"] * factor
    return replace(results, frame=frame)


def plant_slowdown(results: Results, factor: float, results_dir: str | Path, **where: Any) -> Path:
    """Save a planted copy as a new run through `save_results`, so it is as valid a file as any other."""
    copy = planted(results, factor, **where)
    metadata = {**results.metadata, "run_id": new_run_id(), "origin": "test",  # not a lab run: kept out of history
                "planted": {"factor": factor, "where": where}}
    columns = [c for c in copy.frame.columns if c not in ("experiment", "run_id")]
    return save_results(copy.frame[columns], metadata, results_dir)


def wilson_interval(hits: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion (sound at 0 of 20, unlike the normal approximation)."""
    if n == 0:
        return 0.0, 1.0
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (0.0 if hits == 0 else centre - half), (1.0 if hits == n else centre + half)


def runs_needed(sigma: float, df: int, factor: float, figures: int, alpha: float = 0.05, power: float = 0.8) -> int:
    """Runs per side for a `factor` change to clear the gate with `power`, given the noise `sigma` (log scale)."""
    if not sigma > 0:
        return 1
    crit = t_quantile(1 - alpha / figures / 2, df) + NormalDist().inv_cdf(power)
    return max(1, math.ceil(2 * (crit * sigma / math.log(factor)) ** 2))


def _run(experiment: str, settings: Settings, parameters: Mapping[str, Any]) -> Results:
    try:
        return run_saved(experiment, settings, parameters, update_index=False)
    except ResultsError as exc:
        raise SystemExit(str(exc)) from None


Side = list[Results]
Samples = dict[tuple[str, str], np.ndarray]
NoiseOf = Callable[[Side, Side], "Mapping[tuple[str, str], Spread] | None"]


def _slowed(samples: Samples, case: str, factor: float) -> Samples:
    return {f: x * factor if f"case={case}," in f"{f[0]}," else x for f, x in samples.items()}


def _study(pairs: Sequence[tuple[Side, Side]], noise_of: NoiseOf, cases: Sequence[str],
           factors: Sequence[float] = FACTORS) -> tuple[int, dict[str, dict[float, int]]]:
    """False alarms over the pairs, and per case and factor how often a slowdown planted into B is named."""
    grouped: dict[str, Samples] = {}

    def samples(side: Side) -> list[Samples]:
        return [grouped.setdefault(r.run_id, figure_samples(r)) for r in side]

    alarms, caught = 0, {case: dict.fromkeys(factors, 0) for case in cases}
    for a, b in pairs:
        noise = noise_of(a, b)
        xa, xb = samples(a), samples(b)
        alarms += bool((judge_figures(xa, xb, noise=noise, cis=False)["verdict"] == "regression").any())
        for case in cases:
            for factor in factors:
                table = judge_figures(xa, [_slowed(x, case, factor) for x in xb], noise=noise, cis=False)
                named = table.loc[table["verdict"] == "regression", "figure"]
                caught[case][factor] += any(f"case={case}," in f"{fig}," for fig in named)
    return alarms, caught


def _replicated_pairs(runs: Sequence[Results], k: int, draws: int, seed: int = 0) -> list[tuple[Side, Side]]:
    """`draws` random pairs of disjoint sides of `k` runs each, taken from `runs`."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(draws):
        picked = rng.choice(len(runs), size=2 * k, replace=False)
        out.append(([runs[i] for i in picked[:k]], [runs[i] for i in picked[k:]]))
    return out


def _table(caught: dict[str, dict[float, int]], n: int) -> list[str]:
    factors = list(next(iter(caught.values())))
    lines = ["| case | " + " | ".join(f"×{f:g}" for f in factors) + " | smallest caught ≥80% |",
             "|---|" + "---|" * (len(factors) + 1)]
    for case, row in caught.items():
        smallest = next((f"×{f:g}" for f in factors if row[f] / n >= 0.8), f"beyond ×{factors[-1]:g}")
        lines.append(f"| {case} | " + " | ".join(f"{row[f] / n:.0%}" for f in factors) + f" | {smallest} |")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Run the study and write its markdown report."""
    parser = argparse.ArgumentParser(prog="python -m labkit.lab.bench.gate_study", description=__doc__)
    parser.add_argument("--experiment", default="00_environment")
    parser.add_argument("--pairs", type=int, default=20, help="A/A pairs (2 runs each)")
    parser.add_argument("--calibration-runs", type=int, default=10)
    parser.add_argument("--replicates", type=int, nargs="*", default=[3, 6],
                        help="also judge sides of this many runs each (default 3 6)")
    parser.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--workdir", default="data/gate-study",
                        help="its own results and reports (default %(default)s)")
    parser.add_argument("--out", default="reports/gate-study.md")
    parser.add_argument("--reuse", action="store_true", help="judge the runs already in --workdir again")
    args = parser.parse_args(argv)
    from labkit.lab.report.parameters import parse_cli_value

    parameters = {name: parse_cli_value(value) for name, _, value in (p.partition("=") for p in args.param)}
    work = Path(args.workdir)
    settings = Settings.from_env().with_overrides(data_dir=work / "data", reports_dir=work / "reports")
    if args.reuse:  # judge the runs of an earlier study again (after a change to the gate)
        saved = [load_results(p) for p in list_runs(settings.results_dir, args.experiment)]
        noted = read_noise(settings.data_dir, args.experiment)
        if noted is None:
            raise SystemExit(f"--reuse: no noise record of {args.experiment} under {settings.data_dir}")
        calibration = [r for r in saved if r.run_id in noted.run_ids]
        runs = [r for r in saved if r.run_id not in noted.run_ids][: 2 * args.pairs]
        record = write_noise(settings.data_dir, calibration)
    else:
        calibration = [_run(args.experiment, settings, parameters) for _ in range(args.calibration_runs)]
        record = write_noise(settings.data_dir, calibration)
        runs = [_run(args.experiment, settings, parameters) for _ in range(2 * args.pairs)]
    pairs = list(zip(runs[::2], runs[1::2]))
    cases = sorted({str(c) for c in runs[0].samples(kind="round_trip")["case"].unique()}) \
        if "kind" in runs[0].frame else sorted({str(c) for c in runs[0].samples()["case"].unique()})
    n = len(pairs)
    report = [f"# How far to trust `labkit compare` on machine `{machine_fingerprint()}`", "",
              f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M UTC}; {args.experiment}, parameters "
              f"{parameters or 'default'}; {len(calibration)} calibration runs, then {n} A/A pairs "
              f"(2 runs each, same commit `{str(runs[0].metadata.get('git_commit'))[:12]}`).", "",
              f"Machine: {machine_identity()}", "", "Run-to-run noise (calibration: σ of log median):", ""]
    report += [f"- {fig}: ±{s.sigma:.1%}" for (fig, _), s in sorted(record.spreads.items())]
    single = [([a], [b]) for a, b in pairs]
    modes: list[tuple[str, NoiseOf]] = [("calibrated", lambda a, b: record.spreads),
                                        ("without calibration (the pair's own figures)", lambda a, b: None)]
    for mode, noise_of in modes:
        alarms, caught = _study(single, noise_of, cases)
        low, high = wilson_interval(alarms, n)
        report += ["", f"## Two single runs, {mode}", "",
                   f"False alarms: **{alarms} of {n}** A/A pairs had a regression: {alarms / n:.0%} "
                   f"(95% CI {low:.0%}–{high:.0%}, Wilson).", "",
                   "A slowdown planted into one case of the second run of each pair, caught as a regression of "
                   "that case:", "", *_table(caught, n)]

    def pooled(a: Side, b: Side) -> dict[tuple[str, str], Spread]:
        own = replicate_spread([a, b])
        return {f: record.spreads[f] + own[f] if f in own else record.spreads[f] for f in record.spreads}

    for k in args.replicates:
        if 2 * k > len(runs):
            continue
        draws = _replicated_pairs(runs, k, n)
        alarms, caught = _study(draws, pooled, cases, factors=(1.2, 1.3, 1.5, 2.0))
        low, high = wilson_interval(alarms, n)
        report += ["", f"## {k} runs per side, calibrated (+ the sides' own replicates)", "",
                   f"{n} random draws of two disjoint sets of {k} runs from the {len(runs)} runs above. "
                   f"False alarms: **{alarms} of {n}** ({alarms / n:.0%}, 95% CI {low:.0%}–{high:.0%}; draws "
                   "share runs, so the interval is optimistic).", "", *_table(caught, n)]
    report += ["", "## Runs per side for a 1.5× slowdown (80% power, from the calibrated noise)", ""]
    figures = len(record.spreads)
    for (fig, _), s in sorted(record.spreads.items()):
        report.append(f"- {fig}: {runs_needed(s.sigma, s.df, 1.5, figures)} run(s) per side "
                      f"(`labkit compare A1,A2,… B1,B2,…` or `@COMMIT`)")
    a, b = pairs[0]
    report += ["", "## One A/A pair, as `labkit compare` prints it", "",
               compare_runs(a, b, noise=record.spreads, noise_source=f"calibration of {len(calibration)} runs")
               .markdown()]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(report) + "\n", encoding="utf-8")
    print("\n".join(report))
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
