"""The `labkit` command line: run notebooks, build reports, manage servers, print benchmarks."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from labkit import __version__
from labkit.errors import LabkitError
from labkit.lab.errors import ParameterError
from labkit.settings import Settings

__all__ = ["main"]

_EXTRAS = "lab,app,load,bench"


def _parse_params(pairs: Sequence[str], files: Sequence[str]) -> dict[str, Any]:
    import yaml

    from labkit.lab.report.parameters import parse_cli_value

    params: dict[str, Any] = {}
    for file in files:
        try:
            loaded = yaml.safe_load(Path(file).read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ParameterError(f"cannot read parameters file {file}: {exc}") from None
        if not isinstance(loaded, dict):
            raise ParameterError(f"parameters file {file} must hold a mapping of name: value")
        params.update(loaded)
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ParameterError(f"-p expects name=value, got {pair!r}")
        params[name.strip()] = parse_cli_value(value)
    return params


def _shown(path: Path) -> str:
    """A path relative to the working directory when it lies under it (shorter to read and to copy)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _parameters_help(notebook: Path) -> str:
    """The notebook's parameters as a table (name, type, default, meaning), then how to set them."""
    import json

    from labkit.lab.experiments import tiny_parameters_path
    from labkit.lab.report.parameters import read_parameters

    params = read_parameters(notebook)
    rows = [("name", "type", "default", "meaning")]
    rows += [(p.name, p.type, json.dumps(p.default), p.help) for p in params.values()]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [f"{notebook.stem}: parameters of {_shown(notebook)}", ""]
    lines += ["  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[3] for row in rows]
    try:
        tiny: Path | None = tiny_parameters_path(notebook.stem)
    except KeyError:  # a notebook without an experiment package
        tiny = None
    first = next(iter(params.values()), None)
    lines.append("")
    if first is not None:
        lines.append(f"set one with -p NAME=VALUE (read as YAML: -p {first.name}={json.dumps(first.default)}), "
                     "or many with -f FILE.yaml")
    if tiny is not None and tiny.is_file():
        lines.append(f"tiny parameters (tests, CI, labkit report --tiny): {_shown(tiny)}")
    return "\n".join(lines)


def _cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from labkit.lab import services
    from labkit.lab.report.runner import find_notebook, notebooks_dir, run_notebook
    from labkit.lab.services import running_embedded

    if args.help_params:
        path = Path(args.notebook) if Path(args.notebook).is_file() else find_notebook(args.notebook, notebooks_dir())
        print(_parameters_help(path))
        return 0
    params = _parse_params(args.param, args.param_file)
    _reuse_orphans(settings, keep=True)
    before = running_embedded(settings)
    try:
        record = run_notebook(args.notebook, settings, params)
    except KeyboardInterrupt:  # Ctrl-C, SIGTERM or SIGHUP: stop what this command started
        _stop_started(settings, before)
        raise
    print(f"{record.name}: {record.status} in {record.duration_s:.1f} s (run {record.run_id})")
    for view in (record.reviewer_html, record.full_html):
        if view:
            print(f"  {settings.reports_dir / view}")
    if record.error:
        print(f"  error: {record.error}", file=sys.stderr)
    started = sorted(running_embedded(settings) - before)
    if started:
        services.keep(settings, started)
        print(f"embedded {' and '.join(started)} left running for the next runs; "
              "stop with `labkit services down`")
    return 0 if record.ok else 1


def _reuse_orphans(settings: Settings, *, keep: bool) -> dict[str, int]:
    """Take over embedded servers whose owning command died (SIGKILL), saying so; {name: former owner}."""
    from labkit.lab import services
    from labkit.lab.services.embedded import current_owner

    adopted = services.adopt_orphans(settings, None if keep else current_owner())
    for name, former in sorted(adopted.items()):
        fate = "it stays until `labkit services down`" if keep else "this command stops it when it ends"
        print(f"embedded {name} was left running by labkit pid {former}, which is gone: reusing it; {fate}")
    return adopted


def _stop_started(settings: Settings, before: set[str]) -> None:
    """Stop the embedded servers that answer now but did not before this command."""
    from labkit.lab import services

    started = sorted(services.running_embedded(settings) - before)
    if started and not (settings.database_url and settings.redis_url):
        services.down(settings, only=started)
        print(f"stopped embedded {' and '.join(started)}, started by this command", file=sys.stderr)


def _cmd_new(args: argparse.Namespace, settings: Settings) -> int:
    from labkit.lab.experiment_template import create_experiment

    created = create_experiment(args.name)
    package = _shown(created.package)
    print(f"created {_shown(created.notebook)}")
    print(f"created {package}/ (__init__.py, measure.py, tiny.yaml)")
    steps = [(f"labkit run {created.name} -f {package}/tiny.yaml", "every cell, in seconds"),
             (f"labkit run {created.name}", "the measurement; its report lands in reports/html/"),
             ("make jupyter", "or work on it in JupyterLab")]
    width = max(len(command) for command, _ in steps)
    print("next: write the question in the notebook's first cell and your cases in measure.py, then")
    for command, why in steps:
        print(f"  {command.ljust(width)}  # {why}")
    return 0


def _cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from labkit.lab import services
    from labkit.lab.report.index import read_runs, stale_summaries
    from labkit.lab.report.runner import list_notebooks, notebooks_dir, run_all
    from labkit.lab.report.selection import changed_since_last_good_run, matching, tiny_parameters

    found = list_notebooks(notebooks_dir(settings))
    chosen = matching(found, args.only or [])
    parameters = tiny_parameters(chosen) if args.tiny else {}
    if args.changed:
        runs = read_runs(settings.reports_dir)
        stale = stale_summaries(runs.values(), settings.results_dir)  # a summary older than a run it reads
        chosen = changed_since_last_good_run(chosen, runs, parameters, stale=stale)
        if not chosen:
            print("nothing to run: every notebook's cells, package and parameters match its last good run")
            return 0
    if len(chosen) < len(found):
        print(f"running {len(chosen)} of {len(found)} notebooks: {', '.join(p.stem for p in chosen)}")
    adopted = _reuse_orphans(settings, keep=args.keep_services)
    before = {row.name: row.running and row.name not in adopted for row in services.status(settings)}
    try:
        records = run_all(settings, parameters=parameters, names={p.stem for p in chosen})
    finally:
        if not args.keep_services:
            # Stop only the embedded servers this command started: a `make jupyter` session keeps its own.
            started_here = [n for n in ("postgresql", "redis") if not before.get(n)]
            if started_here and not (settings.database_url and settings.redis_url):
                services.down(settings, only=started_here)
    for r in records:
        print(f"{r.status:>6}  {r.duration_s:6.1f} s  {r.name}  {r.headline or r.error or ''}")
    print(f"index: {settings.reports_dir / 'index.html'}")
    return 0 if all(r.ok for r in records) else 1


def _cmd_jupyter(args: argparse.Namespace, settings: Settings) -> int:
    from labkit.lab.jupyter import run_jupyter

    return run_jupyter(settings, args.jupyter_args)


def _cmd_services(args: argparse.Namespace, settings: Settings) -> int:
    from labkit.lab import services

    if args.action == "up":
        _reuse_orphans(settings, keep=True)
        rows = services.up(settings)
    elif args.action == "down":
        stopped = services.down(settings)
        print("stopped: " + (", ".join(stopped) if stopped else "nothing (no embedded server was running)"))
        rows = services.status(settings)
    else:
        rows = services.status(settings)
    width = max(len(row.state) for row in rows)
    for row in rows:
        print(f"{row.name:<11} {row.source:<9} {row.state:<{width}} {row.version or '':<18} {row.url}")
        if row.problem and row.unusable:
            print(f"{'':<11} {row.problem}")
        if row.orphaned_from:
            print(f"{'':<11} left running by labkit pid {row.orphaned_from}, which is gone: the next command "
                  "reuses it; `labkit services down` stops it")
    unusable = [row.name for row in rows if row.unusable]
    if unusable:
        print(f"labkit: error: {' and '.join(unusable)} configured but not usable", file=sys.stderr)
        return 1
    return 0


def _cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    from labkit.lab.benchmarks import run_benchmarks

    return run_benchmarks(settings, quick=args.quick, suites=args.suite or None, strict=args.strict)


def _cmd_check_reports(args: argparse.Namespace, settings: Settings) -> int:
    from labkit.lab.report.browser import check_reports
    from labkit.secrets import url_secrets

    secrets = url_secrets(settings.database_url) + url_secrets(settings.redis_url)
    result = check_reports(settings.reports_dir, secrets=secrets)
    for problem in result.problems:
        print(f"  {problem}")
    for shot in result.screenshots:
        print(f"screenshot: {shot}")
    print(f"{len(result.pages)} pages checked, {len(result.problems)} problems")
    return 0 if result.ok else 1


def _cmd_compare(args: argparse.Namespace, settings: Settings) -> int:
    from labkit.lab.bench.gate import calibrate, gate

    if args.calibrate:
        record = calibrate(args.calibrate, args.runs, settings, _parse_params(args.param, args.param_file))
        print(f"noise of {record.experiment} on machine {record.fingerprint} over {len(record.run_ids)} runs "
              f"(run-to-run spread of each figure's median):")
        for (figure, _unit), spread in sorted(record.spreads.items()):
            print(f"  ±{spread.sigma:6.1%}  {figure}")
        print(f"recorded in {settings.data_dir / 'noise' / (record.fingerprint + '.json')}")
        return 0
    if not (args.run_a and args.run_b):
        print("labkit: error: compare needs two runs (RUN_A RUN_B) or --calibrate EXPERIMENT", file=sys.stderr)
        return 2
    result = gate(args.run_a, args.run_b, settings, threshold=args.threshold, alpha=args.alpha,
                  experiment=args.experiment)
    digest = result.markdown()
    print(digest)
    if args.markdown:
        Path(args.markdown).write_text(digest, encoding="utf-8")
    if args.strict and result.differences:
        print("labkit: refusing to judge (--strict): the runs differ beyond their code", file=sys.stderr)
        return 2
    for row in result.regressions.itertuples(index=False):
        print(f"regression: {row.figure} ({row.ratio:.2f}× A's median)", file=sys.stderr)
    return 1 if len(result.regressions) else 0


def _cmd_history(args: argparse.Namespace, settings: Settings) -> int:
    from labkit.lab.bench.history import commit_order, read_history, sync_history, trends
    from labkit.lab.bench.lab_runs import SkippedRun
    from labkit.lab.bench.machine import machine_fingerprint
    from labkit.lab.report.history_page import write_history_page
    from labkit.lab.report.index import read_runs
    from labkit.lab.report.runner import rebuild_index
    from labkit.settings import project_root

    skipped: list[SkippedRun] = []
    gained = sync_history(settings.results_dir, settings.data_dir, skipped)
    machine = args.machine or machine_fingerprint()
    repo = Path(args.repo) if args.repo else project_root()
    order = commit_order(repo)
    history = read_history(settings.data_dir, machine)
    if args.experiment:
        history = history[history["experiment"].isin(args.experiment)]
    found = trends(history, order, settings.data_dir, threshold=args.threshold, alpha=args.alpha, fingerprint=machine)
    head = order[-1] if order else None
    notes = [f"skipped {_shown(s.path)}: {s.reason}" for s in skipped]
    commits = set(history["commit"])
    dirty = sorted(c for c in commits if c.endswith("-dirty"))
    elsewhere = sorted(c for c in commits - set(order) if not c.endswith("-dirty"))
    if dirty:
        notes.append(f"{int(history['commit'].isin(dirty).sum())} figure rows of uncommitted code (-dirty) left out")
    if elsewhere:
        notes.append(f"runs of {len(elsewhere)} commit(s) not in HEAD's history left out")
    page = write_history_page(settings.reports_dir, found, machine=machine, head=head, notes=notes,
                              threshold=args.threshold, alpha=args.alpha)
    print(f"history of machine {machine}: {len(history['run_id'].unique())} runs, "
          f"{len({c for t in found for c in t.points['commit']})} commits, {len(found)} figures "
          f"({sum(gained.values())} new runs added)")
    for note in notes:
        print(f"  {note}")
    at_head = []
    for trend in found:
        for step in trend.steps:
            where = trend.commit_at(step)
            print(f"  {trend.verdict(step)}: {trend.experiment} {trend.figure} at {where[:10]} "
                  f"({step.ratio:.2f}× the level before)")
            if trend.verdict(step) == "regression" and where == head:
                at_head.append(trend)
    print(f"page: {_shown(page)}")
    if read_runs(settings.reports_dir):  # the index links the history page once it exists
        rebuild_index(settings)
    if args.check:
        if head is None or head not in set(history["commit"]):
            print(f"labkit: error: HEAD {str(head)[:10]} has no lab run on machine {machine}: run the lab first",
                  file=sys.stderr)
            return 2
        for trend in at_head:
            print(f"regression at HEAD: {trend.experiment} {trend.figure}", file=sys.stderr)
        return 1 if at_head else 0
    return 0


def _cmd_runs(args: argparse.Namespace, settings: Settings) -> int:
    from labkit.lab.bench.results import LAB_ORIGINS
    from labkit.lab.bench.runs import runs_text, saved_runs
    from labkit.lab.report.runner import list_notebooks, notebooks_dir

    origins = {"all": None, "lab": LAB_ORIGINS}.get(args.origin, {args.origin})
    if args.experiment and not (settings.results_dir / args.experiment).is_dir():
        known = [p.stem for p in list_notebooks(notebooks_dir(settings))]
        if args.experiment not in known:
            raise ParameterError(f"no experiment {args.experiment!r}; experiments: {', '.join(known)}")
    runs = saved_runs(settings.results_dir, args.experiment, origins=origins)
    shown = f" of {args.experiment}" if args.experiment else ""
    if not runs:
        which = "" if args.origin == "all" else f" with origin {args.origin}"
        print(f"no saved runs{shown}{which} under {_shown(settings.results_dir)}")
        return 0
    print(runs_text(runs))
    return 1 if any(not r.intact for r in runs) else 0


def _cmd_load(args: argparse.Namespace, settings: Settings) -> int:
    import pandas as pd

    from labkit.lab.experiments.api_load import measure as api_load
    from labkit.lab.load import LoadPlan, memory_table, mode_ratios, step_table

    plan = LoadPlan(modes=args.modes, users=args.users, rates=args.rates, duration_s=args.duration,
                    settle_s=min(args.settle, args.duration / 2), warmup_s=args.warmup, think_s=args.think,
                    students=args.students, seed=args.seed, profile=not args.no_profile)
    lab = api_load.start(plan, settings, origin="load")
    saved = api_load.run_and_save(lab, plan, progress=lambda line: print(line, flush=True))
    frame = saved.results.frame
    with pd.option_context("display.width", 200, "display.max_columns", 30, "display.precision", 3):
        print("\n" + step_table(frame).drop(columns=["rate", "users"]).to_string(index=False))
        ratios = mode_ratios(frame)
        if len(ratios):
            print("\noptimized/baseline (95% CI):\n" + ratios.to_string(index=False))
        print("\n" + memory_table(frame).to_string(index=False))
    for mode, flame in saved.run.flames.items():
        target = Path(args.flame_dir) / f"flame-{mode}.svg" if flame.svg else None
        if target is not None and flame.svg:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(flame.svg, encoding="utf-8")
        print(f"flame graph {mode}: {flame.note}" + (f" -> {target}" if target else ""))
    errors = int((~frame.loc[frame["kind"] == "latency", "ok"].astype(bool)).sum())
    print(f"\n{errors} failed requests")
    print(f"results: {saved.results.path} (run {saved.results.run_id} of {api_load.EXPERIMENT}; "
          f"the summary reads the latest run)")
    if (settings.reports_dir / "runs.json").is_file():  # the index marks the summary stale from now on
        from labkit.lab.report.runner import rebuild_index

        print(f"index: {rebuild_index(settings)}")
    return 0


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's layout, with sub-commands measured at the indent they are printed at.

    Python 3.11 measures them one level further left than it prints them, which pushes the description
    of the longest command (`check-reports`) onto a line of its own.
    """

    def add_argument(self, action: argparse.Action) -> None:
        if action.nargs != argparse.PARSER:
            return super().add_argument(action)
        self._indent()
        super().add_argument(action)
        self._dedent()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="labkit", description=__doc__, formatter_class=_HelpFormatter,
                                     epilog="`labkit COMMAND --help` describes a command; a bare `labkit` prints "
                                            "this help.")
    parser.add_argument("--version", action="version", version=f"labkit {__version__}")
    sub = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")

    run = sub.add_parser("run", help="execute one notebook and render its HTML views")
    run.add_argument("notebook", help="notebook name (00_environment) or path")
    run.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                     help="override a parameter (repeatable); values read as YAML: 10, 0.5, true, [a, b]")
    run.add_argument("-f", "--param-file", action="append", default=[], metavar="FILE",
                     help="YAML file of parameters (applied before -p)")
    run.add_argument("--help-params", action="store_true",
                     help="list the notebook's parameters (type, default, meaning) and exit")

    report = sub.add_parser("report", help="run every notebook and write reports/index.html")
    report.add_argument("--keep-services", action="store_true",
                        help="leave embedded servers running afterwards")
    report.add_argument("--only", action="append", metavar="PATTERN",
                        help="only the notebooks whose name matches: a glob (0[1-3]_*), else a substring (cache); "
                             "repeatable")
    report.add_argument("--changed", action="store_true",
                        help="only the notebooks whose cells, experiment package or parameters changed since their "
                             "last good run (the summary joins when any other reruns, or when it is stale)")
    report.add_argument("--tiny", action="store_true",
                        help="run each notebook with its tiny parameters (its experiment's tiny.yaml): a quick check "
                             "that every cell runs and renders, as CI does; not a measurement")

    new = sub.add_parser("new", help="create an experiment: notebook, package, tiny parameters",
                         description="Create notebooks/NN_NAME.ipynb (the next free number) and its package "
                                     "labkit/lab/experiments/NAME/ from the template; the experiment runs as created.")
    new.add_argument("name", metavar="NAME", help="lower-case name (queues), or with its number (10_queues)")

    jupyter = sub.add_parser(
        "jupyter", help="open JupyterLab on notebooks/ with the lab's servers",
        description="Start the embedded servers (unless URLs are set), run JupyterLab on notebooks/ (127.0.0.1, "
                    "no browser without a display, --allow-root as root) and stop the servers it started when "
                    "JupyterLab ends, Ctrl-C included.")
    jupyter.add_argument("jupyter_args", nargs="*", metavar="-- ARG",
                         help="arguments for `jupyter lab` after a `--`, placed after the defaults so they win "
                              "(labkit jupyter -- --port=9999 --ip=0.0.0.0)")

    svc = sub.add_parser("services", help="start, stop or show the servers the lab measures")
    svc.add_argument("action", choices=["up", "down", "status"])

    bench = sub.add_parser("bench", help="print same-run speed ratios against their targets")
    bench.add_argument("--quick", action="store_true", help="few repeats: a smoke run, not a measurement")
    bench.add_argument("--suite", action="append", help="run only this suite (repeatable)")
    bench.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    sub.add_parser("check-reports", help="open every report in headless Chromium and check it")

    cmp_ = sub.add_parser(
        "compare", help="compare two runs against the machine's noise",
        description="Compare run B with run A figure by figure. A figure regresses only when its change clears the "
                    "within-run CI, this machine's run-to-run noise (--calibrate, saved replicates) and --threshold. "
                    "Exit 1 on a regression, 2 when --strict and the runs differ beyond their code.")
    cmp_.add_argument("run_a", nargs="?", help="baseline: a run id, a .parquet path, several joined by commas, or "
                                               "@COMMIT (every lab run of that commit; needs --experiment)")
    cmp_.add_argument("run_b", nargs="?", help="candidate, named the same ways")
    cmp_.add_argument("--threshold", type=float, default=0.05,
                      help="smallest relative change that counts, whatever the noise (default 0.05)")
    cmp_.add_argument("--alpha", type=float, default=0.05,
                      help="false-alarm rate of the whole comparison, split over its figures (default 0.05)")
    cmp_.add_argument("--strict", action="store_true",
                      help="refuse (exit 2) when parameters, backends, versions or machine differ")
    cmp_.add_argument("-e", "--experiment", help="the experiment of @COMMIT sides")
    cmp_.add_argument("--markdown", metavar="FILE", help="also write the digest to FILE")
    cmp_.add_argument("--calibrate", metavar="EXPERIMENT",
                      help="run EXPERIMENT --runs times and record this machine's run-to-run noise for it")
    cmp_.add_argument("--runs", type=int, default=10, help="runs for --calibrate (default 10)")
    cmp_.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                      help="parameter of the calibration runs (as for `labkit run`)")
    cmp_.add_argument("-f", "--param-file", action="append", default=[], metavar="FILE",
                      help="YAML parameters of the calibration runs")

    hist = sub.add_parser(
        "history", help="trend of every figure across commits",
        description="Add every new lab run to this machine's history (data/history/<fingerprint>.parquet) and "
                    "write reports/history.html: a trend chart per figure over commits with CIs, steps beyond "
                    "the noise marked, a table of the changes.")
    hist.add_argument("--check", action="store_true",
                      help="exit 1 when a figure stepped to a worse level at HEAD (2 when HEAD has no run)")
    hist.add_argument("-e", "--experiment", action="append", help="only this experiment (repeatable)")
    hist.add_argument("--repo", help="git checkout whose commits order the history (default: this one)")
    hist.add_argument("--machine", help="fingerprint of another machine's history (default: this machine)")
    hist.add_argument("--threshold", type=float, default=0.05, help="smallest relative step that counts")
    hist.add_argument("--alpha", type=float, default=0.05, help="false-alarm rate over all figures")

    runs = sub.add_parser(
        "runs", help="list saved runs with origin, commit and headline",
        description="List the saved runs of one experiment (or of all), oldest first: run id, start time, commit, "
                    "origin, a digest of the parameters and the headline. Every file's checksums are verified; a "
                    "damaged file is listed with the reason, and the command then exits 1.")
    runs.add_argument("experiment", nargs="?", metavar="EXPERIMENT", help="notebook name (00_environment); "
                      "default: every experiment with saved runs")
    runs.add_argument("--origin", default="all", choices=["all", "lab", "report", "run", "load", "test", "interactive"],
                      help="only runs of this origin: lab is report, run and load, what the summary reads "
                           "(default: all)")

    load = sub.add_parser("load", help="load the demo service, baseline vs optimized",
                          description="Load both modes of the demo service and save the run as one of "
                                      "08_api_load (embedded servers unless DATABASE_URL / REDIS_URL are set).")
    load.add_argument("--modes", nargs="+", default=["baseline", "optimized"], choices=["baseline", "optimized"])
    load.add_argument("--users", nargs="*", type=int, default=[50, 200], help="closed-loop (locust) user counts")
    load.add_argument("--rates", nargs="*", type=float, default=[40.0], help="open-loop arrival rates, requests/s")
    load.add_argument("--duration", type=float, default=10.0, help="seconds per step and mode (default 10)")
    load.add_argument("--settle", type=float, default=2.0, help="first seconds of a step kept as warmup")
    load.add_argument("--warmup", type=float, default=3.0, help="open-loop warmup per mode, seconds")
    load.add_argument("--think", type=float, default=1.0, help="mean think time of a locust user, seconds (default 1)")
    load.add_argument("--students", type=int, default=2000, help="students in the seeded database")
    load.add_argument("--seed", type=int, default=0)
    load.add_argument("--no-profile", action="store_true", help="skip the py-spy flame graph")
    load.add_argument("--flame-dir", default="reports/flames", help="where flame graph SVGs are written")
    return parser


_COMMANDS = {
    "run": _cmd_run,
    "report": _cmd_report,
    "new": _cmd_new,
    "jupyter": _cmd_jupyter,
    "services": _cmd_services,
    "bench": _cmd_bench,
    "check-reports": _cmd_check_reports,
    "compare": _cmd_compare,
    "history": _cmd_history,
    "runs": _cmd_runs,
    "load": _cmd_load,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `labkit` command."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:  # a bare `labkit`: what it can do, and success
        parser.print_help()
        return 0
    try:
        from labkit.lab.services.lifetime import Interrupted, signals_as_interrupt

        settings = Settings.from_env()
        with signals_as_interrupt():
            return _COMMANDS[args.command](args, settings)
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM / SIGHUP (Interrupted): the command cleaned up
        signum = exc.signum if isinstance(exc, Interrupted) else 2
        print(f"labkit: interrupted ({exc or 'SIGINT received'})", file=sys.stderr)
        return 128 + signum
    except LabkitError as exc:
        print(f"labkit: error: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:  # the library alone was installed, without the lab's extras
        if not exc.name or exc.name.partition(".")[0] == "labkit":
            raise
        print(f"labkit: error: `labkit {args.command}` needs the lab, and {exc.name!r} is not installed: "
              f"pip install 'labkit[{_EXTRAS}]'", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
