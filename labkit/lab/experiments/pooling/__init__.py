"""04_pooling: no pool vs QueuePool sizes under concurrent workers, waits, pre-ping, exhaustion."""

__all__ = ["NOTEBOOK"]

NOTEBOOK = "04_pooling"
