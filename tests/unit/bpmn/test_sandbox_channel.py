"""engine.bpmn.sandbox.channel: the length-prefixed frames a sandbox process and its parent exchange
over two pipes (issue 14, item 1): whole frames however large, longer frames refused unread, the end
of the pipe seen as EOFError, and poll() with a timeout."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import pytest

from engine.bpmn.sandbox.channel import Channel, FrameTooLong, encode


@pytest.fixture
def ends() -> Iterator[tuple[Channel, Channel]]:
    a_read, b_write = os.pipe()
    b_read, a_write = os.pipe()
    a, b = Channel(a_read, a_write), Channel(b_read, b_write)
    yield a, b
    a.close()
    b.close()


def test_frames_arrive_whole_and_in_order(ends: tuple[Channel, Channel]) -> None:
    a, b = ends
    large = b"x" * (3 * 1024 * 1024)  # far more than a pipe holds: written while the other side reads
    writer = threading.Thread(target=lambda: [a.send_bytes(m) for m in (b"", b"one", large)])
    writer.start()
    received = [b.recv_bytes(), b.recv_bytes(), b.recv_bytes(len(large))]
    writer.join(10)
    assert received == [b"", b"one", large]


def test_a_frame_longer_than_allowed_is_refused(ends: tuple[Channel, Channel]) -> None:
    a, b = ends
    a.send_bytes(b"y" * 1000)
    with pytest.raises(FrameTooLong, match="1000 bytes is longer than 999"):
        b.recv_bytes(999)
    assert isinstance(FrameTooLong("x"), OSError)  # what the pool catches


def test_the_end_of_the_pipe_is_eof(ends: tuple[Channel, Channel]) -> None:
    a, b = ends
    a.send_bytes(b"last")
    a.close()
    assert b.poll(1.0)
    assert b.recv_bytes() == b"last"
    assert b.poll(1.0)  # the end can be read at once
    with pytest.raises(EOFError):
        b.recv_bytes()


def test_a_frame_cut_short_is_eof(ends: tuple[Channel, Channel]) -> None:
    a, b = ends
    os.write(a.write_fd, (10).to_bytes(4, "big") + b"abc")
    a.close()
    with pytest.raises(EOFError):
        b.recv_bytes()


def test_poll_waits_at_most_its_timeout(ends: tuple[Channel, Channel]) -> None:
    a, b = ends
    started = time.monotonic()
    assert not b.poll(0.2)
    assert 0.15 < time.monotonic() - started < 1.0
    assert not b.poll(0)
    a.send_bytes(encode({"ready": True}))
    assert b.poll(0) and b.poll(None)
    assert b.recv_bytes() == b'{"ready": true}'


def test_sending_to_a_closed_channel_raises_oserror(ends: tuple[Channel, Channel]) -> None:
    a, b = ends
    b.close()
    with pytest.raises(BrokenPipeError):
        a.send_bytes(b"anyone?")
