"""A circuit breaker: after repeated backend failures, stop calling the backend for a while."""

from __future__ import annotations

import time
from collections.abc import Callable

from labkit.errors import CacheArgumentError

__all__ = ["CircuitBreaker"]


class CircuitBreaker:
    """Closed until `threshold` failures in a row; then open for `recovery_s`; then one trial.

    The clock is injectable so that tests move time instead of sleeping.
    """

    __slots__ = ("threshold", "recovery_s", "clock", "failures", "opened_at", "_probing", "opens", "closes")

    def __init__(
        self,
        threshold: int = 3,
        recovery_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if threshold < 1:
            raise CacheArgumentError(f"breaker threshold must be an integer >= 1, got {threshold!r}")
        if recovery_s <= 0:
            raise CacheArgumentError(f"breaker recovery_s must be a number of seconds > 0, got {recovery_s!r}")
        self.threshold = threshold
        self.recovery_s = recovery_s
        self.clock = clock
        self.failures = 0
        self.opened_at: float | None = None
        self._probing = False
        self.opens = 0  # transitions closed -> open (a failed trial re-opening an open circuit is not one)
        self.closes = 0  # transitions open -> closed (a trial that succeeded)

    @property
    def state(self) -> str:
        """'closed', 'open' or 'half-open' (the next call is a trial)."""
        if self.opened_at is None:
            return "closed"
        if self.clock() - self.opened_at >= self.recovery_s:
            return "half-open"
        return "open"

    def allow(self) -> bool:
        """Whether a call may go to the backend now (one trial call once recovery time passed)."""
        if self.opened_at is None:
            return True
        if self._probing or self.clock() - self.opened_at < self.recovery_s:
            return False
        self._probing = True
        return True

    def success(self) -> None:
        """A call succeeded: close the circuit."""
        if self.opened_at is not None:
            self.closes += 1
        self.failures = 0
        self.opened_at = None
        self._probing = False

    def failure(self) -> None:
        """A call failed: count it, and open (or re-open) the circuit at the threshold."""
        self.failures += 1
        self._probing = False
        if self.failures >= self.threshold:
            if self.opened_at is None:
                self.opens += 1
            self.opened_at = self.clock()

    def reset(self) -> None:
        """Close the circuit and forget failures (not counted as a transition)."""
        self.failures = 0
        self.opened_at = None
        self._probing = False
