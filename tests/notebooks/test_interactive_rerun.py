"""In a live kernel, rerunning a notebook's cells with another parameter value saves a new run, never a mix."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager

from labkit.lab.bench import RUN_ORIGIN_ENV, list_runs, load_results
from labkit.settings import Settings

pytestmark = pytest.mark.notebook

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def kernel(settings: Settings) -> Iterator[BlockingKernelClient]:
    """A python3 kernel as JupyterLab starts one: the lab's settings in its environment, no run origin."""
    env = {k: v for k, v in os.environ.items() if k != RUN_ORIGIN_ENV} | settings.as_environ()
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(env=env, cwd=str(ROOT / "notebooks"))
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def _run(client: BlockingKernelClient, code: str) -> dict:
    errors: list[str] = []

    def keep_errors(message: dict) -> None:
        if message["msg_type"] == "error":
            errors.append(f"{message['content']['ename']}: {message['content']['evalue']}")

    reply = client.execute_interactive(code, timeout=120, output_hook=keep_errors)
    return {"status": reply["content"]["status"], "errors": errors}


def test_changing_a_parameter_and_rerunning_the_cells_saves_a_new_run_matching_its_samples(
    kernel: BlockingKernelClient, settings: Settings
) -> None:
    cells = [c.source for c in nbformat.read(ROOT / "notebooks" / "00_environment.ipynb", as_version=4).cells
             if c.cell_type == "code"]
    setup, measure, save = cells[1], cells[2], cells[3]
    assert "Experiment.start" in setup and "run_interleaved" in measure and "lab.save(" in save
    parameters = 'repeats = {}\nwarmups = 1\naa_repeats = 4\nbackends = ["sqlite"]'
    for code in (parameters.format(6), setup, measure, save, parameters.format(3), measure, save):
        outcome = _run(kernel, code)
        assert outcome["status"] == "ok", outcome["errors"]

    saved = [load_results(p) for p in list_runs(settings.results_dir, "00_environment")]
    assert len(saved) == 2 and saved[0].run_id != saved[1].run_id
    for results, repeats in zip(saved, (6, 3)):
        assert results.metadata["parameters"]["repeats"] == repeats
        assert results.metadata["origin"] == "interactive"
        assert len(results.samples(kind="round_trip", label="SQLite SELECT 1")) == repeats

    again = _run(kernel, save)  # the same samples saved twice: refused, the files stay as they were
    assert again["status"] == "error" and "RunClosedError" in again["errors"][0]
    assert len(list_runs(settings.results_dir, "00_environment")) == 2
