"""The old home of `Cache`, kept while lab modules still import `labkit.cache.cache`.

`Cache` is generated into `labkit.cache._sync.cache`; import it from `labkit.cache`.
"""

from labkit.cache._sync.cache import Cache

__all__ = ["Cache"]
