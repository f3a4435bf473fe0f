"""The old home of the memory backends, kept while lab modules still import `labkit.cache.memory`.

They live in `labkit.cache._async.memory` and its generated twin; import them from `labkit.cache`.
"""

from labkit.cache._async.memory import AsyncMemoryBackend
from labkit.cache._sync.memory import MemoryBackend

__all__ = ["MemoryBackend", "AsyncMemoryBackend"]
