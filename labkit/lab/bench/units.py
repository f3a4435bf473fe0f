"""Numbers as a reader wants them: 48.2 µs, 1.31 ms, 12.4 k rows/s, 85.0% — never 5.075e-05."""

from __future__ import annotations

import math

__all__ = ["HIGHER_IS_BETTER", "TIME_UNITS", "time_step", "format_value", "format_change"]

HIGHER_IS_BETTER = frozenset({"rows/s", "ops/s", "req/s", "hit_rate", "%"})
TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}
_TIME_STEPS = ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns"))
_SI = ((1e9, "G"), (1e6, "M"), (1e3, "k"))


def _three_digits(x: float) -> str:
    """Three significant digits without an exponent: 482, 48.2, 4.82, 0.482."""
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    digits = max(0, 2 - int(math.floor(math.log10(abs(x)))))
    return f"{x:.{digits}f}"


def time_step(seconds: float) -> tuple[float, str]:
    """The unit a duration reads best in, as (seconds per unit, name): 0.0048 -> (1e-3, "ms"); ns at the least."""
    for size, name in _TIME_STEPS:
        if abs(seconds) >= size:
            return size, name
    return _TIME_STEPS[-1]


def format_value(value: float, unit: str) -> str:
    """A value with its unit, scaled to read at a glance: times to s/ms/µs/ns, rates to k/M, fractions as %."""
    if not math.isfinite(value):
        return f"{value} {unit}"
    if unit in TIME_UNITS:
        seconds = value * TIME_UNITS[unit]
        size, name = time_step(seconds)
        return f"{_three_digits(seconds / size)} {name}"
    if unit == "hit_rate":
        return f"{value * 100:.1f}%"
    if unit == "%":
        return f"{value:.1f}%"
    for size, prefix in _SI:
        if abs(value) >= size:
            return f"{_three_digits(value / size)} {prefix} {unit}"
    return f"{_three_digits(value)} {unit}"


def format_change(ratio: float) -> str:
    """A ratio as a signed percentage change: 1.5 -> '+50.0%', 0.9 -> '-10.0%'."""
    return f"{(ratio - 1) * 100:+.1f}%"
