"""engine.db.models.base.UTCDateTime on SQLite: its one-step bind processor writes what
`process_bind_param` followed by SQLite's own DATETIME processor writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.dialects import sqlite

from engine.db.models.base import UTCDateTime

_DIALECT = sqlite.dialect()
_MOMENTS = [
    datetime(2026, 11, 23, 12, 0, tzinfo=UTC),
    datetime(2026, 11, 23, 12, 0, 0, 123456, tzinfo=ZoneInfo("Asia/Shanghai")),
    datetime(2026, 3, 29, 1, 59, 59, 999999, tzinfo=ZoneInfo("Europe/Berlin")),
    datetime(1, 1, 2, 0, 0, 0, 1, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=7))),
    None,
]


def _sqlalchemys_way(value: datetime | None) -> str | None:
    column_type = UTCDateTime()
    impl_processor = column_type.impl_instance.dialect_impl(_DIALECT).bind_processor(_DIALECT)
    assert impl_processor is not None
    return impl_processor(column_type.process_bind_param(value, _DIALECT))  # type: ignore[no-any-return]


@pytest.mark.parametrize("moment", _MOMENTS)
def test_the_sqlite_text_is_sqlalchemys(moment: datetime | None) -> None:
    process = UTCDateTime().dialect_impl(_DIALECT).bind_processor(_DIALECT)
    assert process is not None
    assert process(moment) == _sqlalchemys_way(moment)


def test_a_naive_datetime_is_refused() -> None:
    process = UTCDateTime().dialect_impl(_DIALECT).bind_processor(_DIALECT)
    assert process is not None
    with pytest.raises(ValueError, match="naive"):
        process(datetime(2026, 11, 23, 12, 0))
