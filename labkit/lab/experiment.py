"""What a notebook needs in one call: settings, live backends, server versions and a run to save."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from labkit.lab import services
from labkit.lab.bench.metadata import machine_info
from labkit.lab.bench.results import Results, load_results
from labkit.lab.bench.session import ExperimentRun
from labkit.lab.errors import ParameterError
from labkit.secrets import mask_url
from labkit.settings import Settings

__all__ = ["Experiment"]


class Experiment:
    """One notebook run: the backends it measures, and the results file it writes."""

    def __init__(
        self, name: str, settings: Settings, urls: Mapping[str, str], versions: Mapping[str, str],
        run: ExperimentRun,
    ) -> None:
        self.name = name
        self.settings = settings
        self.urls = dict(urls)
        self.versions = dict(versions)
        self.run = run

    @classmethod
    def start(
        cls,
        name: str,
        parameters: Mapping[str, Any],
        *,
        backends: Sequence[str] = services.BACKENDS,
        settings: Settings | None = None,
        origin: str | None = None,
    ) -> Experiment:
        """Resolve (starting embedded servers if needed) and ping each backend, then open a run.

        Called from a notebook cell, the run watches the notebook's variables named like its parameters.
        """
        caller = inspect.currentframe()
        namespace = _notebook_namespace(caller.f_back.f_globals if caller and caller.f_back else {})
        unknown = [b for b in backends if b not in services.BACKENDS]
        if unknown:
            raise ParameterError(
                f"unknown backend(s) {unknown} in parameter 'backends'; choose from {list(services.BACKENDS)}"
            )
        settings = settings or Settings.from_env()
        urls = {b: services.endpoint(settings, b) for b in backends}
        versions = {b: services.version_of(b, url, settings.connect_timeout) for b, url in urls.items()}
        run = ExperimentRun(
            name, results_dir=settings.results_dir, parameters=parameters, backends=urls, server_versions=versions,
            origin=origin, watch=namespace, fixed={"backends"},
        )
        return cls(name, settings, urls, versions, run)

    def url(self, backend: str) -> str:
        """The live URL of a backend this experiment was started with (unmasked: for drivers)."""
        try:
            return self.urls[backend]
        except KeyError:
            raise ParameterError(
                f"backend {backend!r} was not started for {self.name}; started: {list(self.urls)}"
            ) from None

    def environment_table(self) -> pd.DataFrame:
        """Machine and servers as a two-column table, URLs masked, for the top of a report."""
        machine = machine_info()
        rows = [
            ("run id", self.run.run_id),
            ("git commit", self.run.metadata.get("git_commit") or "unknown"),
            ("python", f"{machine['implementation']} {machine['python']}"),
            ("os", machine["os"]),
            ("cpus", str(machine["cpu_count"])),
            ("memory", f"{machine['memory_total_bytes'] / 2**30:.1f} GiB"),
        ]
        for backend, url in self.urls.items():
            rows.append((backend, f"{self.versions[backend]} at {mask_url(url)}"))
        return pd.DataFrame(rows, columns=["what", "value"]).set_index("what")

    def save(self, headline: str | Callable[[Results], str] | None = None) -> Results:
        """Write the results file once and read it straight back: charts are drawn from what was saved.

        `headline` is a line, or a function computing it from the run as it will be read back.
        """
        return load_results(self.run.save(headline=headline))


def _notebook_namespace(caller_globals: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The kernel's user namespace when the caller is a notebook cell, else None (library code)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    namespace = getattr(get_ipython(), "user_ns", None)
    return namespace if namespace is caller_globals else None
