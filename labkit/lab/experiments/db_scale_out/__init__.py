"""11_db_scale_out: read replicas (lag, read-your-writes, routing), partition pruning and a pooler."""

__all__ = ["NOTEBOOK"]

NOTEBOOK = "11_db_scale_out"
