"""The experiments behind the notebooks: each module drives one notebook's measurements."""

__all__: list[str] = []
