"""`labkit new`: a new experiment from the template, a notebook and its package, ready to run.

The notebook follows CONTRIBUTING's rules (a tagged `parameters` cell of literals, thin cells that
call labkit, a chart drawn from the saved results, a conclusion printed from the numbers); the
package holds `NOTEBOOK = "NN_name"`, which is all `labkit.lab.experiments` needs to find it.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from pathlib import Path
from string import Template

import nbformat

from labkit.lab.errors import LabError
from labkit.settings import project_root

__all__ = ["NewExperiment", "create_experiment", "next_number"]

_NAME = re.compile(r"(?:(?P<number>[0-9]{2})_)?(?P<name>[a-z][a-z0-9_]*)")
_SUMMARY_NUMBER = 99  # the summary reads every other experiment, so it keeps the last number
_MAX_NAME = 40


@dataclass(frozen=True)
class NewExperiment:
    """What `create_experiment` wrote: the notebook and the package folder."""

    notebook: Path
    package: Path

    @property
    def name(self) -> str:
        return self.notebook.stem


def next_number(notebooks: Path) -> int:
    """The number after the highest one in use below the summary's 99 (0 in an empty folder)."""
    used = [int(p.name[:2]) for p in notebooks.glob("[0-9][0-9]_*.ipynb")]
    below = [n for n in used if n < _SUMMARY_NUMBER]
    number = max(below) + 1 if below else 0
    if number >= _SUMMARY_NUMBER:
        raise LabError(f"no free number below {_SUMMARY_NUMBER} in {notebooks}; give one: labkit new NN_name")
    return number


def _checked_name(text: str, notebooks: Path, experiments: Path) -> tuple[int, str]:
    match = _NAME.fullmatch(text)
    if not match or len(match["name"]) > _MAX_NAME:
        raise LabError(
            f"experiment name {text!r} is not valid: use lower-case letters, digits and underscores, starting with "
            f"a letter, at most {_MAX_NAME} characters, optionally after a two-digit number (queues, 10_queues)"
        )
    name = match["name"]
    if keyword.iskeyword(name):
        raise LabError(f"experiment name {name!r} is a Python keyword and cannot name a package; choose another name")
    for taken in (experiments / name, experiments / f"{name}.py"):
        if taken.exists():
            raise LabError(f"experiment name {name!r} is taken: {taken} exists; choose another name")
    for notebook in notebooks.glob(f"[0-9][0-9]_{name}.ipynb"):
        raise LabError(f"experiment name {name!r} is taken by notebook {notebook}; choose another name")
    number = int(match["number"]) if match["number"] else next_number(notebooks)
    for notebook in notebooks.glob(f"{number:02d}_*.ipynb"):
        raise LabError(f"number {number:02d} is taken by notebook {notebook}; leave it out to get the next free one")
    return number, name


def create_experiment(name: str, *, root: str | Path | None = None) -> NewExperiment:
    """Write `notebooks/NN_name.ipynb` and `labkit/lab/experiments/<name>/` in the checkout at `root`.

    `name` is `queues` (the next free number) or `10_queues`; a bad or taken name raises `LabError`
    before anything is written.
    """
    root = Path(root) if root is not None else project_root()
    notebooks = root / "notebooks"
    experiments = root / "labkit" / "lab" / "experiments"
    if not (experiments / "__init__.py").is_file():
        raise LabError(f"no labkit checkout at {root} (no labkit/lab/experiments/): run `labkit new` inside one")
    number, package = _checked_name(name, notebooks, experiments)
    notebook_name = f"{number:02d}_{package}"
    words = dict(notebook=notebook_name, package=package, number=f"{number:02d}",
                 title=package.replace("_", " ").capitalize())
    folder = experiments / package
    folder.mkdir()
    for file, template in _PACKAGE_FILES.items():
        (folder / file).write_text(Template(template).substitute(words), encoding="utf-8")
    notebooks.mkdir(exist_ok=True)
    path = notebooks / f"{notebook_name}.ipynb"
    nbformat.write(_notebook(words), path)
    return NewExperiment(notebook=path, package=folder)


def _notebook(words: dict[str, str]) -> nbformat.NotebookNode:
    cells = []
    for kind, template in _CELLS:
        source = Template(template).substitute(words).strip("\n")
        if kind == "markdown":
            cells.append(nbformat.v4.new_markdown_cell(source))
        else:
            cell = nbformat.v4.new_code_cell(source)
            if kind == "parameters":
                cell.metadata["tags"] = ["parameters"]
            cells.append(cell)
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python (labkit)", "language": "python", "name": "labkit"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


_INIT = '''\
"""$notebook: what this experiment measures (one line, as the index and the summary show it)."""

__all__ = ["NOTEBOOK"]

NOTEBOOK = "$notebook"
'''

_TINY = """\
# Tiny parameters: enough to exercise every cell, not enough to measure anything.
items: 3
repeats: 5
warmups: 1
"""

