"""A value the units of work of one process read often and that rarely changes (the live webhook
subscriptions), kept with the database's stamp of it: a unit reads the stamp (with a statement it sends
anyway) and uses the value kept only while the stamp is the same. What is true lives in the database;
this only spares reading it again, and a change made by any process is seen by the next unit."""

from __future__ import annotations

import threading
from typing import Any


class ReadCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value: Any = None
        self._stamp: Any = None

    def get(self, stamp: Any) -> Any:
        """The value read under this stamp, or None."""
        with self._lock:
            if self._stamp is None or self._stamp != stamp:
                return None
            return self._value

    def put(self, stamp: Any, value: Any) -> None:
        with self._lock:
            self._value, self._stamp = value, stamp

    def clear(self) -> None:
        with self._lock:
            self._value, self._stamp = None, None
