"""What the simulated learners ask for: a weighted mix of endpoints over skewed student ids.

Shared by the locust users (closed loop) and the open-loop client, so both send the same traffic.
Student ids are log-uniform over 1..N: a few popular students, a long tail, as real traffic has.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from labkit.lab.errors import ParameterError

__all__ = ["Workload", "Request", "DEFAULT_MIX", "EXPECTED_STATUS"]

# endpoint name -> weight; "missing" asks for an id that does not exist (a 404 is its right answer).
DEFAULT_MIX: dict[str, float] = {"learning_path": 4.0, "student": 3.0, "students": 2.0, "health": 0.5, "missing": 0.5}
EXPECTED_STATUS: dict[str, int] = {"missing": 404}
_LEVELS = ("beginner", "intermediate", "advanced")


@dataclass(frozen=True)
class Request:
    """One request of the workload: the endpoint's name (for grouping) and the path to GET."""

    name: str
    path: str

    @property
    def expected_status(self) -> int:
        return EXPECTED_STATUS.get(self.name, 200)


@dataclass(frozen=True)
class Workload:
    """Draws requests for a database of `students` students; same seed, same sequence."""

    students: int
    mix: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_MIX))

    def __post_init__(self) -> None:
        if self.students < 1:
            raise ParameterError(f"students={self.students!r} is not valid: expected an integer >= 1")
        unknown = sorted(set(self.mix) - set(DEFAULT_MIX))
        if unknown:
            raise ParameterError(f"unknown endpoints {unknown} in the mix; known: {sorted(DEFAULT_MIX)}")

    def student_id(self, rng: random.Random) -> int:
        """A log-uniform id in 1..students: id k is about as likely as all of 2k..4k together."""
        return min(self.students, int(self.students ** rng.random()))

    def request(self, name: str, rng: random.Random) -> Request:
        """The request of endpoint `name` with random arguments."""
        if name == "learning_path":
            return Request(name, f"/api/v1/students/{self.student_id(rng)}/learning-path")
        if name == "student":
            return Request(name, f"/api/v1/students/{self.student_id(rng)}")
        if name == "students":
            query = [f"limit={rng.choice((10, 20, 50))}", f"offset={rng.randrange(0, 200, 10)}"]
            if rng.random() < 0.5:
                query.append(f"level={rng.choice(_LEVELS)}")
            if rng.random() < 0.5:
                query.append("is_active=true")
            return Request(name, "/api/v1/students?" + "&".join(query))
        if name == "health":
            return Request(name, "/api/v1/health")
        if name == "missing":
            return Request(name, f"/api/v1/students/{self.students + 1 + rng.randrange(1000)}")
        raise ParameterError(f"unknown endpoint {name!r}; known: {sorted(DEFAULT_MIX)}")

    def next(self, rng: random.Random) -> Request:
        """A request drawn from the mix."""
        names = list(self.mix)
        return self.request(rng.choices(names, weights=[self.mix[n] for n in names])[0], rng)
