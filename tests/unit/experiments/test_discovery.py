"""The notebook -> experiment package map is discovered from each package's `NOTEBOOK` line."""

from __future__ import annotations

from pathlib import Path

import pytest

from labkit.lab.errors import LabError
from labkit.lab.experiments import EXPERIMENTS, discover, folder_of, package_of, tiny_parameters_path

ROOT = Path(__file__).resolve().parents[3]


def _package(folder: Path, name: str, init: str) -> None:
    (folder / name).mkdir(parents=True)
    (folder / name / "__init__.py").write_text(init)


def test_every_notebook_has_exactly_one_package_and_every_package_a_notebook() -> None:
    notebooks = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert list(EXPERIMENTS) == notebooks


def test_the_helpers_find_a_package_whose_name_differs_from_its_notebook() -> None:
    assert package_of("06_async") == "labkit.lab.experiments.async_ops"
    assert folder_of("06_async").name == "async_ops"
    assert tiny_parameters_path("06_async") == folder_of("06_async") / "tiny.yaml"


def test_an_unknown_notebook_is_named_with_the_known_ones() -> None:
    with pytest.raises(KeyError, match="'42_nothing'.*00_environment"):
        package_of("42_nothing")


def test_discovery_reads_declarations_without_importing_and_skips_helper_packages(tmp_path: Path) -> None:
    _package(tmp_path, "queues", '"""10_queues: ..."""\nraise RuntimeError("imported")\nNOTEBOOK = "10_queues"\n')
    _package(tmp_path, "shared", '"""Helpers for several experiments."""\n')
    assert discover(tmp_path) == {"10_queues": "queues"}


def test_two_packages_declaring_one_notebook_are_refused(tmp_path: Path) -> None:
    _package(tmp_path, "a", 'NOTEBOOK = "10_queues"\n')
    _package(tmp_path, "b", 'NOTEBOOK: str = "10_queues"\n')
    with pytest.raises(LabError, match="'a' and 'b' both declare notebook '10_queues'"):
        discover(tmp_path)


def test_a_malformed_notebook_name_is_refused(tmp_path: Path) -> None:
    _package(tmp_path, "queues", 'NOTEBOOK = "Queues"\n')
    with pytest.raises(LabError, match="'Queues' is not a notebook name"):
        discover(tmp_path)
