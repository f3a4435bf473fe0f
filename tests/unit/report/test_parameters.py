"""Parameters are read from the tagged cell and overrides are checked before any kernel starts."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from labkit.lab.errors import ParameterError
from labkit.lab.report.parameters import check_parameters, parse_cli_value, read_parameters

CELL = """\
repeats: int = 30  # timed repeats (at least 1)
ratio: float = 0.5  # a share (at least 0) (at most 1)
label: str = "x"  # free text
verbose: bool = False  # print more
backends: list[str] = ["sqlite", "postgresql"]  # backends (one of: sqlite, postgresql, redis)
sizes: list[int] = [1, 10]  # row counts (at least 1)
"""


def notebook(tmp_path: Path, source: str = CELL, tagged: bool = True) -> Path:
    cell = nbformat.v4.new_code_cell(source)
    if tagged:
        cell.metadata["tags"] = ["parameters"]
    path = tmp_path / "demo.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    return path


def test_every_parameter_is_read_with_type_default_and_constraints(tmp_path: Path) -> None:
    params = read_parameters(notebook(tmp_path))
    assert list(params) == ["repeats", "ratio", "label", "verbose", "backends", "sizes"]
    assert params["repeats"].default == 30 and params["repeats"].type == "int"
    assert params["ratio"].bounds == ((">=", 0.0), ("<=", 1.0))
    assert params["backends"].choices == ("sqlite", "postgresql", "redis")


def test_valid_overrides_are_coerced(tmp_path: Path) -> None:
    checked = check_parameters(notebook(tmp_path), {"ratio": 1, "backends": "redis,sqlite", "sizes": [5]})
    assert checked == {"ratio": 1.0, "backends": ["redis", "sqlite"], "sizes": [5]}


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"nosuch": 1}, r"unknown parameter 'nosuch'.*known parameters: repeats"),
        ({"repeats": -1}, r"'repeats'=-1 must be at least 1"),
        ({"repeats": "abc"}, r"'repeats' must be int, got str"),
        ({"repeats": True}, r"'repeats' must be int, got bool"),
        ({"ratio": 2}, r"'ratio'=2.0 must be at most 1"),
        ({"verbose": "yes"}, r"'verbose' must be bool"),
        ({"backends": ["mysql"]}, r"'mysql' is not one of sqlite, postgresql, redis"),
        ({"sizes": [0]}, r"'sizes'=\[0\] must be at least 1"),
    ],
)
def test_bad_overrides_name_the_parameter(tmp_path: Path, overrides: dict, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        check_parameters(notebook(tmp_path), overrides)


def test_notebook_without_parameters_cell_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="no code cell tagged 'parameters'"):
        read_parameters(notebook(tmp_path, tagged=False))


def test_computed_values_are_not_allowed_in_the_parameters_cell(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="line 1"):
        read_parameters(notebook(tmp_path, "n = 10 * 2\n"))


@pytest.mark.parametrize(
    "text,value", [("10", 10), ("0.5", 0.5), ("true", True), ("[a, b]", ["a", "b"]), ("abc", "abc")]
)
def test_cli_values_read_as_yaml(text: str, value: object) -> None:
    assert parse_cli_value(text) == value
