"""PgBouncer in front of a real PostgreSQL of our own: the driver settings that work in each pool mode."""

from __future__ import annotations

import re
from collections.abc import Iterator

import psycopg
import pytest

from labkit.lab.errors import ServiceError
from labkit.lab.experiments.db_scale_out.pooler_compat import compatibility, compatibility_table
from labkit.lab.services.pooler import find_pgbouncer, pgbouncer, pgbouncer_version
from labkit.lab.services.replicas import find_binaries, replica_set

pytestmark = pytest.mark.skipif(find_pgbouncer() is None,
                                reason="pgbouncer is not installed (`make pooler` installs Debian's package)")


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    """A PostgreSQL of our own (no replicas) behind the poolers of this module."""
    try:
        find_binaries()
    except ServiceError as exc:
        pytest.skip(str(exc))
    with replica_set(0) as servers:
        yield servers.primary_url


@pytest.fixture(scope="module")
def table(server_url: str) -> dict[tuple[str, str, str], bool]:
    results = compatibility(server_url)
    print("\n" + compatibility_table(results))
    return {(r.driver, r.setting, r.pool_mode): r.works for r in results}


def test_statements_run_through_pgbouncer_and_it_stops_with_its_folder(server_url: str) -> None:
    with pgbouncer(server_url, pool_mode="transaction") as bouncer:
        with psycopg.connect(bouncer.url, autocommit=True, prepare_threshold=None) as conn:
            assert conn.execute("SELECT 41 + 1").fetchone() == (42,)
        folder = bouncer.folder
    assert bouncer.process.poll() is not None and not folder.exists()


def test_every_driver_setting_works_in_session_mode(table: dict[tuple[str, str, str], bool]) -> None:
    assert all(works for (_, _, mode), works in table.items() if mode == "session")


def test_the_documented_settings_work_in_transaction_mode(table: dict[tuple[str, str, str], bool]) -> None:
    assert table[("psycopg", "prepare_threshold=None", "transaction")]
    assert table[("asyncpg", "statement_cache_size=0", "transaction")]


def test_prepared_statements_fail_in_transaction_mode_before_pgbouncer_1_21(
    table: dict[tuple[str, str, str], bool],
) -> None:
    version = re.findall(r"\d+", pgbouncer_version() or "")
    if tuple(map(int, version[:2])) >= (1, 21):
        pytest.skip("PgBouncer 1.21+ can track prepared statements (max_prepared_statements)")
    assert not table[("psycopg", "prepare_threshold=5 (default)", "transaction")]
    assert not table[("asyncpg", "statement_cache_size=100 (default)", "transaction")]


def test_connection_setup_is_timed_both_ways_and_short_lived_clients_all_get_through(server_url: str) -> None:
    from labkit.lab.experiments.db_scale_out.pooler_cost import connection_setup, short_lived_clients

    with pgbouncer(server_url, pool_mode="transaction", pool_size=4) as bouncer:
        times = connection_setup(server_url, bouncer.url, repeats=3, warmups=1, inner=2)
        burst = short_lived_clients(bouncer.url, clients=60, concurrency=12)
    assert set(times) == {"direct", "pgbouncer"} and all(len(m.samples) == 3 for m in times.values())
    assert burst["failures"] == [] and len(burst["times"]) == 60
