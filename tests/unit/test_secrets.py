"""Masking keeps URLs usable to read while hiding every password."""

from __future__ import annotations

import pytest

from labkit.secrets import mask_text, mask_url, url_secrets


@pytest.mark.parametrize(
    "url,masked",
    [
        ("postgresql://user:SOMEPASSWORD@127.0.0.1/test", "postgresql://user:***@127.0.0.1/test"),
        ("redis://:s3cr3t@localhost:6379/0", "redis://:***@localhost:6379/0"),
        ("postgresql+asyncpg://u@h:5432/d", "postgresql+asyncpg://u@h:5432/d"),
        ("postgresql://u@/d?host=/tmp&password=abc", "postgresql://u@/d?host=/tmp&password=***"),
        ("sqlite:///data/x.sqlite3", "sqlite:///data/x.sqlite3"),
    ],
)
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def test_mask_url_keeps_none_and_empty() -> None:
    assert mask_url(None) == "" and mask_url("") == ""


def test_password_with_at_sign_is_masked_whole() -> None:
    assert mask_url("postgresql://u:p@ss@h/d") == "postgresql://u:***@h/d"


def test_url_secrets_finds_userinfo_and_query_passwords() -> None:
    assert url_secrets("postgresql://u:pw1@h/d?password=pw2") == ["pw1", "pw2"]


def test_mask_text_hides_urls_and_literal_secrets() -> None:
    text = "could not connect to postgresql://bob:hunter2@db:5432/x; hunter2 again"
    masked = mask_text(text, ["hunter2"])
    assert "hunter2" not in masked
    assert "postgresql://bob:***@db:5432/x" in masked


@pytest.mark.parametrize("prefix", ["", "url=", "jdbc:", "(", "\n", "see "])
def test_mask_text_finds_urls_after_any_separator(prefix: str) -> None:
    assert mask_text(f"{prefix}postgresql+psycopg://u:pw@h/d") == f"{prefix}postgresql+psycopg://u:***@h/d"


@pytest.mark.timeout(30)  # a hang guard: the quadratic pattern took minutes on this input
def test_mask_text_is_linear_in_a_long_base64_run() -> None:
    """An embedded image is one long run of scheme characters with no '://': scanned once, not per offset."""
    blob = "QUJD" * 100_000 + " redis://:pw@h:6379/0"
    assert mask_text(blob).endswith("redis://:***@h:6379/0")
