"""Normalized SQL: literals and placeholders become `?`, lists collapse, so one shape = one key."""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["normalize_sql", "is_select"]

_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
_STRING = re.compile(r"'(?:[^']|'')*'")
_PLACEHOLDER = re.compile(
    r"%\([^)]+\)s|%s|\$\d+|(?<![\w:]):[A-Za-z_]\w*|__\[POSTCOMPILE_\w+\]|\?"
)
_CAST = re.compile(r"\?::[A-Za-z_][\w]*(?:\s+(?:WITH|WITHOUT)\s+TIME\s+ZONE)?(?:\(\d+(?:,\s*\d+)?\))?(?:\[\])?", re.I)
_NUMBER = re.compile(r"(?<![\w.$])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?\b")
_WHITESPACE = re.compile(r"\s+")
_LIST = re.compile(r"\?(?:\s*,\s*\?)+")
_GROUPS = re.compile(r"(\((?:\?|\?, \.\.\.)\))(?:\s*,\s*\1)+")
_SINGLE_IN = re.compile(r"\b(IN) \(\?\)", re.I)


@lru_cache(maxsize=4096)
def normalize_sql(statement: str) -> str:
    """The statement's shape: no comments, literals or placeholder names; `IN (?, ...)` once."""
    text = _COMMENT.sub(" ", statement)
    text = _STRING.sub("?", text)
    text = _PLACEHOLDER.sub("?", text)
    text = _CAST.sub("?", text)  # psycopg renders typed binds as %(x)s::INTEGER
    text = _NUMBER.sub("?", text)
    text = _WHITESPACE.sub(" ", text).strip()
    text = _LIST.sub("?, ...", text)
    text = _SINGLE_IN.sub(r"\1 (?, ...)", text)
    return _GROUPS.sub(r"\1, ...", text)


def is_select(normalized: str) -> bool:
    """True for a read: SELECT or WITH … SELECT."""
    head = normalized[:6].upper()
    return head == "SELECT" or (head.startswith("WITH") and "SELECT" in normalized.upper())
