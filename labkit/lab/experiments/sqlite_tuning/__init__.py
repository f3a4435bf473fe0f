"""05_sqlite_tuning: default SQLite vs WAL, synchronous, mmap and cache_size."""

__all__ = ["NOTEBOOK"]

NOTEBOOK = "05_sqlite_tuning"
