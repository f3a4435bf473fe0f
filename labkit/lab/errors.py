"""The lab's own exceptions (servers it starts, parameters, results, notebooks)."""

from __future__ import annotations

from labkit.errors import LabkitError

__all__ = ["LabError", "ServiceError", "ParameterError", "ResultsError", "NotebookFailed"]


class LabError(LabkitError):
    """Base class of the errors the lab raises, apart from the library's."""


class ServiceError(LabError, RuntimeError):
    """An embedded server, the demo service or the load driver could not be started or stopped."""


class ParameterError(LabError, ValueError):
    """A notebook or experiment parameter is unknown or of the wrong type."""


class ResultsError(LabError, ValueError):
    """A results file is missing, of another schema version, or malformed."""


class NotebookFailed(LabError, RuntimeError):
    """A notebook raised while it was executed; its report still shows the error."""
