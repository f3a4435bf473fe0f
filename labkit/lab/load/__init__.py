"""Load experiments on the demo service: locust (closed loop), a fixed arrival rate (open loop), memory, py-spy."""

from labkit.lab.load.analysis import memory_table, mode_ratios, ratio_of_quantiles, step_table
from labkit.lab.load.closed_loop import LOCUSTFILE, run_locust
from labkit.lab.load.driver import LoadPlan, LoadRun, Step, run_load
from labkit.lab.load.memory import MemorySampler
from labkit.lab.load.open_loop import Sample, run_open_loop
from labkit.lab.load.profiler import FlameGraph, FlameRecorder, static_svg
from labkit.lab.load.server import ServiceProcess, free_port
from labkit.lab.load.workload import DEFAULT_MIX, Request, Workload

__all__ = [
    "DEFAULT_MIX",
    "LOCUSTFILE",
    "FlameGraph",
    "FlameRecorder",
    "LoadPlan",
    "LoadRun",
    "MemorySampler",
    "Request",
    "Sample",
    "ServiceProcess",
    "Step",
    "Workload",
    "free_port",
    "memory_table",
    "mode_ratios",
    "ratio_of_quantiles",
    "run_load",
    "run_locust",
    "run_open_loop",
    "static_svg",
    "step_table",
]
