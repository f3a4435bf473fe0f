"""A registry of cases, each a small function whose docstring is its label in tables and charts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from labkit.lab.bench.runner import label_of
from labkit.lab.errors import ParameterError

__all__ = ["Cases"]

F = TypeVar("F", bound=Callable[..., object])


class Cases:
    """Strategies registered by decorator, kept in definition order."""

    def __init__(self) -> None:
        self._cases: dict[str, Callable[..., object]] = {}

    def register(self, fn: F) -> F:
        """Decorator: add `fn` under its own name; its docstring's first line labels it."""
        if fn.__name__ in self._cases:
            raise ParameterError(f"case {fn.__name__!r} is registered twice")
        self._cases[fn.__name__] = fn
        return fn

    def __iter__(self) -> Iterator[str]:
        return iter(self._cases)

    def __len__(self) -> int:
        return len(self._cases)

    def __getitem__(self, name: str) -> Callable[..., object]:
        try:
            return self._cases[name]
        except KeyError:
            raise KeyError(f"unknown case {name!r}; known cases: {', '.join(self._cases)}") from None

    def labels(self) -> dict[str, str]:
        """Case name to label."""
        return {name: label_of(fn) for name, fn in self._cases.items()}

    def select(self, names: list[str] | None = None) -> dict[str, Callable[..., object]]:
        """The named cases (all when `names` is None), failing on an unknown name."""
        return {name: self[name] for name in (names if names is not None else list(self._cases))}
