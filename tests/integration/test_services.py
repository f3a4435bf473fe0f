"""Real servers: given URLs win, embedded ones start, are reused and stop; failures are named."""

from __future__ import annotations

import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis

from labkit.errors import ServerUnreachable
from labkit.lab import services
from labkit.lab.cli import main
from labkit.lab.services.private_postgres import private_postgres
from labkit.lab.services.private_redis import private_redis
from labkit.settings import Settings


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_given_urls_win(settings: Settings, pg_url: str, redis_url: str) -> None:
    endpoints = services.resolve(settings)
    assert endpoints.postgresql == pg_url.replace("postgresql://", "postgresql+psycopg://")
    assert endpoints.redis == redis_url
    assert endpoints.sqlite.endswith("labkit.sqlite3")
    assert not (settings.services_dir / "state.json").exists()


def test_server_versions_of_the_system_servers(settings: Settings) -> None:
    versions = services.server_versions(services.resolve(settings))
    assert versions["postgresql"].startswith("PostgreSQL ")
    assert versions["redis"].startswith("Redis ")
    assert versions["sqlite"].startswith("SQLite 3.")


def test_unreachable_postgres_names_host_and_port_not_password() -> None:
    port = closed_port()
    with pytest.raises(ServerUnreachable, match=rf"PostgreSQL at 127\.0\.0\.1:{port}") as info:
        services.check_postgres(f"postgresql://bob:SOMEPASSWORD@127.0.0.1:{port}/x", timeout=2)
    assert "SOMEPASSWORD" not in str(info.value)


def test_unreachable_redis_names_host_and_port_not_password() -> None:
    port = closed_port()
    with pytest.raises(ServerUnreachable, match=rf"Redis at 127\.0\.0\.1:{port}") as info:
        services.check_redis(f"redis://:SOMEPASSWORD@127.0.0.1:{port}/0", timeout=2)
    assert "SOMEPASSWORD" not in str(info.value)


def test_status_of_given_servers_is_masked(tmp_path: Path, pg_url: str) -> None:
    with_password = pg_url.replace("postgresql://postgres@", "postgresql://postgres:SOMEPASSWORD@")
    s = Settings.from_env(environ={"DATABASE_URL": with_password, "LABKIT_DATA_DIR": str(tmp_path)}, env_file=None)
    rows = {row.name: row for row in services.status(s)}
    assert rows["postgresql"].source == "given" and rows["postgresql"].running
    assert "SOMEPASSWORD" not in repr(rows)


@pytest.fixture(scope="module")
def embedded() -> Iterator[Settings]:
    # Not under pytest's tmp root: another pytest run resets that folder to mode 0700, which
    # would lock out the unprivileged user the embedded PostgreSQL runs as when tests run as root.
    data = Path(tempfile.mkdtemp(prefix="labkit-embedded-"))
    s = Settings.from_env(environ={"LABKIT_DATA_DIR": str(data)}, env_file=None)
    try:
        yield s
    finally:
        services.down(s)
        shutil.rmtree(data, ignore_errors=True)


def test_embedded_servers_start_answer_and_are_reused(embedded: Settings) -> None:
    first = services.resolve(embedded)
    with psycopg.connect(first.postgresql.replace("+psycopg", "")) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    assert redis.Redis.from_url(first.redis).ping()
    again = services.resolve(embedded)
    assert again == first
    rows = {row.name: row for row in services.status(embedded)}
    assert rows["postgresql"].source == rows["redis"].source == "embedded"
    assert rows["postgresql"].running and rows["redis"].running
    assert rows["postgresql"].version.startswith("PostgreSQL 16")


def test_down_stops_embedded_servers(embedded: Settings) -> None:
    endpoints = services.resolve(embedded)
    assert sorted(services.down(embedded)) == ["postgresql", "redis"]
    with pytest.raises(ServerUnreachable):
        services.check_redis(endpoints.redis, timeout=1)
    rows = {row.name: row for row in services.status(embedded)}
    assert not rows["postgresql"].running and not rows["redis"].running


def _status_of(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str],
               **urls: str) -> tuple[int, str, str]:
    monkeypatch.setenv("LABKIT_DATA_DIR", str(tmp_path))
    for name in ("DATABASE_URL", "REDIS_URL"):
        monkeypatch.setenv(name, urls.get(name, ""))
    code = main(["services", "status"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_status_tells_a_server_that_rejects_the_password_from_a_stopped_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with private_postgres(password="right-pw") as pg, private_redis({"requirepass": "right-pw"}) as rd:
        wrong_pg = pg.url.replace("right-pw", "WRONG-pw")
        wrong_redis = rd.url.replace("redis://", "redis://:WRONG-pw@")
        code, out, _ = _status_of(monkeypatch, tmp_path, capsys, DATABASE_URL=wrong_pg, REDIS_URL=wrong_redis)
        good, good_out, _ = _status_of(monkeypatch, tmp_path, capsys, DATABASE_URL=pg.url,
                                    REDIS_URL=rd.url.replace("redis://", "redis://:right-pw@"))
    lines = {line.split()[0]: line for line in out.splitlines() if line.split()[:1] in (["postgresql"], ["redis"])}
    assert "rejects credentials" in lines["postgresql"] and "rejects credentials" in lines["redis"], out
    assert code == 1 and "WRONG-pw" not in out and "right-pw" not in out + good_out
    assert good == 0 and good_out.count(" running ") >= 2, good_out


def test_status_of_a_given_server_on_a_closed_port_is_stopped_and_fails(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = closed_port()
    code, out, _ = _status_of(monkeypatch, tmp_path, capsys, DATABASE_URL=f"postgresql://u:pw@127.0.0.1:{port}/x")
    line = next(line for line in out.splitlines() if line.startswith("postgresql"))
    assert code == 1 and " stopped " in line and f"127.0.0.1:{port}" in out


def test_status_with_an_out_of_range_port_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _status_of(monkeypatch, tmp_path, capsys, DATABASE_URL="postgresql://u:pw@127.0.0.1:99999/test")
    assert code == 2 and "DATABASE_URL=" in err and "65535" in err and "Traceback" not in err
