"""A failover timeline: kill a master of a real cluster under a steady `@cached` read load.

Every key is cached first (and replicated), then one master is killed while reads go on round
the key space at a steady pace. Each call is a row: seconds since the kill, whether its key lived on the dead
master, `hit` (served by Redis) or `computed` (the function ran: the cache failed open), and
its latency. The run ends when the cluster is healthy again and a whole pass over the dead
master's keys has hit, or at `max_s`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pandas as pd

from labkit.cache import Cache, CircuitBreaker, cached
from labkit.lab.services.redis_cluster import LocalCluster

__all__ = ["FailoverRun", "failover_timeline"]


@dataclass(frozen=True)
class FailoverRun:
    """The timeline and what it says."""

    calls: pd.DataFrame  # t_s, on_dead, outcome, latency_s
    promoted_s: float | None  # when the cluster was seen healthy again
    recovered_s: float | None  # the last computed call on the dead master's keys
    errors_raised: int  # exceptions that reached the caller (fail-open means 0)

    def summary(self) -> dict[str, float | int | None]:
        """Counts and times, one line of a table."""
        computed = self.calls[self.calls["outcome"] == "computed"]
        return {"calls": len(self.calls), "computed (fail-open)": len(computed),
                "errors raised": self.errors_raised, "promoted after (s)": self.promoted_s,
                "hits again after (s)": self.recovered_s,
                "p99 latency (ms)": float(self.calls["latency_s"].quantile(0.99) * 1e3)}


def failover_timeline(cluster: LocalCluster, *, keys: int = 200, interval_s: float = 0.0005,
                      recovery_s: float = 0.5, max_s: float = 20.0, health_every_s: float = 0.1) -> FailoverRun:
    """Kill the master of key 0 under round-robin `@cached` reads of `keys` keys, one every
    `interval_s` (a paced load, not a flood); every call timed."""
    breaker = CircuitBreaker(threshold=3, recovery_s=recovery_s)
    computed: list[int] = []
    with Cache.from_url(cluster.url, key_prefix="failover", breaker=breaker) as cache:

        @cached(prefix="row", ttl=3600, cache=cache)
        def row(i: int) -> int:
            computed.append(i)
            return i

        for i in range(keys):
            row(i)
        cluster.wait_replicated()
        dead = cluster.master_of(cache.full_key(row.key_for(0)))
        on_dead = {i for i in range(keys) if cluster.master_of(cache.full_key(row.key_for(i))) is dead}

        rows: list[tuple[float, bool, str, float]] = []
        errors = 0
        promoted: float | None = None
        clean_pass_from: float | None = None  # start of the current all-hit pass, once promoted
        seen_clean: set[int] = set()
        killed = time.perf_counter()
        cluster.kill(dead)
        next_check = killed
        i = 0
        while True:
            now = time.perf_counter()
            if now - killed > max_s:
                break
            if promoted is None and now >= next_check:
                next_check = now + health_every_s
                if cluster.healthy():
                    promoted = now - killed
            x = i % keys
            i += 1
            before = len(computed)
            started = time.perf_counter()
            try:
                row(x)
            except Exception:  # fail-open means this never happens; counted, not hidden
                errors += 1
            ended = time.perf_counter()
            outcome = "computed" if len(computed) > before else "hit"
            rows.append((started - killed, x in on_dead, outcome, ended - started))
            if interval_s:
                time.sleep(interval_s)  # pacing the load: this is a measurement, not a test
            if promoted is not None and x in on_dead:
                if outcome == "hit":
                    if clean_pass_from is None:
                        clean_pass_from = started - killed
                    seen_clean.add(x)
                    if seen_clean == on_dead:
                        break
                else:
                    clean_pass_from, seen_clean = None, set()
    calls = pd.DataFrame(rows, columns=["t_s", "on_dead", "outcome", "latency_s"])
    late = calls[(calls["on_dead"]) & (calls["outcome"] == "computed")]
    recovered = float(late["t_s"].max()) if len(late) else 0.0
    return FailoverRun(calls, promoted, recovered if seen_clean == on_dead else None, errors)
