"""Run metadata stored with every result: code version, packages, machine, servers, parameters."""

from __future__ import annotations

import os
import platform
import subprocess
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import psutil

from labkit.lab.bench.machine import cpu_model, machine_fingerprint
from labkit.secrets import mask_url

__all__ = ["new_run_id", "git_commit", "package_versions", "machine_info", "run_metadata"]

TRACKED_PACKAGES = (
    "labkit", "sqlalchemy", "psycopg", "asyncpg", "aiosqlite", "redis", "hiredis", "msgpack",
    "numpy", "pandas", "pyarrow", "matplotlib", "papermill", "nbconvert",
)


def new_run_id(now: datetime | None = None) -> str:
    """Sortable, unique run id: UTC time to the second plus 6 random hex digits."""
    now = now or datetime.now(timezone.utc)
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


def git_commit(cwd: str | os.PathLike[str] | None = None) -> str | None:
    """Commit hash of the working tree (suffixed `-dirty` when it has changes), or None."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd, capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("-dirty" if dirty else "")


def package_versions(names: tuple[str, ...] = TRACKED_PACKAGES) -> dict[str, str | None]:
    """Installed version of each package that shapes the numbers (None when absent)."""
    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def machine_info() -> dict[str, Any]:
    """Python, OS and hardware of this machine."""
    memory = psutil.virtual_memory()
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "os": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_total_bytes": memory.total,
        "hostname_hash": uuid.uuid5(uuid.NAMESPACE_DNS, platform.node()).hex[:8],
        "fingerprint": machine_fingerprint(),
    }


def run_metadata(
    experiment: str,
    *,
    run_id: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    backends: Mapping[str, str | None] | None = None,
    server_versions: Mapping[str, str | None] | None = None,
    repo: str | os.PathLike[str] | None = None,
    origin: str | None = None,
) -> dict[str, Any]:
    """Everything needed to tell later where a number came from; backend URLs masked."""
    now = datetime.now(timezone.utc)
    return {
        "experiment": experiment,
        "run_id": run_id or new_run_id(now),
        "origin": origin,
        "time": now.isoformat(timespec="microseconds"),  # runs started within a second still sort
        "git_commit": git_commit(repo or Path(__file__).resolve().parents[3]),
        "packages": package_versions(),
        "machine": machine_info(),
        "parameters": dict(parameters or {}),
        "backends": {name: mask_url(url) if url else None for name, url in (backends or {}).items()},
        "server_versions": dict(server_versions or {}),
    }
