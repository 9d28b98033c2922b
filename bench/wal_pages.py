"""Pages a unit of work writes into SQLite's write-ahead log, read from the log's frame headers.

Every page a transaction changes goes into the WAL as one frame (a 24-byte header naming the page, then
the page); COMMIT writes them, and each checkpoint copies them back into the database file with an
fsync. The number of frames a unit appends is what its writes cost on disk, and it does not move with
the machine's load. Counting needs the log to only grow: the database's connections run with
`wal_autocheckpoint` off while counting, and the counter truncates the log itself between units.

`owners` names, for the frames of the last unit, the table or index each page belongs to (SQLite's
`dbstat` table), to see which index took how many pages.
"""

from __future__ import annotations

import sqlite3
import struct
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import event

_WAL_HEADER = 32
_FRAME_HEADER = 24


def without_autocheckpoint(database: Any) -> None:
    """Turn the WAL's automatic checkpoints off on every connection `database` opens from now on
    (its pool is emptied, so none opened before stays)."""

    def connected(driver_connection: Any, _record: object) -> None:
        driver_connection.execute("PRAGMA wal_autocheckpoint=0")

    event.listen(database, "connect", connected)
    database.dispose()


class WalPages:
    """Frames appended to the WAL of the SQLite database at `path` since `start()`."""

    def __init__(self, path: Path) -> None:
        self.wal = Path(f"{path}-wal")
        self._reader = sqlite3.connect(path, isolation_level=None)
        self._start = 0

    def start(self) -> None:
        """Empty the log (the database's connections must hold no transaction) and count from there."""
        self._reader.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        self._start = self._size()

    def frames(self) -> list[int]:
        """The page number of each frame appended since `start()`, in the order written."""
        data = self.wal.read_bytes() if self.wal.exists() else b""
        if len(data) < _WAL_HEADER:
            return []
        page_size = struct.unpack(">I", data[8:12])[0]
        offset = max(self._start, _WAL_HEADER)
        pages = []
        while offset + _FRAME_HEADER + page_size <= len(data):
            pages.append(struct.unpack(">I", data[offset : offset + 4])[0])
            offset += _FRAME_HEADER + page_size
        return pages

    def owners(self, pages: list[int]) -> dict[str, int]:
        """How many of `pages` belong to each table and index (`(new)` for pages not yet in the file)."""
        owner = {page: name for name, page in self._reader.execute("SELECT name, pageno FROM dbstat")}
        counted = Counter(owner.get(page, "(new)") for page in pages)
        return dict(counted.most_common())

    def close(self) -> None:
        self._reader.close()

    def _size(self) -> int:
        return self.wal.stat().st_size if self.wal.exists() else 0
