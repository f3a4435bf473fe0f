"""Measuring: warmups apart, raw samples kept, interleaved comparisons, statistics, tidy results."""

from labkit.lab.bench.analysis import noise_floor, ratio_between, readable_summary, summary_table
from labkit.lab.bench.cases import Cases
from labkit.lab.bench.compare import RunComparison, compare_runs, find_run
from labkit.lab.bench.load import LoadResult, run_load
from labkit.lab.bench.memory import MemoryUsage, measure_memory
from labkit.lab.bench.metadata import new_run_id, run_metadata
from labkit.lab.bench.results import (
    LAB_ORIGINS,
    SCHEMA_VERSION,
    Results,
    find_latest,
    is_lab_run,
    latest_results,
    list_runs,
    load_results,
    measurements_frame,
    save_results,
)
from labkit.lab.bench.runner import (
    Comparison,
    Measurement,
    compare,
    label_of,
    ratio,
    run_case,
    run_interleaved,
    run_interleaved_async,
)
from labkit.lab.bench.session import RUN_ID_ENV, RUN_ORIGIN_ENV, ExperimentRun
from labkit.lab.bench.stats import Ratio, Summary, bootstrap_median_ci, ratio_of_medians, summarize
from labkit.lab.bench.targets import BenchRow, format_bench_table

__all__ = [
    "LAB_ORIGINS",
    "RUN_ID_ENV",
    "RUN_ORIGIN_ENV",
    "SCHEMA_VERSION",
    "BenchRow",
    "Cases",
    "Comparison",
    "LoadResult",
    "ExperimentRun",
    "Measurement",
    "MemoryUsage",
    "Ratio",
    "Results",
    "RunComparison",
    "Summary",
    "bootstrap_median_ci",
    "compare",
    "compare_runs",
    "find_latest",
    "find_run",
    "format_bench_table",
    "is_lab_run",
    "label_of",
    "latest_results",
    "list_runs",
    "load_results",
    "measure_memory",
    "measurements_frame",
    "new_run_id",
    "noise_floor",
    "ratio",
    "ratio_between",
    "ratio_of_medians",
    "readable_summary",
    "run_case",
    "run_interleaved",
    "run_interleaved_async",
    "run_load",
    "run_metadata",
    "save_results",
    "summarize",
    "summary_table",
]
