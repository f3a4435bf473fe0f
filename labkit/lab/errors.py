"""The lab's own exceptions (servers it starts, parameters, results, notebooks)."""

from __future__ import annotations

from os import PathLike
from pathlib import Path

from labkit.errors import LabkitError

__all__ = [
    "LabError",
    "ServiceError",
    "ParameterError",
    "ResultsError",
    "DamagedResultsError",
    "RunClosedError",
    "UncheckedResultsWarning",
    "NotebookFailed",
    "MeasurementTimeout",
]


class LabError(LabkitError):
    """Base class of the errors the lab raises, apart from the library's."""


class ServiceError(LabError, RuntimeError):
    """An embedded server, the demo service or the load driver could not be started or stopped."""


class ParameterError(LabError, ValueError):
    """A notebook or experiment parameter is unknown or of the wrong type."""


class ResultsError(LabError, ValueError):
    """A results file is missing, of another schema version, or malformed."""


class DamagedResultsError(ResultsError):
    """A results file is cut short, unreadable, altered after it was saved, or of an unknown schema."""

    def __init__(self, path: str | PathLike[str], reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = Path(path)
        self.reason = reason


class RunClosedError(LabError, RuntimeError):
    """A saved run was written to again: results files are immutable, a new run takes new samples."""


class UncheckedResultsWarning(UserWarning):
    """A results file of schema 1 was read: it carries no checksum, so damage to it cannot be detected."""


class NotebookFailed(LabError, RuntimeError):
    """A notebook raised while it was executed; its report still shows the error."""


class MeasurementTimeout(LabError, TimeoutError):
    """What a measurement waits for (a tracking connection, an invalidation) did not happen within its deadline."""
