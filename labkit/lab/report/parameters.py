"""A notebook's `parameters` cell read without a kernel, and overrides checked against it.

Each line of the cell is `name: type = literal  # meaning (constraint)`. Constraints the checker
understands, inside the comment: `at least N`, `at most N`, `more than N`, `less than N` and
`one of: a, b, c` (words, not `>=`: papermill's own inspection rejects a second `=` on a line).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import yaml

from labkit.lab.errors import ParameterError

__all__ = ["Parameter", "read_parameters", "check_parameters", "parse_cli_value"]

_TYPES = {"int", "float", "str", "bool", "list[str]", "list[int]", "list[float]"}
_BOUND = re.compile(r"(at least|at most|more than|less than)\s+(-?\d+(?:\.\d+)?(?:e-?\d+)?)")
_OPS = {"at least": ">=", "at most": "<=", "more than": ">", "less than": "<"}
_ONE_OF = re.compile(r"one of:\s*([^)]+)")


@dataclass(frozen=True)
class Parameter:
    """One line of a parameters cell: its name, type, default, help text and constraints."""

    name: str
    type: str
    default: Any
    help: str
    bounds: tuple[tuple[str, float], ...] = ()
    choices: tuple[str, ...] = ()

    def check(self, value: Any) -> Any:
        """Return `value` coerced to this parameter's type, or raise `ParameterError` naming it."""
        value = self._coerce(value)
        items = value if isinstance(value, list) else [value]
        for item in items:
            for op, limit in self.bounds:
                ok = {">=": item >= limit, "<=": item <= limit, ">": item > limit, "<": item < limit}[op]
                if not ok:
                    words = {v: k for k, v in _OPS.items()}[op]
                    raise ParameterError(f"parameter {self.name!r}={value!r} must be {words} {limit:g} ({self.help})")
            if self.choices and str(item) not in self.choices:
                raise ParameterError(
                    f"parameter {self.name!r}={value!r}: {item!r} is not one of {', '.join(self.choices)}"
                )
        return value

    def _coerce(self, value: Any) -> Any:
        wrong = ParameterError(
            f"parameter {self.name!r} must be {self.type}, got {type(value).__name__} {value!r}"
        )
        if self.type == "bool":
            if isinstance(value, bool):
                return value
            raise wrong
        if self.type == "int":
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            raise wrong
        if self.type == "float":
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
            raise wrong
        if self.type == "str":
            if isinstance(value, str):
                return value
            raise wrong
        item_type = self.type[5:-1]
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list):
            raise wrong
        inner = Parameter(self.name, item_type, None, self.help)
        try:
            return [inner._coerce(v) for v in value]
        except ParameterError:
            raise wrong from None


def _parameters_cell(notebook: nbformat.NotebookNode, path: Path) -> str:
    for cell in notebook.cells:
        if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            return str(cell.source)
    raise ParameterError(f"{path} has no code cell tagged 'parameters'")


def read_parameters(path: str | Path) -> dict[str, Parameter]:
    """Parse the `parameters` cell of the notebook at `path`, in order."""
    path = Path(path)
    source = _parameters_cell(nbformat.read(path, as_version=4), path)
    tree = ast.parse(source)
    lines = source.splitlines()
    params: dict[str, Parameter] = {}
    for node in tree.body:
        if not isinstance(node, ast.AnnAssign) or not isinstance(node.target, ast.Name) or node.value is None:
            raise ParameterError(
                f"{path}: parameters cell line {node.lineno} must read `name: type = literal  # help`"
            )
        type_name = ast.unparse(node.annotation)
        if type_name not in _TYPES:
            raise ParameterError(
                f"{path}: parameter {node.target.id!r} has type {type_name}; use one of {sorted(_TYPES)}"
            )
        default = ast.literal_eval(node.value)
        line = lines[node.lineno - 1]
        comment = line.split("#", 1)[1].strip() if "#" in line else ""
        bounds = tuple((_OPS[words], float(num)) for words, num in _BOUND.findall(comment))
        choices_match = _ONE_OF.search(comment)
        choices = tuple(c.strip() for c in choices_match.group(1).split(",")) if choices_match else ()
        params[node.target.id] = Parameter(node.target.id, type_name, default, comment, bounds, choices)
    return params


def check_parameters(path: str | Path, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Validate overrides against the notebook's parameters before any kernel starts."""
    known = read_parameters(path)
    checked = {}
    for name, value in overrides.items():
        if name not in known:
            raise ParameterError(
                f"unknown parameter {name!r} for {Path(path).stem}; known parameters: {', '.join(known)}"
            )
        checked[name] = known[name].check(value)
    return checked


def parse_cli_value(text: str) -> Any:
    """Turn `-p name=VALUE` text into a Python value the way YAML reads it (10, 0.5, true, [a, b])."""
    try:
        return yaml.safe_load(text) if text.strip() else ""
    except yaml.YAMLError:
        return text
