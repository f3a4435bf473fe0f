"""10_cache_cluster: the seed's next steps for caching (Redis Cluster, warming, preloading), which
give no figure: each is judged by whether it helps in this run, with the numbers that say so."""

from __future__ import annotations

from labkit.lab.bench.results import Results
from labkit.lab.claims.base import Figure, Finding, Verdict, before_after, ratio_text
from labkit.lab.errors import ResultsError

__all__ = ["EVALUATORS", "CLUSTER_BATCH_LIMIT"]

CLUSTER_BATCH_LIMIT = 1.5  # the cluster's get_many may cost at most this many times one server's


def redis_cluster(results: Results) -> Finding:
    """A batch on the cluster against one server, and a killed master: every call answered, hits came back."""
    before, after, ratio = before_after(results, {"case": "server_get_many"}, {"case": "cluster_get_many"}, unit="µs")
    calls = results.samples(case="failover")
    if calls.empty:
        raise ResultsError(f"run {results.run_id} has no failover timeline")
    dead = calls[calls["keys"] == "keys of the dead master"].sort_values("t_s")
    computed = dead[dead["outcome"] == "computed"]
    last = float(computed["t_s"].max()) if len(computed) else 0.0
    recovered = bool((dead[dead["t_s"] > last]["outcome"] == "hit").any())
    verdict: Verdict = "confirmed" if recovered and ratio.value <= CLUSTER_BATCH_LIMIT else "depends"
    detail = (f"get_many on a 3-master cluster takes {ratio_text(ratio)} one server's (keys spread over every "
              f"master, one pipelined buffer each; limit {CLUSTER_BATCH_LIMIT:g}×); a master killed under load: "
              f"every call answered, the function ran for {len(computed)} of {len(dead)} reads of its keys, "
              + (f"hits again {last:.1f} s after the kill" if recovered else "no hits again within the run"))
    return Finding(verdict, detail, before, after, ratio)


def _first_window(results: Results) -> tuple[Figure, Figure]:
    warm = results.samples(part="warming")
    if warm.empty:
        raise ResultsError(f"run {results.run_id} has no warming run")
    first = warm[warm["t_end"] == warm["t_end"].min()].set_index("case")["value"]
    cold, warmed = float(first["warm_cold"]), float(first["warm_warmed"])
    return Figure(cold, cold, cold, "%"), Figure(warmed, warmed, warmed, "%")


def cache_warming(results: Results) -> Finding:
    """Hit rate of the first reads after a start: a cold cache (before) against one warmed (after)."""
    cold, warmed = _first_window(results)
    verdict: Verdict = "confirmed" if warmed.value > cold.value else "not reproduced"
    detail = (f"first window of Zipf reads after a start: {cold.value:.0f}% hits cold, {warmed.value:.0f}% after "
              "warming the hottest tenth of the keys; the gap closes as the cold cache fills")
    return Finding(verdict, detail, cold, warmed)


def cache_preloading(results: Results) -> Finding:
    """Preloading writes keys in pipelined batches: time per key of set_many against one set per key."""
    single = results.samples(case="cluster_set")
    batch = results.samples(case="cluster_set_many")
    if single.empty or batch.empty:
        raise ResultsError(f"run {results.run_id} has no cluster set / set_many samples")
    size = int(results.metadata.get("parameters", {}).get("batch", 100))
    before, after_batch, _ = before_after(results, {"case": "cluster_set"}, {"case": "cluster_set_many"}, unit="µs")
    after = Figure(after_batch.value / size, after_batch.ci_low / size, after_batch.ci_high / size, "µs")
    verdict: Verdict = "confirmed" if after.ci_high < before.ci_low else "depends"
    detail = (f"on the cluster, one key costs {before.value:.1f} µs with set and {after.value:.1f} µs within a "
              f"set_many of {size} (a TTL per key): what cache.warm uses to preload")
    return Finding(verdict, detail, before, after)


EVALUATORS = {"redis_cluster": redis_cluster, "cache_warming": cache_warming, "cache_preloading": cache_preloading}
