"""What the demo service is told at start: its mode, the PostgreSQL schema it reads, cache TTLs."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, TypeVar

from labkit.errors import SettingsError
from labkit.settings import Settings

__all__ = ["MODES", "Mode", "AppConfig", "MODE_ENV", "SCHEMA_ENV", "STATEMENT_TIMEOUT_ENV", "HTTP_MAX_AGE_ENV",
           "DEFAULT_SCHEMA", "DEFAULT_HTTP_MAX_AGE"]

Mode = Literal["baseline", "optimized"]
MODES: tuple[Mode, ...] = ("baseline", "optimized")
MODE_ENV = "LABKIT_APP_MODE"
SCHEMA_ENV = "LABKIT_APP_SCHEMA"
STATEMENT_TIMEOUT_ENV = "LABKIT_APP_STATEMENT_TIMEOUT"
HTTP_MAX_AGE_ENV = "LABKIT_APP_HTTP_MAX_AGE"
DEFAULT_SCHEMA = "labkit_api"
DEFAULT_HTTP_MAX_AGE = 10
_TIMEOUT_RANGE = "seconds, more than 0 and at most 3600"
_MAX_AGE_RANGE = "whole seconds from 0 to 86400"
_N = TypeVar("_N", int, float)
_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _number(env: Mapping[str, str], name: str, convert: Callable[[str], _N], default: _N, valid: str) -> _N:
    """The number in `env[name]` (`default` when unset or blank); a SettingsError naming `valid` otherwise."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return convert(raw)
    except ValueError:
        raise SettingsError(name, raw, valid) from None


@dataclass(frozen=True)
class AppConfig:
    """Baseline (no cache, lazy loads, no pool, sync) or optimized (cache, eager, pool, async)."""

    settings: Settings
    mode: Mode = "optimized"
    schema: str = DEFAULT_SCHEMA
    cache_ttl: float = 300.0
    list_ttl: float = 30.0
    statement_timeout_s: float = 5.0  # PostgreSQL cancels a longer statement: the request is a 504
    http_max_age: int = DEFAULT_HTTP_MAX_AGE  # seconds a client or proxy may reuse a read without asking again

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise SettingsError(MODE_ENV, self.mode, "one of " + ", ".join(MODES))
        if not _IDENT.match(self.schema):
            raise SettingsError(SCHEMA_ENV, self.schema, "a lower-case SQL identifier such as labkit_api")
        if not 0 < self.statement_timeout_s <= 3600:
            raise SettingsError(STATEMENT_TIMEOUT_ENV, self.statement_timeout_s, _TIMEOUT_RANGE)
        if isinstance(self.http_max_age, bool) or not isinstance(self.http_max_age, int) \
                or not 0 <= self.http_max_age <= 86400:
            raise SettingsError(HTTP_MAX_AGE_ENV, self.http_max_age, _MAX_AGE_RANGE)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AppConfig:
        """Settings from the environment plus `LABKIT_APP_MODE`, `_SCHEMA`, `_STATEMENT_TIMEOUT`, `_HTTP_MAX_AGE`."""
        env = os.environ if environ is None else environ
        settings = Settings.from_env(environ=env)
        mode = env.get(MODE_ENV, "optimized").strip() or "optimized"
        schema = env.get(SCHEMA_ENV, DEFAULT_SCHEMA).strip() or DEFAULT_SCHEMA
        timeout = _number(env, STATEMENT_TIMEOUT_ENV, float, 5.0, _TIMEOUT_RANGE)
        max_age = _number(env, HTTP_MAX_AGE_ENV, int, DEFAULT_HTTP_MAX_AGE, _MAX_AGE_RANGE)
        return cls(settings=settings, mode=mode, schema=schema, cache_ttl=float(settings.cache_default_ttl),  # type: ignore[arg-type]
                   statement_timeout_s=timeout, http_max_age=max_age)

    def as_environ(self) -> dict[str, str]:
        """The environment that rebuilds this config in a child process (secrets included: never print it)."""
        return {**self.settings.as_environ(), MODE_ENV: self.mode, SCHEMA_ENV: self.schema,
                STATEMENT_TIMEOUT_ENV: repr(self.statement_timeout_s), HTTP_MAX_AGE_ENV: str(self.http_max_age)}
