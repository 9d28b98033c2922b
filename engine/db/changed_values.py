"""The values of a write that differ from what the session's object of the row holds.

On SQLite an UPDATE that names a column rewrites that column's entries in every index that carries it,
even when the value stays the same: each such index gets a page written into the write-ahead log. A
unit of work that sends only the changed columns leaves the row's indexes alone when nothing indexed
moved. (PostgreSQL compares the values itself: an update that changes no indexed column is HOT and
touches no index either way; there the statement is only shorter.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def changed_values(row: object, values: Mapping[str, Any]) -> dict[str, Any]:
    """`values` without those equal to the object's loaded attribute of the same name.

    An attribute the object has not loaded (deferred, expired) counts as changed. Only immutable values
    (strings, numbers, dates) may be compared this way: a dict or list the object holds may have been
    changed in place since it was loaded, so such a column is to be written every time by the caller."""
    loaded = row.__dict__
    return {name: value for name, value in values.items() if name not in loaded or loaded[name] != value}
