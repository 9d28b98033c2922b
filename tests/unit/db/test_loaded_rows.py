"""engine.db.loaded_rows: rows read on the driver made the session's objects, and objects for what a
Core statement just wrote."""

from __future__ import annotations

from sqlalchemy import String, create_engine, insert, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.orm.base import instance_state

from engine.db.loaded_rows import loaded_columns, session_object, written_object


class _Base(DeclarativeBase):
    pass


class Thing(_Base):
    __tablename__ = "loaded_rows_thing"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(String(20))


def _session() -> Session:
    db = create_engine("sqlite://")
    _Base.metadata.create_all(db)
    session = Session(db)
    session.execute(insert(Thing), [{"id": 1, "name": "one", "note": "n1"}])
    return session


def test_a_row_becomes_the_sessions_object_for_its_identity() -> None:
    session = _session()
    columns = loaded_columns(Thing, leaving_out=("note",))
    made = session_object(session, Thing, columns, (1, "one"))
    assert made in session and not session.dirty
    assert session.get(Thing, 1) is made
    assert made.note == "n1"  # left out of the row: loaded when first read
    assert session_object(session, Thing, columns, (1, "renamed")) is made and made.name == "one"
    assert session_object(session, Thing, columns, (1, "renamed"), refresh=True).name == "renamed"
    assert not session.dirty


def test_a_made_object_writes_its_changes_and_takes_what_it_lacks_from_a_row() -> None:
    session = _session()
    columns = loaded_columns(Thing)
    made = session_object(session, Thing, columns, (1, "one", "n1"))
    made.note = "changed"
    assert list(session.dirty) == [made]
    session.flush()
    assert session.execute(select(Thing.note)).scalar_one() == "changed"
    session.expire(made, ["name"])
    assert session_object(session, Thing, columns, (1, "from the row", "ignored")) is made
    assert (made.name, made.note) == ("from the row", "changed")  # only the expired column taken
    assert not session.dirty
    session.delete(made)
    session.flush()
    assert session.scalars(select(Thing.id)).all() == []


def test_a_written_object_holds_the_values_outside_any_session() -> None:
    session = _session()
    written = written_object(Thing, {"id": 2, "name": "two"})
    assert (written.id, written.name, written.note) == (2, "two", None)
    assert instance_state(written).transient and written not in session
    assert session.scalars(select(Thing.id)).all() == [1]
