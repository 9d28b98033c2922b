"""engine.db.results: the count of rows an UPDATE matched, which optimistic locking and claims rely on."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert, update
from sqlalchemy.orm import Session

from engine.db.results import rows_matched

ITEMS = Table("item", MetaData(), Column("id", Integer, primary_key=True), Column("status", String))


def test_rows_matched_counts_the_rows_an_update_changed() -> None:
    db = create_engine("sqlite://")
    ITEMS.metadata.create_all(db)
    with Session(db) as session:
        session.execute(insert(ITEMS), [{"id": n, "status": "open"} for n in (1, 2, 3)])
        assert rows_matched(session.execute(update(ITEMS).where(ITEMS.c.id < 3).values(status="done"))) == 2
        assert rows_matched(session.execute(update(ITEMS).where(ITEMS.c.id > 10).values(status="done"))) == 0
    db.dispose()
