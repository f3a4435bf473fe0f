"""Cache keys for `@cached`: stable across processes, readable, and bounded in length.

Arguments are bound to the signature (so keyword order and defaults do not change the key),
each rendered by a stable repr; a long argument part is cut and completed with a hash.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import inspect
from collections.abc import Callable
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from labkit.errors import CacheArgumentError

__all__ = ["KeyMaker", "render", "MAX_ARGS_LENGTH"]

MAX_ARGS_LENGTH = 160
_HEAD = 48
_REPR_TYPES = frozenset(
    {int, float, bool, type(None), str, bytes, Decimal, UUID, dt.datetime, dt.date}
)
_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def render(value: Any) -> str:
    """A stable text for one argument; TypeError-like CacheArgumentError for unkeyable types."""
    kind = type(value)
    if kind in _REPR_TYPES:
        return repr(value)
    if kind is tuple or kind is list:
        inner = ",".join([render(v) for v in value])
        return f"({inner})" if kind is tuple else f"[{inner}]"
    if kind is dict:
        return "{" + ",".join(sorted(f"{render(k)}:{render(v)}" for k, v in value.items())) + "}"
    if kind is set or kind is frozenset:
        return "{" + ",".join(sorted(render(v) for v in value)) + "}"
    if isinstance(value, Enum):
        return f"{kind.__qualname__}.{value.name}"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = ",".join(f"{f.name}={render(getattr(value, f.name))}"
                          for f in dataclasses.fields(value))
        return f"{kind.__qualname__}({fields})"
    for base in (str, int, float, bytes):
        if isinstance(value, base):
            return repr(base(value))  # type: ignore[arg-type]
    raise CacheArgumentError(
        f"@cached cannot build a key from a {kind.__qualname__} argument ({value!r:.60}); "
        "pass key=... to @cached, or plain values (str, int, tuple, dataclass, ...)"
    )


def _bound(text: str) -> str:
    if len(text) <= MAX_ARGS_LENGTH:
        return text
    digest = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
    return f"{text[:_HEAD]}#{digest}"


class KeyMaker:
    """Turns a call's arguments into `prefix:args` for one function."""

    def __init__(self, fn: Callable[..., Any], prefix: str,
                 key: str | Callable[..., str] | None = None) -> None:
        self.prefix = prefix
        self.custom = key
        self.signature = inspect.signature(fn)
        params = list(self.signature.parameters.values())
        # Methods: `self`/`cls` is not part of the key (entries are shared by instances).
        self.skip = 1 if params and params[0].name in ("self", "cls") else 0
        self.names = [p.name for p in params]
        self.simple = all(p.kind in _POSITIONAL for p in params)
        self.n_params = len(params)
        self.n_required = sum(1 for p in params if p.default is inspect.Parameter.empty)
        self.defaults = tuple(p.default for p in params)
        self._head = prefix + ":"

    def arguments(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        """The call's arguments by name, defaults applied (raises TypeError like the call would)."""
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return bound.arguments

    def args_part(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        """The argument part of the key (after `prefix:`)."""
        custom = self.custom
        if custom is not None:
            if callable(custom):
                text = custom(*args, **kwargs)
            else:
                text = custom.format(**self.arguments(args, kwargs))
            if not isinstance(text, str) or not text:
                raise CacheArgumentError(f"key= must give a non-empty string, got {text!r}")
            return _bound(text)
        if self.simple and not kwargs and self.n_required <= len(args) <= self.n_params:
            if len(args) < self.n_params:
                args = args + self.defaults[len(args):]
            values = args[self.skip:] if self.skip else args
        else:
            arguments = self.arguments(args, kwargs)
            collected: list[Any] = []
            for i, (name, param) in enumerate(self.signature.parameters.items()):
                if i < self.skip:
                    continue
                value = arguments[name]
                if param.kind is inspect.Parameter.VAR_POSITIONAL:
                    collected.extend(value)
                elif param.kind is inspect.Parameter.VAR_KEYWORD:
                    items = sorted(value.items())
                    collected.extend(_Rendered(f"{k}={render(v)}") for k, v in items)
                else:
                    collected.append(value)
            values = tuple(collected)
        if not values:
            return "()"
        text = ":".join([render(v) if type(v) is not _Rendered else v for v in values])
        return text if len(text) <= MAX_ARGS_LENGTH else _bound(text)  # short: no call, a hot path

    def __call__(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        """The key `prefix:args` (without the cache's key prefix)."""
        return self._head + self.args_part(args, kwargs)


class _Rendered(str):
    """Text already rendered (a **kwargs item), not to be rendered again."""
