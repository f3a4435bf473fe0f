"""11_db_scale_out: the seed's next step "database sharding" (read replicas, horizontal partitioning, load
balancing), named without figures: each is judged by what this run shows it buys, and costs, here."""

from __future__ import annotations

from labkit.lab.bench.results import Results
from labkit.lab.claims.base import Figure, Finding, Verdict, before_after, ratio_text
from labkit.lab.errors import ResultsError

__all__ = ["EVALUATORS", "SPREAD_GAIN"]

SPREAD_GAIN = 1.1  # reads/s with every replica serving must beat the primary alone by this much to count


def read_replicas(results: Results) -> Finding:
    """Reads-after-write through the LSN-aware router against naive round-robin: stale reads counted."""
    rows = results.samples(kind="read_after_write")
    if rows.empty:
        raise ResultsError(f"run {results.run_id} has no reads-after-write")
    by_way = rows.groupby("case").agg(reads=("stale", "size"), stale=("stale", "sum"), on_replica=("on_replica", "sum"))
    if not {"lsn_router", "naive_round_robin"} <= set(by_way.index):
        raise ResultsError(f"run {results.run_id} lacks the LSN router or the naive round-robin reads")
    router, naive = by_way.loc["lsn_router"], by_way.loc["naive_round_robin"]
    lag = results.samples(kind="lag")["value"]
    fine = int(router["stale"]) == 0 and int(router["on_replica"]) > 0
    verdict: Verdict = "confirmed" if fine else "not reproduced"
    detail = (f"{int(router['on_replica'])} of {int(router['reads'])} reads right after a write served by a replica "
              f"through the LSN-aware router with {int(router['stale'])} stale; naive round-robin read "
              f"{int(naive['stale'])} stale"
              + (f"; replay lag under a write load p50 {lag.quantile(0.5) * 1e3:.2f} ms, "
                 f"p99 {lag.quantile(0.99) * 1e3:.2f} ms" if len(lag) else ""))
    before = Figure(float(naive["stale"]), float(naive["stale"]), float(naive["stale"]), "stale reads")
    after = Figure(float(router["stale"]), float(router["stale"]), float(router["stale"]), "stale reads")
    return Finding(verdict, detail, before, after)


def horizontal_partitioning(results: Results) -> Finding:
    """One month's range query on monthly partitions against the same rows in a plain table."""
    before, after, ratio = before_after(results, {"kind": "pruning", "case": "plain"},
                                        {"kind": "pruning", "case": "partitioned"})
    scanned = results.metadata.get("partitions_scanned", {}).get("partitioned", [])
    verdict: Verdict = "confirmed" if ratio.ci_high < 1 else "not reproduced" if ratio.ci_low > 1 else "depends"
    detail = (f"a month's range query takes {ratio_text(ratio)} the plain table's time; EXPLAIN reads "
              f"{len(scanned)} partition(s)" + (f" ({', '.join(scanned)})" if scanned else ""))
    return Finding(verdict, detail, before, after, ratio)


def load_balancing(results: Results) -> Finding:
    """Reads per second with 0 and with every replica serving reads, on the same machine's cores."""
    spread = results.samples(kind="read_spread")
    if spread.empty:
        raise ResultsError(f"run {results.run_id} has no reads spread over replicas")
    by_count = spread.groupby("replicas")["value"].median().sort_index()
    alone, spread_all = float(by_count.iloc[0]), float(by_count.iloc[-1])
    most = int(by_count.index[-1])
    gain = spread_all / alone
    verdict: Verdict = "confirmed" if gain >= SPREAD_GAIN else "depends"
    cores = results.metadata.get("machine", {}).get("cpu_count", "?")
    detail = (f"{spread_all:,.0f} reads/s with {most} replica(s) serving against {alone:,.0f} on the primary alone "
              f"({gain:.2f}×); every server here shares the same {cores} cores, so spreading reads shows its "
              "cost, not the capacity more machines would add")
    before = Figure(alone, alone, alone, "reads/s")
    return Finding(verdict, detail, before, Figure(spread_all, spread_all, spread_all, "reads/s"))


EVALUATORS = {"read_replicas": read_replicas, "horizontal_partitioning": horizontal_partitioning,
              "load_balancing": load_balancing}
