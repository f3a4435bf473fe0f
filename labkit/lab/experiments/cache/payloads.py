"""Realistic values to cache, shared by the benchmarks and the cache notebook.

A user record as an API would cache it, the same record with the types JSON cannot carry
(datetimes, Decimal, UUID), a page of 100 records, and a text-heavy nested course document.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

__all__ = ["RECORD", "user_record", "rich_record", "page_of_records", "course_document", "payloads"]

RECORD: dict[str, Any] = {
    "id": 42, "name": "Ada Lovelace", "email": "ada@example.org", "active": True,
    "score": 97.5, "roles": ["student", "mentor"], "courses": [101, 202, 303],
}

_UTC = dt.timezone.utc


def user_record(i: int) -> dict[str, Any]:
    """The user record with id `i` (each one distinct, all the same shape)."""
    return dict(RECORD, id=i, email=f"user{i}@example.org")


def rich_record(i: int = 42) -> dict[str, Any]:
    """A user record with a datetime (time zone kept), a date, a Decimal balance and a UUID."""
    return dict(
        user_record(i),
        created_at=dt.datetime(2025, 1, 23, 9, 30, 15, 123456, tzinfo=_UTC),
        birthday=dt.date(1815, 12, 10),
        balance=Decimal("1234.56"),
        uuid=UUID(int=i + 0x1234_5678_9ABC_DEF0_1234_5678_9ABC_DEF0),
    )


def page_of_records(n: int = 100) -> list[dict[str, Any]]:
    """`n` user records: a page of a list endpoint."""
    return [user_record(i) for i in range(n)]


def course_document(lessons: int = 20) -> dict[str, Any]:
    """A nested, text-heavy document: a course with lessons, each with paragraphs and tags."""
    paragraph = ("Caching pays when the same answer is asked for again before it changes; "
                 "how often that happens is a property of the workload, not of the cache. ")
    return {
        "id": 101, "title": "Databases and caches", "published": True, "rating": 4.7,
        "lessons": [
            {"n": n, "title": f"Lesson {n}", "minutes": 10 + n % 7, "tags": ["sql", "redis", f"week-{n // 5}"],
             "body": [paragraph * 2 for _ in range(3)]}
            for n in range(lessons)
        ],
    }


def payloads() -> dict[str, Any]:
    """The realistic payloads by name, smallest first."""
    return {
        "user record": RECORD,
        "user record with datetime, Decimal, UUID": rich_record(),
        "page of 100 user records": page_of_records(100),
        "course document (20 lessons of text)": course_document(20),
    }
