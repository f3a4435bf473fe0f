"""Executes notebooks with papermill and renders their reports; one failure never stops the rest."""

from __future__ import annotations

import os
import time
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import papermill
from jupyter_client.kernelspec import KernelSpecManager
from tqdm import tqdm

from labkit.errors import LabkitError
from labkit.lab.bench.metadata import new_run_id
from labkit.lab.bench.results import load_results
from labkit.lab.bench.session import RUN_ID_ENV, RUN_ORIGIN_ENV
from labkit.lab.errors import ParameterError, ResultsError
from labkit.lab.report.export import scrub_notebook_file, to_html
from labkit.lab.report.index import NotebookRun, read_runs, write_index, write_runs
from labkit.lab.report.inputs import inputs_digest
from labkit.lab.report.parameters import check_parameters
from labkit.secrets import mask_text, url_secrets
from labkit.settings import Settings, project_root

__all__ = ["RUN_ID_ENV", "find_notebook", "list_notebooks", "run_notebook", "run_all", "rebuild_index"]


def notebooks_dir(settings: Settings | None = None) -> Path:
    """The folder of experiment notebooks in this checkout."""
    return project_root() / "notebooks"


def list_notebooks(folder: Path) -> list[Path]:
    """Every experiment notebook in `folder`, in name order (00_, 01_, ..., 99_)."""
    return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))


def find_notebook(name: str, folder: Path) -> Path:
    """A notebook by path, file name or stem (`00_environment`), or a `ParameterError` listing them."""
    direct = Path(name)
    if direct.suffix == ".ipynb" and direct.is_file():
        return direct
    stem = direct.stem if direct.suffix == ".ipynb" else direct.name
    candidates = [p for p in list_notebooks(folder) if p.stem == stem or p.stem.split("_", 1)[-1] == stem]
    if len(candidates) == 1:
        return candidates[0]
    known = ", ".join(p.stem for p in list_notebooks(folder))
    raise ParameterError(f"no notebook named {name!r} in {folder}; notebooks: {known}")


def _kernel_name() -> str:
    specs = KernelSpecManager().find_kernel_specs()
    return "labkit" if "labkit" in specs else "python3"


def _secrets(settings: Settings) -> list[str]:
    return url_secrets(settings.database_url) + url_secrets(settings.redis_url)


def _error_text(exc: BaseException, secrets: list[str]) -> str:
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = getattr(exc, "evalue", str(exc))
    return mask_text(f"{ename}: {evalue}", secrets)[:2000]


def run_notebook(
    notebook: str | Path,
    settings: Settings,
    parameters: Mapping[str, Any] | None = None,
    *,
    progress: bool = True,
    update_index: bool = True,
    origin: str = "run",
) -> NotebookRun:
    """Execute one notebook into reports/executed/ and render both HTML views.

    Parameters are checked against the notebook's `parameters` cell first, so a typo fails in
    milliseconds rather than after a kernel has started. A notebook that raises gets a failure page
    (`html/NAME.failed.html`, showing the error) and the pages of its last good run are kept; the
    returned record says `failed`. `origin` is recorded in the runs the notebook saves.
    """
    path = find_notebook(str(notebook), notebooks_dir(settings)) if not Path(notebook).is_file() else Path(notebook)
    checked = check_parameters(path, parameters or {})
    digest = inputs_digest(path, checked)  # before the run: an edit made while it runs counts as a change
    name = path.stem
    reports = settings.reports_dir
    running = reports / "executed" / f"{name}.running.ipynb"
    running.parent.mkdir(parents=True, exist_ok=True)
    running.unlink(missing_ok=True)  # a crashed run's leftover must not be published as this run's page
    secrets = _secrets(settings)
    run_id = new_run_id()
    # The kernel inherits this process's environment: hand it these settings, the run id and origin.
    kernel_env = {**settings.as_environ(), RUN_ID_ENV: run_id, RUN_ORIGIN_ENV: origin}
    previous = {var: os.environ.get(var) for var in kernel_env}
    os.environ.update(kernel_env)
    started = time.monotonic()
    error: str | None = None
    try:
        papermill.execute_notebook(
            str(path), str(running), parameters=dict(checked), kernel_name=_kernel_name(),
            cwd=str(path.parent), progress_bar=progress, log_output=False, request_save_on_cell_execute=True,
        )
    except Exception as exc:  # papermill raises PapermillExecutionError, kernel deaths, timeouts
        error = _error_text(exc, secrets)
    finally:
        for var, value in previous.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value
    duration = time.monotonic() - started
    record = NotebookRun(name=name, status="failed" if error else "ok", duration_s=round(duration, 2),
                         parameters=dict(checked), error=error, inputs_digest=digest)
    try:
        saved = load_results(settings.results_dir / name / f"{run_id}.parquet")
        record.run_id = saved.run_id
        record.backends = dict(saved.metadata.get("backends") or {})
        record.headline = saved.metadata.get("headline")
    except ResultsError as exc:
        if not error:
            record.status, record.error = "failed", f"{name} saved no readable results for run {run_id}: {exc}"
    _render(record, running, reports, secrets, last=read_runs(reports).get(name))
    if update_index:
        runs = read_runs(reports)
        runs[name] = record
        write_runs(reports, runs.values())
        write_index(reports, runs.values(), results_dir=settings.results_dir)
    return record


