"""Report pipeline: parameters checked, notebooks run by papermill, HTML views, the index page.

Names are imported on first use: a notebook kernel that only wants `labkit.lab.report.plots` does not
pay for papermill and nbconvert.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from labkit.lab.report.export import to_html
    from labkit.lab.report.index import NotebookRun, read_runs, write_index
    from labkit.lab.report.parameters import Parameter, check_parameters, parse_cli_value, read_parameters
    from labkit.lab.report.runner import find_notebook, list_notebooks, rebuild_index, run_all, run_notebook

_WHERE = {
    "to_html": "export",
    "NotebookRun": "index",
    "read_runs": "index",
    "write_index": "index",
    "Parameter": "parameters",
    "check_parameters": "parameters",
    "parse_cli_value": "parameters",
    "read_parameters": "parameters",
    "find_notebook": "runner",
    "list_notebooks": "runner",
    "rebuild_index": "runner",
    "run_all": "runner",
    "run_notebook": "runner",
}

__all__ = [
    "NotebookRun",
    "Parameter",
    "check_parameters",
    "find_notebook",
    "list_notebooks",
    "parse_cli_value",
    "read_parameters",
    "read_runs",
    "rebuild_index",
    "run_all",
    "run_notebook",
    "to_html",
    "write_index",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
