"""The lab's own exceptions: each names the bad value and what would be valid."""

from __future__ import annotations

__all__ = [
    "LabkitError",
    "SettingsError",
    "ServiceError",
    "ServiceUnreachable",
    "ParameterError",
    "ResultsError",
    "NotebookFailed",
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


class ServiceError(LabkitError, RuntimeError):
    """An embedded server could not be started, found or stopped."""


class ServiceUnreachable(ServiceError, ConnectionError):
    """A server did not answer; the message names host and port, never a password."""

    def __init__(self, backend: str, url: str, where: str, reason: str) -> None:
        self.backend = backend
        self.url = url
        self.where = where
        super().__init__(f"{backend} at {where} is unreachable ({url}): {reason}")


class ParameterError(LabkitError, ValueError):
    """A notebook or experiment parameter is unknown or of the wrong type."""


class ResultsError(LabkitError, ValueError):
    """A results file is missing, of another schema version, or malformed."""


class NotebookFailed(LabkitError, RuntimeError):
    """A notebook raised while it was executed; its report still shows the error."""
