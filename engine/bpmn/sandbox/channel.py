"""The wire between a sandbox process and its parent: length-prefixed frames over a pair of pipes.

A frame is a 4-byte big-endian length and that many bytes of UTF-8 JSON (`encode`). Both sides use
`Channel`: the parent (engine.bpmn.sandbox.pool) to send requests and answer callbacks, the child
(engine.bpmn.sandbox.child) to reply. The module needs only the standard library and the engine's
error root, and it trusts nothing it reads: `recv_bytes(maxlength)` refuses a longer frame before
reading its body.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import select
import struct
from datetime import date, datetime
from typing import Any

from engine.errors import HotlineError

READY = "ready"

_HEADER = struct.Struct("!I")
MAX_FRAME_BYTES = 2**31 - 1  # what the header can say
_CHUNK = 1 << 20


class FrameTooLong(HotlineError, OSError):
    """A frame longer than the reader accepts; the channel cannot be read any more."""

    code = "sandbox-frame-too-long"


def encode(message: dict[str, Any]) -> bytes:
    """A message as the bytes of one frame (dates and datetimes as ISO text)."""

    def default(value: object) -> str:
        if isinstance(value, datetime | date):
            return value.isoformat()
        raise TypeError(f"a {type(value).__name__} cannot be sent")

    return json.dumps(message, ensure_ascii=False, default=default).encode("utf-8")


class Channel:
    """Frames read from one pipe file descriptor and written to another. Not thread-safe: a sandbox
    process is used by one thread of its parent at a time. `close()` closes both descriptors."""

    def __init__(self, read_fd: int, write_fd: int) -> None:
        self.read_fd = read_fd
        self.write_fd = write_fd
        self.closed = False
        # poll(), not select(): a server's descriptors may be numbered past select's 1024.
        self._poller = select.poll()
        self._poller.register(read_fd, select.POLLIN)

    def send_bytes(self, data: bytes) -> None:
        """Write one frame; OSError (BrokenPipeError) when the other side is gone."""
        if len(data) > MAX_FRAME_BYTES:
            raise ValueError(f"a frame of {len(data)} bytes is too long")
        view = memoryview(_HEADER.pack(len(data)) + data)
        while view:
            written = os.write(self.write_fd, view)
            view = view[written:]

    def recv_bytes(self, maxlength: int | None = None) -> bytes:
        """Read one frame (blocking); EOFError when the other side closed its end, FrameTooLong
        when the frame is longer than `maxlength`."""
        (length,) = _HEADER.unpack(self._read_exactly(_HEADER.size))
        if maxlength is not None and length > maxlength:
            raise FrameTooLong(f"a frame of {length} bytes is longer than {maxlength}")
        return self._read_exactly(length)

    def poll(self, timeout: float | None = 0.0) -> bool:
        """Whether a frame (or the end of the pipe) can be read within `timeout` seconds (None:
        wait for it)."""
        milliseconds = None if timeout is None else max(0, math.ceil(timeout * 1000))
        return bool(self._poller.poll(milliseconds))

    def _read_exactly(self, size: int) -> bytes:
        chunks: list[bytes] = []
        missing = size
        while missing:
            chunk = os.read(self.read_fd, min(missing, _CHUNK))
            if not chunk:
                raise EOFError("the other side closed the channel")
            chunks.append(chunk)
            missing -= len(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for fd in (self.read_fd, self.write_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
