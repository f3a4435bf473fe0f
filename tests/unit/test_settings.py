"""Settings: the seed's defaults, strict parsing, masking in descriptions."""

from __future__ import annotations

from pathlib import Path

import pytest

from labkit.errors import SettingsError
from labkit.settings import SETTING_SPECS, Settings


def from_env(**environ: str) -> Settings:
    return Settings.from_env(environ=environ, env_file=None)


def test_defaults_follow_the_seed() -> None:
    s = from_env()
    assert (s.pool_size, s.max_overflow, s.pool_timeout, s.pool_recycle) == (20, 40, 10.0, 1800)
    assert s.pool_pre_ping is True
    assert s.redis_max_connections == 50
    assert s.slow_query_ms == 100.0
    assert s.database_url is None and s.redis_url is None


def test_dataclass_defaults_match_the_environment_defaults(tmp_path: Path) -> None:
    assert Settings() == Settings.from_env(environ={}, env_file=None, root=Path("."))


def test_relative_paths_are_taken_from_the_checkout(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "labkit"\n')
    (tmp_path / "notebooks").mkdir()
    from labkit.settings import project_root

    assert project_root(tmp_path / "notebooks") == tmp_path
    s = Settings.from_env(environ={}, env_file=None, root=tmp_path)
    assert s.data_dir == tmp_path / "data" and s.sqlite_path == tmp_path / "data" / "labkit.sqlite3"


def test_settings_are_frozen() -> None:
    with pytest.raises(AttributeError):
        from_env().pool_size = 3  # type: ignore[misc]


def test_non_integer_pool_size_names_the_variable() -> None:
    with pytest.raises(SettingsError, match=r"DATABASE_POOL_SIZE='abc'.*integer"):
        from_env(DATABASE_POOL_SIZE="abc")


def test_negative_overflow_is_rejected() -> None:
    with pytest.raises(SettingsError, match="DATABASE_MAX_OVERFLOW"):
        from_env(DATABASE_MAX_OVERFLOW="-2")


def test_unsupported_database_scheme_names_accepted_ones() -> None:
    with pytest.raises(SettingsError, match=r"DATABASE_URL.*postgresql://") as info:
        from_env(DATABASE_URL="mysql://root:hunter2@localhost/db")
    assert "hunter2" not in str(info.value)


def test_unsupported_redis_scheme_is_rejected() -> None:
    with pytest.raises(SettingsError, match=r"REDIS_URL.*redis://"):
        from_env(REDIS_URL="memcached://localhost:11211")


@pytest.mark.parametrize(("variable", "url"), [
    ("DATABASE_URL", "postgresql://app:hunter2@127.0.0.1:99999/test"),
    ("DATABASE_URL", "postgresql://app:hunter2@db:0/test"),
    ("REDIS_URL", "redis://:hunter2@127.0.0.1:6379x/0"),
])
def test_an_out_of_range_port_names_the_variable(variable: str, url: str) -> None:
    with pytest.raises(SettingsError, match=rf"{variable}=.*port is a number from 1 to 65535") as info:
        from_env(**{variable: url})
    assert "hunter2" not in str(info.value)


@pytest.mark.parametrize("raw,expected", [("true", True), ("0", False), ("Yes", True), ("off", False)])
def test_booleans_accept_common_spellings(raw: str, expected: bool) -> None:
    assert from_env(DATABASE_POOL_PRE_PING=raw).pool_pre_ping is expected


def test_bad_boolean_lists_accepted_words() -> None:
    with pytest.raises(SettingsError, match=r"DATABASE_POOL_PRE_PING='maybe'.*true"):
        from_env(DATABASE_POOL_PRE_PING="maybe")


def test_env_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("DATABASE_POOL_SIZE=7\nREDIS_MAX_CONNECTIONS=9\n")
    s = Settings.from_env(environ={"REDIS_MAX_CONNECTIONS": "11"}, env_file=env_file)
    assert s.pool_size == 7
    assert s.redis_max_connections == 11


def test_describe_masks_passwords() -> None:
    s = from_env(DATABASE_URL="postgresql://u:SOMEPASSWORD@db/x", REDIS_URL="redis://:pw2@r:6379/0")
    text = repr(s.describe())
    assert "SOMEPASSWORD" not in text and "pw2" not in text
    assert s.describe()["DATABASE_URL"] == "postgresql://u:***@db/x"


def test_every_spec_names_an_existing_field() -> None:
    names = {f for f in Settings.__dataclass_fields__}
    assert {spec.field for spec in SETTING_SPECS} == names


def test_replica_urls_are_a_comma_separated_list() -> None:
    s = from_env(DATABASE_REPLICA_URLS=" postgresql://a:5433/db , postgresql://b:5434/db,")
    assert s.database_replica_urls == ("postgresql://a:5433/db", "postgresql://b:5434/db")
    assert from_env().database_replica_urls == ()


def test_a_bad_replica_url_is_named_and_masked() -> None:
    with pytest.raises(SettingsError, match="DATABASE_REPLICA_URLS") as info:
        from_env(DATABASE_REPLICA_URLS="postgresql://a/db,mysql://root:hunter2@b/db")
    assert "hunter2" not in str(info.value)


def test_replica_urls_are_masked_in_descriptions_and_round_trip_the_environment() -> None:
    s = from_env(DATABASE_REPLICA_URLS="postgresql://u:hunter2@a/db,postgresql://b/db")
    assert "hunter2" not in str(s.describe()["DATABASE_REPLICA_URLS"])
    assert Settings.from_env(environ=s.as_environ(), env_file=None) == s