_MEASURE = '''\
"""$notebook: the cases the notebook compares, one zero-argument callable each.

The template's example (replace it with yours): fetching `items` values with one request each
against fetching them all with one request, over one open connection per backend. A case's
docstring is its label in tables and charts.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import redis

from labkit.lab.errors import ParameterError

__all__ = ["cases"]

# Rows 1..n from one statement, in SQL that SQLite and PostgreSQL both accept ({p}: the driver's placeholder).
_SERIES = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {p}) SELECT i FROM n"


@contextlib.contextmanager
def cases(backend: str, url: str, items: int) -> Iterator[dict[str, Callable[[], object]]]:
    """The cases on one backend (`sqlite`, `postgresql` or `redis` at `url`), connections closed afterwards."""
    with contextlib.ExitStack() as stack:
        if backend == "redis":
            client = redis.Redis.from_url(url)
            stack.callback(client.close)

            def one_by_one() -> object:
                """one request per value"""
                return [client.ping() for _ in range(items)]

            def batched() -> object:
                """one request for all values"""
                pipe = client.pipeline(transaction=False)
                for _ in range(items):
                    pipe.ping()
                return pipe.execute()

            yield {"one_by_one": one_by_one, "batched": batched}
            return
        if backend == "sqlite":
            path = Path(url.removeprefix("sqlite:///"))
            path.parent.mkdir(parents=True, exist_ok=True)
            conn: sqlite3.Connection | psycopg.Connection = sqlite3.connect(path)
            placeholder = "?"
        elif backend == "postgresql":
            conn = psycopg.connect("postgresql://" + url.split("://", 1)[1], autocommit=True)
            placeholder = "%s"
        else:
            raise ParameterError(f"unknown backend {backend!r}; use sqlite, postgresql or redis")
        stack.callback(conn.close)
        select_one = f"SELECT {placeholder}"
        select_all = _SERIES.format(p=placeholder)

        def one_by_one() -> object:
            """one request per value"""
            return [conn.execute(select_one, (i,)).fetchone() for i in range(1, items + 1)]

        def batched() -> object:
            """one request for all values"""
            return conn.execute(select_all, (items,)).fetchall()

        yield {"one_by_one": one_by_one, "batched": batched}
'''

_PACKAGE_FILES = {"__init__.py": _INIT, "measure.py": _MEASURE, "tiny.yaml": _TINY}

_CELLS: list[tuple[str, str]] = [
    ("markdown", """
# $number · $title

**What this measures, and why.** Replace this paragraph: the question, the cases, the backends,
and which claim or decision the numbers inform. The template's example asks what a round trip
costs: fetching `items` values with one request each, against one request for all of them.

Cases run interleaved (A B A B …, the order rotating every round), warmups apart, every raw sample
saved; "faster" is a ratio of medians with a bootstrap 95% CI measured in this one run.
"""),
    ("parameters", """
items: int = 20  # values fetched per call (at least 1)
repeats: int = 100  # timed calls per case and backend (at least 1)
warmups: int = 10  # untimed calls per case before timing (at least 0)
backends: list[str] = ["sqlite", "postgresql", "redis"]  # backends to measure (one of: sqlite, postgresql, redis)
"""),
    ("code", """
from IPython.display import Markdown, display

from labkit.lab.bench import ratio_between, readable_summary, run_interleaved, summary_table
from labkit.lab.experiment import Experiment
from labkit.lab.experiments.$package import measure
from labkit.lab.report import plots

lab = Experiment.start(
    "$notebook",
    parameters=dict(items=items, repeats=repeats, warmups=warmups, backends=backends),
    backends=backends,
)
lab.environment_table()
"""),
    ("markdown", """
## Measurement

On each backend the cases run interleaved over one open connection, so that a noisy neighbour
slows them alike.
"""),
    ("code", """
for backend in backends:
    with measure.cases(backend, lab.url(backend), items) as cases:
        lab.run.add(run_interleaved(cases, repeats=repeats, warmups=warmups), backend=backend)
live = lab.run.frame
headline = {b: ratio_between(live[live["backend"] == b], "one_by_one", "batched") for b in backends}
results = lab.save(headline=f"{items} values in one request vs one each: "
                   + ", ".join(f"{b} {r.value:.2f}×" for b, r in headline.items()))
samples = results.samples().assign(group=lambda f: f["backend"] + ": " + f["label"])
readable_summary(summary_table(samples, by=["group"]), index="group", unit="us")
"""),
    ("code", """
plots.latency_distribution(samples, by="group", unit="us", title=f"Time to fetch {items} values (every timed sample)");
"""),
    ("markdown", """
## One request against one per value

Each ratio is the batched case's median time over the one-by-one case's, on the same backend, from
the same interleaved rounds, with a bootstrap 95% CI. Below 1, batching is faster.
"""),
    ("code", """
ratios = {b: ratio_between(samples[samples["backend"] == b], "one_by_one", "batched") for b in backends}
plots.ratio_chart(list(ratios), [r.value for r in ratios.values()], [r.ci_low for r in ratios.values()],
                  [r.ci_high for r in ratios.values()], xlabel="batched / one by one, 95% CI",
                  title=f"Fetching {items} values: one request vs one each");
"""),
    ("markdown", """
## What the numbers say
"""),
    ("code", """
lines = []
for backend, r in ratios.items():
    if r.excludes(1.0):
        verdict = f"{1 / r.value:.1f}× faster" if r.value < 1 else f"{r.value:.1f}× slower"
    else:
        verdict = "not distinguishable from one request per value in this run"
    lines.append(f"- **{backend}:** one request for {items} values takes {r.format()} the time of {items} "
                 f"requests: {verdict}.")
display(Markdown("\\n".join(lines)))
"""),
]
