"""A master of the lab's Redis Cluster dies under the cache: it fails open, then finds the promoted
replica by itself and hits again; a slot in migration is followed with ASKING."""

from __future__ import annotations

import pytest

from labkit.cache import AsyncCache, Cache, CircuitBreaker, cached
from labkit.cache.cluster_map import key_slot
from labkit.lab.services.redis_cluster import LocalCluster


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_the_cache_fails_open_while_a_master_is_replaced_and_hits_again_after(
    own_cluster: LocalCluster, clock, mode, aw
) -> None:
    breaker = CircuitBreaker(clock=clock)
    calls: list[int] = []
    cache = (AsyncCache if mode == "async" else Cache).from_url(own_cluster.url, key_prefix="failover",
                                                               breaker=breaker)

    def compute(x: int) -> int:
        calls.append(x)
        return 2 * x

    if mode == "async":

        async def acompute(x: int) -> int:
            return compute(x)

        double = cached(prefix="double", ttl=600, cache=cache)(acompute)
    else:
        double = cached(prefix="double", ttl=600, cache=cache)(compute)

    xs = list(range(30))
    assert [await aw(double(x)) for x in xs] == [2 * x for x in xs]
    own_cluster.wait_replicated()
    dead = own_cluster.master_of(cache.full_key(double.key_for(0)))
    on_dead = [x for x in xs if own_cluster.master_of(cache.full_key(double.key_for(x))) is dead]

    own_cluster.kill(dead)
    during = [await aw(double(x)) for x in xs]  # the switch: every call answers, computed when it must be
    assert during == [2 * x for x in xs]
    assert cache.metrics()["errors"] > 0

    own_cluster.wait_healthy()  # a replica was promoted and serves the dead master's slots
    clock.advance(breaker.recovery_s)  # the breaker lets a trial call through
    calls.clear()
    cache.reset_metrics()
    assert [await aw(double(x)) for x in on_dead] == [2 * x for x in on_dead]
    assert calls == []  # every value came from the promoted replica
    assert cache.metrics()["hits"] == len(on_dead)
    assert breaker.state == "closed"
    await aw(cache.close())


def test_a_key_in_a_migrating_slot_is_asked_of_its_new_node(own_cluster: LocalCluster) -> None:
    with Cache.from_url(own_cluster.url, key_prefix="ask") as cache:
        full = cache.full_key("new")
        slot = key_slot(full.encode())
        source = own_cluster.master_of(full)
        target = next(n for n in own_cluster.masters() if n is not source)
        with source.client() as src, target.client() as dst:
            source_id, target_id = (bytes(c.execute_command("CLUSTER MYID")).decode() for c in (src, dst))
            dst.execute_command("CLUSTER SETSLOT", slot, "IMPORTING", source_id)
            src.execute_command("CLUSTER SETSLOT", slot, "MIGRATING", target_id)
            cache.set("new", "moved in")  # absent from the source: ASK sends it to the target
            assert cache.get("new") == "moved in"
            dst.execute_command("ASKING")
            assert dst.get(full) is not None  # written on the target, where the slot is going
