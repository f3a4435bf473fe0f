"""10_cache_cluster: Redis Cluster against one server and redis-py, a master's failover, the near cache, warming."""

__all__ = ["NOTEBOOK"]

NOTEBOOK = "10_cache_cluster"