def _render(record: NotebookRun, running: Path, reports: Path, secrets: list[str], last: NotebookRun | None) -> None:
    """Publish a run's pages: a good run replaces the pages, a failed one goes beside the last good ones."""
    name = record.name
    executed, failed_executed = reports / "executed" / f"{name}.ipynb", reports / "executed" / f"{name}.failed.ipynb"
    reviewer, full = reports / "html" / f"{name}.html", reports / "html" / f"{name}.full.html"
    failed = reports / "html" / f"{name}.failed.html"
    if record.ok:
        failed.unlink(missing_ok=True)
        failed_executed.unlink(missing_ok=True)
        if running.is_file():
            scrub_notebook_file(running, secrets)
            running.replace(executed)
            to_html(executed, reviewer, reviewer=True, title=name, secrets=secrets)
            to_html(executed, full, reviewer=False, title=f"{name} (full)", secrets=secrets)
            record.executed = str(executed.relative_to(reports))
            record.reviewer_html = str(reviewer.relative_to(reports))
            record.full_html = str(full.relative_to(reports))
        return
    if running.is_file():
        scrub_notebook_file(running, secrets)
        running.replace(failed_executed)
        to_html(failed_executed, failed, reviewer=False, title=f"{name} (failed)", secrets=secrets)
        record.failed_html = str(failed.relative_to(reports))
    for attribute, kept in (("executed", executed), ("reviewer_html", reviewer), ("full_html", full)):
        if kept.is_file():
            setattr(record, attribute, str(kept.relative_to(reports)))
    if last is not None and record.reviewer_html:
        record.last_good_run_id = last.shown_run_id


def run_all(
    settings: Settings,
    *,
    notebooks: Path | None = None,
    parameters: Mapping[str, Mapping[str, Any]] | None = None,
    progress: bool = True,
    names: Collection[str] | None = None,
) -> list[NotebookRun]:
    """Run every notebook of a folder in order, then write the index; failures are recorded.

    `parameters` maps a notebook name to its overrides (the test suite uses tiny ones); `names`, when
    given, runs only those notebooks (the index keeps the others' last runs).
    """
    folder = notebooks or notebooks_dir(settings)
    found = list_notebooks(folder)
    if not found:
        raise LabkitError(f"no notebooks in {folder}")
    overrides = dict(parameters or {})
    for name in overrides:
        if name not in {p.stem for p in found}:
            known = [p.stem for p in found]
            raise ParameterError(f"parameters given for unknown notebook {name!r}; notebooks: {known}")
    records = []
    chosen = [p for p in found if names is None or p.stem in names]
    bar = tqdm(chosen, desc="notebooks", unit="nb", disable=not progress)
    for path in bar:
        bar.set_postfix_str(path.stem)
        try:
            record = run_notebook(path, settings, overrides.get(path.stem), progress=progress, update_index=False,
                                  origin="report")
        except ParameterError as exc:
            record = NotebookRun(name=path.stem, status="failed", duration_s=0.0, error=str(exc))
        records.append(record)
    runs = read_runs(settings.reports_dir)
    runs.update({r.name: r for r in records})
    write_runs(settings.reports_dir, runs.values())
    write_index(settings.reports_dir, runs.values(), results_dir=settings.results_dir)
    return records


def rebuild_index(settings: Settings) -> Path:
    """Write index.html again from the recorded runs."""
    return write_index(settings.reports_dir, read_runs(settings.reports_dir).values(), results_dir=settings.results_dir)
