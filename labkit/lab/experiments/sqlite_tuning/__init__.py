"""05_sqlite_tuning: default SQLite vs WAL, synchronous, mmap and cache_size."""

__all__: list[str] = []
