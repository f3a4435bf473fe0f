"""The tables the data-layer suites write to, and their rows (a helper module, not a suite: its name starts with _)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Column, DateTime, Float, Integer, MetaData, String, Table

__all__ = ["METADATA", "EVENTS", "ACCOUNTS", "EVENT_COLUMNS", "event_rows"]

METADATA = MetaData()
# An append-only table with a generated key: each bulk-insert sample adds fresh rows to it.
EVENTS = Table(
    "bench_events", METADATA,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("amount", Float, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
ACCOUNTS = Table(
    "bench_accounts", METADATA,
    Column("id", Integer, primary_key=True),
    Column("balance", Float, nullable=False),
    Column("status", String(20), nullable=False),
)
EVENT_COLUMNS = ["user_id", "kind", "amount", "created_at"]


def event_rows(n: int) -> list[dict[str, Any]]:
    """`n` deterministic rows of EVENTS (no id: the database assigns it)."""
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    kinds = ("view", "click", "enrol", "complete")
    return [{"user_id": i % 997, "kind": kinds[i % 4], "amount": i * 0.25,
             "created_at": start + timedelta(seconds=i)} for i in range(n)]
