"""The logic behind the experiment notebooks: each module holds what one notebook measures."""

__all__: list[str] = []
