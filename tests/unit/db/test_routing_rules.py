"""Read routing without servers: WAL positions, arguments, and what must go to the primary."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, delete, insert, select, text, update
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from labkit.db import ReplicaRouter, routing_session_factory
from labkit.db.replicas import parse_lsn
from labkit.errors import DatabaseArgumentError


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "item"
    id: Mapped[int] = mapped_column(primary_key=True)


PRIMARY = create_engine("postgresql+psycopg://postgres@127.0.0.1:1/none")  # never connected


def test_an_lsn_is_one_comparable_integer() -> None:
    assert parse_lsn("0/0") == 0
    assert parse_lsn("16/B374D848") == (0x16 << 32) | 0xB374D848
    assert parse_lsn("1/0") > parse_lsn("0/FFFFFFFF")


@pytest.mark.parametrize("kw, named", [
    ({"max_lag_bytes": -1}, "max_lag_bytes=-1"),
    ({"check_interval": -0.5}, "check_interval=-0.5"),
    ({"strategy": "random"}, "round_robin, least_busy"),
])
def test_a_bad_router_argument_is_named(kw: dict[str, object], named: str) -> None:
    with pytest.raises(DatabaseArgumentError, match=named):
        ReplicaRouter(PRIMARY, [], **kw)  # type: ignore[arg-type]


def test_without_replicas_every_read_goes_to_the_primary() -> None:
    Session = routing_session_factory(PRIMARY, [])
    with Session() as session:
        assert session.get_bind(clause=select(Item)) is PRIMARY


@pytest.mark.parametrize("statement", [
    insert(Item).values(id=1), update(Item).values(id=2), delete(Item), select(Item).with_for_update(),
    text("SELECT 1"),
], ids=["insert", "update", "delete", "for update", "text"])
def test_writes_locks_and_textual_sql_go_to_the_primary(statement: object) -> None:
    replica = create_engine("postgresql+psycopg://postgres@127.0.0.1:2/none")
    Session = routing_session_factory(PRIMARY, [replica])
    with Session() as session:
        assert session.get_bind(clause=statement) is PRIMARY


def test_use_primary_pins_the_session_to_the_primary() -> None:
    replica = create_engine("postgresql+psycopg://postgres@127.0.0.1:2/none")
    Session = routing_session_factory(PRIMARY, [replica], check_interval=3600)
    with Session() as session:
        session.use_primary()
        assert session.get_bind(clause=select(Item)) is PRIMARY


def test_a_commit_whose_position_cannot_be_read_sends_this_contexts_reads_to_the_primary() -> None:
    replica = create_engine("postgresql+psycopg://postgres@127.0.0.1:2/none")
    router = ReplicaRouter(PRIMARY, [replica], check_interval=3600)
    router.note_commit()  # the primary (port 1) does not answer
    assert router.read_bind() is PRIMARY
