"""The type of what `@cached` returns: the function's own call signature, plus cache controls.

`cached` is typed with these protocols so that a call checks against the wrapped function's
parameters and gives its return type; on a class, the wrapper binds like a method.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, Protocol, TypeVar, overload

if TYPE_CHECKING:
    from labkit.cache._async.cache import AsyncCache
    from labkit.cache.options import CachedOptions

__all__ = ["AsyncFunction", "AsyncCachedFunction"]

_P = ParamSpec("_P")
_Q = ParamSpec("_Q")
_R_co = TypeVar("_R_co", covariant=True)
_R = TypeVar("_R")
_S = TypeVar("_S")
_Self = TypeVar("_Self")


class AsyncFunction(Protocol[_P, _R_co]):
    """A function of parameters `_P` giving `_R_co`: what `@cached` wraps."""

    async def __call__(self, *args: _P.args, **kwargs: _P.kwargs) -> _R_co:
        """Compute the result."""


class AsyncCachedFunction(Protocol[_P, _R_co]):
    """A function memoized by `@cached`: called like the original, with cache controls beside."""

    @property
    def options(self) -> CachedOptions:
        """The options it was decorated with."""

    @property
    def uncached(self) -> AsyncFunction[_P, _R_co]:
        """The original function, bypassing the cache."""

    async def __call__(self, *args: _P.args, **kwargs: _P.kwargs) -> _R_co:
        """The cached result for these arguments, computed (once per key) on a miss."""

    async def invalidate(self, *args: _P.args, **kwargs: _P.kwargs) -> bool:
        """Drop the entry these arguments would read; True if there was one."""

    def key_for(self, *args: _P.args, **kwargs: _P.kwargs) -> str:
        """The key of these arguments, without the cache's key prefix."""

    def cache(self) -> AsyncCache:
        """The cache it uses: the one given, else the default one."""

    @overload
    def __get__(self: _Self, instance: None, owner: type[Any] | None = None) -> _Self: ...

    @overload
    def __get__(
        self: AsyncCachedFunction[Concatenate[_S, _Q], _R], instance: _S, owner: type[Any] | None = None
    ) -> AsyncCachedFunction[_Q, _R]: ...

    def __get__(self, instance: object, owner: type[Any] | None = None) -> Any:
        """On a class: the function itself; on an instance: bound to it, like a method."""
