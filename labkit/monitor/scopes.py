"""Query scopes: the statements of one request or block, N+1 findings and query budgets."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from labkit.errors import NPlusOneDetected, QueryCountExceeded

__all__ = ["SeenStatement", "NPlusOneFinding", "QueryScope"]

_LISTED = 30


@dataclass(frozen=True)
class SeenStatement:
    """One statement as a scope saw it."""

    statement: str
    normalized: str
    seconds: float


@dataclass
class NPlusOneFinding:
    """The same SELECT issued `count` times in one scope; `call_site` is where it crossed K."""

    normalized: str
    count: int
    call_site: str

    def describe(self) -> str:
        return f"{self.count}× at {self.call_site}: {self.normalized[:300]}"


@dataclass
class QueryScope:
    """Statements seen between enter and exit; reports an N+1 when a SELECT repeats K times."""

    name: str
    n_plus_one_threshold: int
    raise_on_n_plus_one: bool = False
    max_queries: int | None = None
    statements: list[SeenStatement] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    findings: dict[str, NPlusOneFinding] = field(default_factory=dict)

    @property
    def count(self) -> int:
        """How many statements ran in the scope so far."""
        return len(self.statements)

    @property
    def n_plus_one(self) -> list[NPlusOneFinding]:
        """Every repeated SELECT found, most repeated first."""
        return sorted(self.findings.values(), key=lambda f: -f.count)

    def record(self, statement: str, normalized: str, seconds: float, select: bool,
               site: Callable[[], str]) -> None:
        """Add one statement; `site` is called (it is costly) only when a finding is made."""
        self.statements.append(SeenStatement(statement, normalized, seconds))
        if not select:
            return
        self.counts[normalized] += 1
        seen = self.counts[normalized]
        finding = self.findings.get(normalized)
        if finding is not None:
            finding.count = seen
        elif seen >= self.n_plus_one_threshold:
            self.findings[normalized] = NPlusOneFinding(normalized, seen, site())

    def check(self) -> None:
        """Raise if the scope broke its query budget, or held an N+1 and was told to raise."""
        if self.max_queries is not None and self.count > self.max_queries:
            listed = "\n".join(f"  {i + 1}. {s.statement[:300]}" for i, s in enumerate(self.statements[:_LISTED]))
            more = f"\n  … and {self.count - _LISTED} more" if self.count > _LISTED else ""
            raise QueryCountExceeded(
                f"expected at most {self.max_queries} statements in {self.name!r}, saw {self.count}:\n{listed}{more}"
            )
        if self.raise_on_n_plus_one and self.findings:
            found = "\n".join(f"  {f.describe()}" for f in self.n_plus_one)
            raise NPlusOneDetected(
                f"N+1 in {self.name!r}: a SELECT ran {self.n_plus_one_threshold}+ times "
                f"(eager-load the relationship):\n{found}"
            )
