"""What the demo service is told at start: its mode, the PostgreSQL schema it reads, cache TTLs."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from labkit.errors import SettingsError
from labkit.settings import Settings

__all__ = ["MODES", "Mode", "AppConfig", "MODE_ENV", "SCHEMA_ENV", "DEFAULT_SCHEMA"]

Mode = Literal["baseline", "optimized"]
MODES: tuple[Mode, ...] = ("baseline", "optimized")
MODE_ENV = "LABKIT_APP_MODE"
SCHEMA_ENV = "LABKIT_APP_SCHEMA"
DEFAULT_SCHEMA = "labkit_api"
_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class AppConfig:
    """Baseline (no cache, lazy loads, no pool, sync) or optimized (cache, eager, pool, async)."""

    settings: Settings
    mode: Mode = "optimized"
    schema: str = DEFAULT_SCHEMA
    cache_ttl: float = 300.0
    list_ttl: float = 30.0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise SettingsError(MODE_ENV, self.mode, "one of " + ", ".join(MODES))
        if not _IDENT.match(self.schema):
            raise SettingsError(SCHEMA_ENV, self.schema, "a lower-case SQL identifier such as labkit_api")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AppConfig:
        """Settings from the environment plus `LABKIT_APP_MODE` and `LABKIT_APP_SCHEMA`."""
        env = os.environ if environ is None else environ
        settings = Settings.from_env(environ=env)
        mode = env.get(MODE_ENV, "optimized").strip() or "optimized"
        schema = env.get(SCHEMA_ENV, DEFAULT_SCHEMA).strip() or DEFAULT_SCHEMA
        return cls(settings=settings, mode=mode, schema=schema, cache_ttl=float(settings.cache_default_ttl))  # type: ignore[arg-type]

    def as_environ(self) -> dict[str, str]:
        """The environment that rebuilds this config in a child process (secrets included: never print it)."""
        return {**self.settings.as_environ(), MODE_ENV: self.mode, SCHEMA_ENV: self.schema}
