"""Tools for working on labkit itself, not for measuring: code generation and its checks."""

__all__: list[str] = []
