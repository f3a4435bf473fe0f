"""07_memory: ORM objects vs yield_per vs projections when loading many rows."""

__all__ = ["NOTEBOOK"]

NOTEBOOK = "07_memory"
