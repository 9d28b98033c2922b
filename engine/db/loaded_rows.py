"""Entity rows read through a DriverStatement, turned into the session's objects for them.

An ORM load of an entity costs several times the statement itself (~150 µs against ~30 µs). Where a
unit needs the session's objects all the same (it writes to them, relationships point at them), the
row is read on the driver and the object made as the ORM makes what it loads: the session's own object
for that identity when it has one, else a new instance whose state is the row."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.orm.base import instance_state
from sqlalchemy.orm.util import identity_key

Entity = TypeVar("Entity")


def loaded_columns(entity: type[Any], leaving_out: tuple[str, ...] = ()) -> list[InstrumentedAttribute[Any]]:
    """The entity's column attributes an ORM load reads (deferred ones and `leaving_out` left out)."""
    mapper = entity.__mapper__
    return [
        getattr(entity, prop.key)
        for prop in mapper.column_attrs
        if not prop.deferred and prop.key not in leaving_out
    ]


def session_object(
    session: Session,
    entity: type[Entity],
    columns: list[InstrumentedAttribute[Any]],
    row: Any,
    refresh: bool = False,
) -> Entity:
    """The session's object for `row` (its first values those of `columns`, the primary key `id`).

    An object the session holds already is returned, given the row's values for what it lacks, or with
    `refresh` for every column (as `populate_existing` would); columns not in the row are loaded when
    first read."""
    values = {column.key: row[i] for i, column in enumerate(columns)}
    key = identity_key(entity, values["id"])
    known = session.identity_map.get(key)
    if known is not None:
        held = known.__dict__
        # Without `refresh`, only what the object lacks (expired, never loaded), as the ORM does.
        given = values if refresh else {name: value for name, value in values.items() if name not in held}
        if given:
            # `set_committed_value` of each column, in one step: the values held as loaded.
            held.update(given)
            instance_state(known)._commit(held, given)
        found: Entity = known
        return found
    made: Entity = entity.__mapper__.class_manager.new_instance()  # type: ignore[attr-defined]
    made.__dict__.update(values)
    # Attached as the ORM's loading attaches what a query returns (sqlalchemy.orm.loading): cheaper than
    # `make_transient_to_detached` and `session.add`, which walk the entity's relationships for cascades.
    state = instance_state(made)
    state.key, state.identity_token = key, key[2]
    state.session_id = session.hash_key
    session.identity_map._add_unpresent(state, key)
    state._expire_attributes(state.dict, state.unloaded)
    return made


def written_object(entity: type[Entity], values: dict[str, Any]) -> Entity:
    """An object of `entity` holding `values` as read, outside any session: what a Core statement just
    wrote, for the code that reads it next (its constructor's change tracking costs ten times more)."""
    made: Entity = entity.__mapper__.class_manager.new_instance()  # type: ignore[attr-defined]
    made.__dict__.update(values)
    return made
