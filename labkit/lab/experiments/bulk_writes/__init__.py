"""03_bulk_writes: commit per row, ORM bulk, executemany, bulk_insert and COPY; updates likewise."""

__all__ = ["NOTEBOOK"]

NOTEBOOK = "03_bulk_writes"
