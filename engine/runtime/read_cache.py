"""A value the units of work of one process read often and that rarely changes (the live webhook
subscriptions), kept for `ttl` seconds of the monotonic clock so a step does not read it again.
A change made in this process clears it at once; another process sees the change within `ttl`."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any


class ReadCache:
    def __init__(self, ttl: float = 30.0, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._value: Any = None
        self._read_at: float | None = None

    def get(self) -> Any:
        """The value read within `ttl`, or None."""
        with self._lock:
            if self._read_at is None or self._monotonic() - self._read_at > self.ttl:
                return None
            return self._value

    def put(self, value: Any) -> None:
        with self._lock:
            self._value, self._read_at = value, self._monotonic()

    def clear(self) -> None:
        with self._lock:
            self._value, self._read_at = None, None
