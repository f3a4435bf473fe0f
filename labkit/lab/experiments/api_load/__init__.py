"""08_api_load: the demo service, baseline vs optimized, under closed and open loop load."""

__all__ = ["NOTEBOOK"]

NOTEBOOK = "08_api_load"
