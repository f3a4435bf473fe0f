"""Redis Cluster, the near cache and warming: the measurement code of the coming `10_cache_cluster`
notebook (a helper package until it declares its `NOTEBOOK`)."""

__all__: list[str] = []
