"""00_environment: the machine, server versions, round trips and the A/A noise floor."""

__all__ = ["NOTEBOOK"]

NOTEBOOK = "00_environment"
