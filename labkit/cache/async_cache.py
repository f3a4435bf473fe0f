"""The old home of `AsyncCache`, kept while lab modules still import `labkit.cache.async_cache`.

`AsyncCache` lives in `labkit.cache._async.cache`; import it from `labkit.cache`.
"""

from labkit.cache._async.cache import AsyncCache

__all__ = ["AsyncCache"]
