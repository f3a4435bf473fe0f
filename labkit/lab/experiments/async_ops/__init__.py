"""06_async: sync vs asyncio.gather for ten independent operations."""

__all__ = ["NOTEBOOK"]

NOTEBOOK = "06_async"
