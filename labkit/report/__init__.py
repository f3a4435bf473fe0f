"""Report pipeline: parameters checked, notebooks run by papermill, HTML views, the index page."""

from labkit.report.export import to_html
from labkit.report.index import NotebookRun, read_runs, write_index
from labkit.report.parameters import Parameter, check_parameters, parse_cli_value, read_parameters
from labkit.report.runner import find_notebook, list_notebooks, rebuild_index, run_all, run_notebook

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
