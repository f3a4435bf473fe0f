"""09_faults: both service modes under steady load while Redis and PostgreSQL fail, in private servers."""

__all__ = ["NOTEBOOK"]

NOTEBOOK = "09_faults"
