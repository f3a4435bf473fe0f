"""00_environment: the machine, server versions, round trips and the A/A noise floor."""

__all__: list[str] = []
