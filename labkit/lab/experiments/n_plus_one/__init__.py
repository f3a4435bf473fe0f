"""02_n_plus_one: lazy vs eager loading strategies, statements and time as N grows."""

__all__ = ["NOTEBOOK"]

NOTEBOOK = "02_n_plus_one"
