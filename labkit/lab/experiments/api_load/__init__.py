"""08_api_load: the demo service, baseline vs optimized, under closed and open loop load."""

__all__: list[str] = []
