"""A real primary with two streaming replicas, started once for the session and stopped at its end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from labkit.lab.errors import ServiceError
from labkit.lab.services.replicas import ReplicaSet, find_binaries, start_replica_set


@pytest.fixture(scope="session")
def replicas() -> Iterator[ReplicaSet]:
    """A primary and two streaming replicas on loopback (pgserver's binaries, else the system's)."""
    try:
        find_binaries()
    except ServiceError as exc:
        pytest.skip(f"no PostgreSQL binaries to start replicas: {exc}")
    servers = start_replica_set(2)
    try:
        yield servers
    finally:
        servers.close()


@pytest.fixture
def all_replicas_up(replicas: ReplicaSet) -> ReplicaSet:
    """The replica set with every replica running and caught up (a test before may have stopped one)."""
    for node in replicas.replicas:
        if not node.running():
            node.start()
    replicas.wait_caught_up()
    return replicas
