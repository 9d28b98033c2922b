"""The JSON columns' text is written and read by engine.json_text (make_engine): compact UTF-8 that
SQLite stores as it is and PostgreSQL's JSONB accepts; values come back exactly as they went in,
through the session and through the driver path, on both databases."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, bindparam, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from engine.db import DriverStatement
from engine.db.models.base import JSONType

_metadata = MetaData()
_documents = Table(
    "json_column_document",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("data", JSONType),
)
_BY_ID = DriverStatement(select(_documents.c.data).where(_documents.c.id == bindparam("id")))
_INSERT = DriverStatement(insert(_documents))

DOCUMENT = {
    "地址": "金明小区3号楼2单元501",
    "note": "客户仍不满意。",
    "numbers": [1, 2.5, 1e-7, 2**63 - 1, -(2**63)],
    "nested": {"ok": True, "none": None, "list": [{"a": "乙"}]},
}
# Written by json (orjson refuses integers beyond 64 bits), read back as ints, not floats.
BIG_INTEGERS = {"地址": "幸福路", "numbers": [2**64 - 1, 2**64, 2**70, -(2**70)]}


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as session:
        _metadata.create_all(session.connection())
        yield session


def _same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):  # in any order: PostgreSQL's JSONB orders the keys its own way
        return sorted(a) == sorted(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return math.copysign(1, a) == math.copysign(1, b) and (a == b or (math.isnan(a) and math.isnan(b)))
    return bool(a == b)


@pytest.mark.parametrize("document", [DOCUMENT, BIG_INTEGERS], ids=["document", "big integers"])
def test_values_come_back_exactly_through_the_session_and_the_driver(
    session: Session, document: dict[str, Any]
) -> None:
    session.execute(insert(_documents), [{"id": 1, "data": document}])
    _INSERT.execute(session, {"id": 2, "data": document})
    session.expire_all()
    for row_id in (1, 2):
        by_id = select(_documents.c.data).where(_documents.c.id == row_id)
        assert _same(session.execute(by_id).scalar_one(), document)
        assert _same(_BY_ID.execute(session, {"id": row_id}).scalar_one(), document)


def test_the_database_reads_the_text_as_json(session: Session) -> None:
    # SQLite 3.40 finds a key written as \\u escapes by no path: json's text hid "地址" from json_extract.
    session.execute(insert(_documents), [{"id": 1, "data": DOCUMENT}])
    if session.get_bind().dialect.name == "postgresql":
        query = "SELECT data->>'地址', data->'nested'->'list'->0->>'a' FROM json_column_document"
    else:
        query = (
            "SELECT json_extract(data, '$.\"地址\"'), json_extract(data, '$.nested.list[0].a') "
            "FROM json_column_document"
        )
    assert tuple(session.execute(text(query)).one()) == ("金明小区3号楼2单元501", "乙")


def test_sqlite_stores_compact_utf8(session: Session) -> None:
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("PostgreSQL's JSONB keeps no text of its own")
    session.execute(insert(_documents), [{"id": 1, "data": {"地址": "幸福路", "n": [1, 2]}}])
    stored = session.execute(text("SELECT data FROM json_column_document")).scalar_one()
    assert stored == '{"地址":"幸福路","n":[1,2]}'


def test_sqlite_keeps_nan_and_infinity_as_json_wrote_them(session: Session) -> None:
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("PostgreSQL's JSONB refuses NaN, as it always did")
    value = {"x": float("nan"), "y": [float("inf"), -float("inf")]}
    session.execute(insert(_documents), [{"id": 1, "data": value}])
    stored = session.execute(text("SELECT data FROM json_column_document")).scalar_one()
    assert stored == '{"x": NaN, "y": [Infinity, -Infinity]}'
    session.expire_all()
    assert _same(session.execute(select(_documents.c.data)).scalar_one(), value)
