"""Which machine a run was measured on: a stable fingerprint of the hardware and software that shape timings."""

from __future__ import annotations

import hashlib
import json
import os
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import psutil

__all__ = ["cpu_model", "machine_identity", "machine_fingerprint", "fingerprint_of"]

_CPUINFO = Path("/proc/cpuinfo")


def cpu_model(cpuinfo: Path = _CPUINFO) -> str:
    """The CPU's model name (`/proc/cpuinfo` on Linux), else what `platform` knows."""
    try:
        for line in cpuinfo.read_text(errors="replace").splitlines():
            key, sep, value = line.partition(":")
            if sep and key.strip() in ("model name", "Model", "Hardware", "cpu model"):
                return " ".join(value.split())
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def machine_identity() -> dict[str, Any]:
    """What the fingerprint is made of: CPU model, cores, memory (GiB), OS and Python."""
    return {
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30),
        "os": f"{platform.system()} {platform.release()}",
        "arch": platform.machine(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
    }


def _digest(identity: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(dict(identity), sort_keys=True).encode()).hexdigest()[:12]


def machine_fingerprint() -> str:
    """12 hex digits that stay the same across runs on this machine and change with its hardware or software."""
    return _digest(machine_identity())


def fingerprint_of(metadata: Mapping[str, Any]) -> str:
    """The fingerprint a saved run was measured on (runs saved before fingerprints: one made of what they recorded)."""
    machine = metadata.get("machine") or {}
    if machine.get("fingerprint"):
        return str(machine["fingerprint"])
    known = {k: machine.get(k) for k in ("python", "implementation", "os", "machine", "cpu_count",
                                          "memory_total_bytes")}
    return "legacy-" + _digest(known)[:8]
