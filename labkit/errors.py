"""The library's exceptions: each names the bad value and what would be valid.

The lab adds its own in `labkit.lab.errors`; every one derives from `LabkitError`.
"""

from __future__ import annotations

__all__ = [
    "LabkitError",
    "SettingsError",
    "ServerUnreachable",
    "CacheError",
    "CacheUnavailable",
    "CacheArgumentError",
    "UnserializableValue",
    "DatabaseUnreachable",
    "PoolExhausted",
    "DatabaseArgumentError",
    "RepositoryModelError",
    "UnknownFieldError",
    "BulkInputError",
    "BulkWriteError",
    "MonitorArgumentError",
    "QueryCountExceeded",
    "NPlusOneDetected",
]


class LabkitError(Exception):
    """Base class of every error labkit raises on purpose."""


class SettingsError(LabkitError, ValueError):
    """A setting (environment variable or `.env` line) has a value labkit cannot use."""

    def __init__(self, variable: str, value: object, accepted: str) -> None:
        self.variable = variable
        self.value = value
        self.accepted = accepted
        super().__init__(f"{variable}={value!r} is not valid: expected {accepted}")


class ServerUnreachable(LabkitError, ConnectionError):
    """A server did not answer; the message names host and port, never a password."""

    def __init__(self, backend: str, url: str, where: str, reason: str) -> None:
        self.backend = backend
        self.url = url
        self.where = where
        super().__init__(f"{backend} at {where} is unreachable ({url}): {reason}")


class CacheError(LabkitError):
    """Base class of the cache layer's errors."""


class CacheUnavailable(CacheError, ConnectionError):
    """The cache backend failed or timed out, or its circuit breaker is open."""

    def __init__(self, backend: str, operation: str, reason: str) -> None:
        self.backend = backend
        self.operation = operation
        super().__init__(f"cache {operation} on {backend} failed: {reason}")


class CacheArgumentError(CacheError, ValueError):
    """A cache key, TTL or decorator argument is not usable; the message names it."""


class UnserializableValue(CacheError, TypeError):
    """A value the cache cannot encode as msgpack; nothing was written."""

    def __init__(self, type_name: str, where: str = "value") -> None:
        self.type_name = type_name
        super().__init__(
            f"cannot cache a {where} of type {type_name}: supported are dict, list, tuple, str, "
            "bytes, int, float, bool, None, datetime, date, Decimal and UUID"
        )


# --- data layer (labkit.db, labkit.monitor) ---


class DatabaseUnreachable(ServerUnreachable):
    """A database server refused or timed out a connection; names host and port, masks passwords."""


class PoolExhausted(LabkitError, TimeoutError):
    """No pooled connection became free within the pool timeout; the message shows the pool."""


class DatabaseArgumentError(LabkitError, ValueError):
    """An argument of labkit.db (engine profile, limit, offset, fields) is not usable; the message names it."""


class RepositoryModelError(LabkitError, TypeError):
    """A repository has no model, or its model cannot serve the call (a composite key where one column is needed)."""


class UnknownFieldError(LabkitError, ValueError):
    """A filter, ordering, relationship or record key names no column of the model."""

    def __init__(self, model: str, kind: str, name: str, valid: list[str]) -> None:
        self.model = model
        self.kind = kind
        self.name = name
        self.valid = valid
        super().__init__(f"{model} has no {kind} {name!r}; valid: {', '.join(valid)}")


class BulkInputError(LabkitError, ValueError):
    """Records given to a bulk operation are malformed; raised before anything is written."""


class BulkWriteError(LabkitError, RuntimeError):
    """A row was rejected by the database; names the row or batch. Nothing of the call remains."""

    def __init__(self, message: str, *, row: int | None = None, batch: int | None = None) -> None:
        self.row = row
        self.batch = batch
        super().__init__(message)


class MonitorArgumentError(LabkitError, ValueError):
    """An argument of labkit.monitor (such as the N+1 threshold) is not usable; the message names it."""


class QueryCountExceeded(LabkitError, AssertionError):
    """More statements ran inside `expect_queries` than allowed; lists the statements seen."""


class NPlusOneDetected(LabkitError, AssertionError):
    """The same SELECT ran K or more times in one scope: a lazy load in a loop."""
