"""The seed's service claims, evaluated from the latest saved run of `08_api_load`.

Response time and requests/s compare the optimized mode with the baseline at the largest
closed-loop user count run in both; the targets read the optimized mode alone. Every figure
is computed from the run's raw request samples (latency rows, per-bin throughput rows).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from labkit.lab.bench.results import Results
from labkit.lab.claims.base import Figure, Finding, Verdict, before_after, ci_verdict, count_verdict
from labkit.lab.errors import ResultsError

__all__ = ["EVALUATORS", "SEED_RESPONSE_RATIO", "SEED_THROUGHPUT_RATIO", "TARGET_RESPONSE_MS", "TARGET_USERS",
           "headline"]

SEED_RESPONSE_RATIO = 120 / 300  # "API Response Time 300ms -> 120ms (-60%)"
SEED_THROUGHPUT_RATIO = 200 / 50  # "Concurrent Requests 50/s -> 200/s (4x increase)"
TARGET_RESPONSE_MS = 200.0  # "API Response Time: goal < 200ms"
TARGET_USERS = 100  # "Concurrent Users: goal > 100"


def _latency(results: Results) -> pd.DataFrame:
    frame = results.frame
    if "kind" not in frame.columns or not (frame["kind"] == "latency").any():
        raise ResultsError(f"run {results.run_id} has no request samples")
    return results.samples(kind="latency")


def _shared_users(results: Results) -> int:
    """The largest closed-loop user count that both modes ran."""
    lat = _latency(results)
    closed = lat[lat["loop"] == "closed"]
    counts = closed.groupby("users")["mode"].nunique()
    both = counts[counts >= 2]
    if both.empty:
        raise ResultsError(f"run {results.run_id} has no closed-loop step run in both modes")
    return int(both.index.max())


def _response_time(results: Results) -> Finding:
    users = _shared_users(results)
    where: dict[str, object] = {"kind": "latency", "loop": "closed", "users": users}
    before, after, ratio = before_after(results, {"mode": "baseline", **where}, {"mode": "optimized", **where})
    verdict = ci_verdict(ratio, SEED_RESPONSE_RATIO)
    detail = (f"median request at {users} locust users: {before.format()} baseline, {after.format()} optimized, "
              f"{ratio.value - 1:+.0%} change against the seed's -60% (ratio {ratio.format(2)})")
    return Finding(verdict, detail, before=before, after=after, ratio=ratio)


def _offered_rate(results: Results, users: int) -> float | None:
    """The most requests/s `users` locust users can send (each thinks `think_s` between requests)."""
    think = (results.metadata.get("parameters") or {}).get("think_s")
    return users / float(think) if think else None


def _throughput(results: Results) -> Finding:
    users = _shared_users(results)
    where: dict[str, object] = {"kind": "throughput", "loop": "closed", "users": users}
    before, after, ratio = before_after(results, {"mode": "baseline", **where}, {"mode": "optimized", **where},
                                        unit="req/s", scale=1.0)
    verdict = ci_verdict(ratio, SEED_THROUGHPUT_RATIO, higher_is_better=True)
    detail = (f"requests/s at {users} locust users: {before.format()} baseline, {after.format()} optimized, "
              f"{ratio.value:.2f}× against the seed's 4×")
    offered = _offered_rate(results, users)
    if verdict != "confirmed" and offered and after.value >= 0.9 * offered:
        # The users asked for no more than the optimized mode served: its capacity was not reached.
        verdict = "depends"
        detail += (f"; but the optimized mode served all that its users offered (at most {offered:.0f} req/s at "
                   f"their think time), so {ratio.value:.2f}× is a floor: a heavier load (more users, less think "
                   "time) decides the claim")
    return Finding(verdict, detail, before=before, after=after, ratio=ratio)


def _optimized_steps(results: Results) -> list[tuple[str, np.ndarray]]:
    lat = _latency(results)
    opt = lat[lat["mode"] == "optimized"]
    if opt.empty:
        raise ResultsError(f"run {results.run_id} did not load the optimized mode")
    return [(str(step), group["value"].to_numpy()) for step, group in opt.groupby("step", sort=False)]


def _target_response(results: Results) -> Finding:
    from labkit.lab.bench.stats import summarize

    under: list[str] = []
    over: list[str] = []
    parts: list[str] = []
    worst: Figure | None = None
    for step, values in _optimized_steps(results):
        s = summarize(values * 1e3)
        fig = Figure(s.median, s.ci_low, s.ci_high, "ms")
        parts.append(f"{step}: median {s.median:.3g} ms, p95 {s.p95:.3g} ms")
        (under if s.ci_high < TARGET_RESPONSE_MS else over).append(step)
        if worst is None or fig.value > worst.value:
            worst = fig
    verdict = count_verdict(len(under), len(under) + len(over))
    detail = (f"optimized median under {TARGET_RESPONSE_MS:g} ms in {len(under)} of {len(under) + len(over)} "
              f"steps ({'; '.join(parts)})")
    return Finding(verdict, detail, after=worst)


def _target_users(results: Results) -> Finding:
    lat = _latency(results)
    opt = lat[(lat["mode"] == "optimized") & (lat["loop"] == "closed")]
    if opt.empty or int(opt["users"].max()) <= TARGET_USERS:
        top = 0 if opt.empty else int(opt["users"].max())
        raise ResultsError(f"the run went up to {top} users; the claim needs a step with more than {TARGET_USERS}")
    parts: list[str] = []
    served: list[int] = []
    for users, group in opt[opt["users"] > TARGET_USERS].groupby("users"):
        errors = int((~group["ok"].astype(bool)).sum())
        median_ms = float(np.median(group["value"])) * 1e3
        ok = errors == 0 and median_ms < TARGET_RESPONSE_MS
        parts.append(f"{users} users: {errors} errors in {len(group)} requests, median {median_ms:.3g} ms")
        if ok:
            served.append(int(users))
    most = max(served) if served else None
    verdict: Verdict = "confirmed" if served else "not reproduced"
    detail = (f"served without an error and under {TARGET_RESPONSE_MS:g} ms median: "
              f"{most if most else 'no'} step above {TARGET_USERS} users ({'; '.join(parts)})")
    after = Figure(float(most), float(most), float(most), "users") if most else None
    return Finding(verdict, detail, after=after)


EVALUATORS: dict[str, Callable[[Results], Finding]] = {
    "api_response_time": _response_time,
    "concurrent_requests": _throughput,
    "target_api_response": _target_response,
    "target_concurrent_users": _target_users,
}


def headline(results: Results) -> str:
    """The run in one line: median response and requests/s, baseline -> optimized, at the shared user count."""
    try:
        rt, tp = _response_time(results), _throughput(results)
    except ResultsError as exc:
        return f"no baseline/optimized comparison ({exc})"
    users = _shared_users(results)
    assert rt.before and rt.after and tp.before and tp.after
    return (f"{users} users: median {rt.before.value:.3g} → {rt.after.value:.3g} ms, "
            f"{tp.before.value:.3g} → {tp.after.value:.3g} req/s (seed: 300 → 120 ms, 50 → 200/s)")
