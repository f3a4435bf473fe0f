"""Interleaved rounds with an untimed step between them: for cases that change what they measure.

A write experiment fills a table as it runs; emptying it between rounds (outside the timing)
keeps every round starting from the same state, while the order still rotates round by round.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from labkit.lab.bench.runner import Measurement, label_of, run_interleaved
from labkit.lab.errors import ParameterError

__all__ = ["run_rounds"]


def run_rounds(
    cases: Mapping[str, Callable[[], object]],
    *,
    repeats: int,
    warmups: int = 1,
    between: Callable[[], object] | None = None,
    repeats_of: Mapping[str, int] | None = None,
) -> dict[str, Measurement]:
    """Each round times every case once (order rotating A B C, B C A, …); `between` runs untimed
    before each round. Warmup rounds come first and are stored apart, as in `run_interleaved`.

    `repeats_of` gives slow cases fewer timed repeats and no warmup: they take part in the first
    timed rounds only (a call that repeats its statement a thousand times warms itself up).
    """
    if repeats < 1 or warmups < 0:
        raise ParameterError(f"repeats={repeats}, warmups={warmups}: expected repeats >= 1 and warmups >= 0")
    names = list(cases)
    if not names:
        raise ParameterError("need at least one case")
    limits = {name: repeats for name in names}
    for name, limit in (repeats_of or {}).items():
        if name not in limits:
            raise ParameterError(f"repeats_of names {name!r}, which is not a case; cases: {', '.join(names)}")
        if limit < 1:
            raise ParameterError(f"repeats_of[{name!r}]={limit}: expected at least 1")
        limits[name] = min(limit, repeats)
    timings: dict[str, dict[str, list[float]]] = {name: {"warmup": [], "sample": []} for name in names}
    for r in range(warmups + repeats):
        if between is not None:
            between()
        slow = repeats_of or {}
        taking_part = [name for name in names
                       if r < warmups + limits[name] and (name not in slow or r >= warmups)]
        shift = r % len(taking_part)
        order = taking_part[shift:] + taking_part[:shift]
        measured = run_interleaved({name: cases[name] for name in order}, repeats=1, warmups=0)
        phase = "warmup" if r < warmups else "sample"
        for name, m in measured.items():
            timings[name][phase].extend(m.samples.tolist())
    return {
        name: Measurement(name=name, samples=np.asarray(timings[name]["sample"]),
                          warmups=np.asarray(timings[name]["warmup"]), label=label_of(cases[name], name))
        for name in names
    }
