"""99_summary: the seed's tables rebuilt from the saved runs, with verdicts."""

__all__ = ["NOTEBOOK"]

NOTEBOOK = "99_summary"
