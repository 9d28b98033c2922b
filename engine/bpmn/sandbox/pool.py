"""A pool of long-lived sandbox processes: where scripts run that the fast path cannot bound.

Each child is a fresh interpreter, `python -m engine.bpmn.sandbox.child`, started with subprocess
(never a fork of a web or worker process, so it inherits none of their threads, locks, database
connections or environment): its only open descriptors beside /dev/null and stderr are the two pipe
ends of its channel (engine.bpmn.sandbox.channel), its environment is PATH, LANG and the path to the
project, and it runs in a session of its own, out of reach of signals sent to the server's process
group. It limits its address space to what it uses after start-up plus the memory cap (default
64 MB) and its processor time as a backstop (engine.bpmn.sandbox.child).

The parent sends one request and waits with a wall-clock deadline (default 1 s). A child past the
deadline is killed (SIGKILL), reaped and replaced before the call returns ScriptTimeout; a child that
ran out of memory (MemoryError, or killed by its limits) is replaced and the call raises
ScriptTooLarge. Nothing a child sends is trusted: replies are JSON frames of bounded length, and a
child can only ask its parent to run the functions the call offered (the reference lookups).

A pool is shared by every thread (web threads and scheduler threads): `run` takes an idle child, or
starts one while fewer than `size` exist, or waits for one. Pools are started lazily and shared per
configuration (`shared_pool`), so the many Runtimes of a test run share a few processes; all of them
are closed at interpreter exit. A process forked from one with pools (a pre-forking server) forgets
the parent's children and starts its own.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.bpmn.sandbox.channel import READY, Channel, encode
from engine.bpmn.sandbox.checks import ScriptRejected
from engine.bpmn.sandbox.output import MAX_OUTPUT_BYTES
from engine.errors import HotlineError

DEFAULT_TIME_LIMIT = 1.0
DEFAULT_MEMORY_LIMIT_MB = 64
DEFAULT_POOL_SIZE = 2
START_TIMEOUT = 30.0  # a child imports the sandbox's modules before it says it is ready
CALLS_PER_CHILD = 5_000  # a child is replaced after this many calls (its heap only grows)
# A reply holds at most MAX_OUTPUT_BYTES of results; JSON escapes may double it.
_MAX_REPLY_BYTES = 4 * MAX_OUTPUT_BYTES + 65_536

_CHILD_MODULE = "engine.bpmn.sandbox.child"
# The directory the engine package is in: the child imports the same code as its parent.
_PROJECT_ROOT = str(Path(__file__).resolve().parents[3])
_CHILD_ENVIRONMENT = ("PATH", "LANG")  # and PYTHONPATH, with the project's root first


class ScriptTimeout(HotlineError, RuntimeError):
    """A script ran longer than the sandbox allows."""

    code = "script-timeout"


class ScriptTooLarge(ScriptRejected):
    """A script needed more memory than the sandbox allows."""

    code = "script-too-large"


class SandboxUnavailable(HotlineError, RuntimeError):
    """A sandbox process could not be started."""

    code = "sandbox-unavailable"


# The exceptions a script's error is raised as in the parent; anything else becomes a RuntimeError.
_SCRIPT_ERRORS: dict[str, type[Exception]] = {
    cls.__name__: cls
    for cls in (
        ArithmeticError,
        AssertionError,
        AttributeError,
        IndexError,
        KeyError,
        LookupError,
        NameError,
        OverflowError,
        TypeError,
        UnboundLocalError,
        ValueError,
        ZeroDivisionError,
    )
}


@dataclass(frozen=True)
class Limits:
    time_limit: float = DEFAULT_TIME_LIMIT
    memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB
    size: int = DEFAULT_POOL_SIZE


@dataclass
class _Child:
    process: subprocess.Popen[bytes]
    conn: Channel
    baseline: int
    calls: int = 0


def _child_environment() -> dict[str, str]:
    """What the child's interpreter needs to find the project, and none of the parent's settings
    (database URLs, secret keys)."""
    environment = {name: os.environ[name] for name in _CHILD_ENVIRONMENT if name in os.environ}
    paths = [_PROJECT_ROOT, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    environment["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return environment


def _launch(memory: int, cpu: float) -> tuple[subprocess.Popen[bytes], Channel]:
    """Start one child; the parent's channel to it."""
    if not sys.executable:
        raise SandboxUnavailable("no Python interpreter to start a sandbox process with")
    to_child_r, to_child_w = os.pipe()  # not inheritable (PEP 446): only pass_fds reach the child
    to_parent_r, to_parent_w = os.pipe()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", _CHILD_MODULE, str(to_child_r), str(to_parent_w), str(memory), f"{cpu:g}"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=None,  # the child's tracebacks reach the server's log
            pass_fds=(to_child_r, to_parent_w),
            close_fds=True,
            cwd="/",
            env=_child_environment(),
            start_new_session=True,
        )
    except OSError as err:
        for fd in (to_child_r, to_child_w, to_parent_r, to_parent_w):
            os.close(fd)
        raise SandboxUnavailable(f"a sandbox process did not start: {err}") from err
    os.close(to_child_r)
    os.close(to_parent_w)
    return process, Channel(to_parent_r, to_child_w)


def _reap(process: subprocess.Popen[bytes], kill: bool, wait: float | None = None) -> None:
    """End a child (SIGKILL if `kill`, or after `wait` seconds) and wait for it: no zombies."""
    if kill:
        process.kill()
    try:
        process.wait(wait)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class SandboxPool:
    """Sandbox processes for one set of limits; thread-safe; `close()` ends them."""

    def __init__(self, limits: Limits = Limits()) -> None:
        self.limits = limits
        self._idle: list[_Child] = []
        self._count = 0
        self._closed = False
        self._lock = threading.Condition()
        self._pid = os.getpid()
        self.started = 0  # children started, replacements included (tests read it)
        _EVERY_POOL.add(self)

    def _forget_if_forked(self) -> None:
        """A pool copied into a forked process (a pre-forking server) must not share its parent's
        children: the copy closes its duplicates of their channels (the parent's close() must reach
        them), forgets them (they are the parent's to end) and starts its own."""
        if self._pid != os.getpid():
            self._pid = os.getpid()
            for child in self._idle:
                child.conn.close()
                _NOT_OURS.append(child.process)
            self._idle = []
            self._count = 0
            self._lock = threading.Condition()  # another thread may have held it at the fork

    # --- children ---------------------------------------------------------------------------------

    def _start(self) -> _Child:
        memory = self.limits.memory_limit_mb * 1024 * 1024
        cpu = max(1.0, self.limits.time_limit * 2)
        process, conn = _launch(memory, cpu)
        try:
            if not conn.poll(START_TIMEOUT):
                raise SandboxUnavailable("a sandbox process did not start")
            try:
                hello = json.loads(conn.recv_bytes(4096))
            except (EOFError, OSError, ValueError) as err:
                raise SandboxUnavailable(f"a sandbox process did not start: {err!r}") from err
            if not isinstance(hello, dict) or not hello.get(READY):
                raise SandboxUnavailable("a sandbox process did not start")
        except BaseException:
            conn.close()
            _reap(process, kill=True)
            raise
        self.started += 1
        return _Child(process, conn, int(hello.get("baseline", 0)))

    @staticmethod
    def _end(child: _Child, kill: bool) -> None:
        """Close the channel (a child ends when it reads its end) and reap the process; one that
        does not end within a second is killed."""
        if kill:
            child.process.kill()
        child.conn.close()
        _reap(child.process, kill=False, wait=None if kill else 1.0)

    def _acquire(self) -> _Child:
        self._forget_if_forked()
        with self._lock:
            while True:
                if self._closed:
                    raise SandboxUnavailable("the sandbox pool is closed")
                if self._idle:
                    return self._idle.pop()
                if self._count < self.limits.size:
                    self._count += 1
                    break
                self._lock.wait()
        try:
            return self._start()
        except BaseException:
            with self._lock:
                self._count -= 1
                self._lock.notify()
            raise

    def _release(self, child: _Child | None) -> None:
        """Back to the idle list, or (None) a child that was ended: a new one is started at once,
        so the next call finds a ready process."""
        replacement = None
        if child is None:
            try:
                replacement = self._start()
            except SandboxUnavailable:
                replacement = None
        with self._lock:
            back = child or replacement
            if back is None:
                self._count -= 1
            elif self._closed:
                self._end(back, kill=True)
                self._count -= 1
            else:
                self._idle.append(back)
            self._lock.notify()

    def warm_up(self) -> None:
        """Start one child now (a server does it at start-up; otherwise the first script does)."""
        self._release(self._acquire())

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            self._count -= len(idle)
            self._lock.notify_all()
        for child in idle:
            self._end(child, kill=False)

    def pids(self) -> list[int]:
        with self._lock:
            return [c.process.pid for c in self._idle]

    # --- one call ---------------------------------------------------------------------------------

    def run(self, payload: bytes, functions: Mapping[str, Callable[..., Any]]) -> dict[str, Any]:
        """Send one request (engine.bpmn.sandbox.channel.encode) and answer the child's calls until it
        replies; ScriptTimeout past the deadline, ScriptTooLarge past the memory cap, ScriptRejected
        or the script's own error otherwise."""
        child = self._acquire()
        keep = False
        try:
            reply = self._exchange(child, payload, functions)
            keep = reply.get("kind") != "memory" and child.calls < CALLS_PER_CHILD
        finally:
            if keep:
                self._release(child)
            else:
                self._end(child, kill=True)
                self._release(None)
        return _outcome(reply, self.limits)

    def _exchange(
        self, child: _Child, payload: bytes, functions: Mapping[str, Callable[..., Any]]
    ) -> dict[str, Any]:
        limit = self.limits.time_limit
        deadline = time.monotonic() + limit
        child.calls += 1
        try:
            child.conn.send_bytes(payload)
        except OSError as err:
            raise SandboxUnavailable(f"the sandbox process is gone: {err}") from err
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not child.conn.poll(remaining):
                raise ScriptTimeout(f"script ran longer than {limit:g} s")
            try:
                message = json.loads(child.conn.recv_bytes(_MAX_REPLY_BYTES))
            except EOFError:
                return self._died(child)
            except OSError as err:  # longer than any allowed reply
                raise ScriptRejected(
                    f"the script's results are larger than {MAX_OUTPUT_BYTES // 1024} KB"
                ) from err
            except (ValueError, RecursionError) as err:
                raise ScriptRejected("the sandbox process sent something that is no result") from err
            if not isinstance(message, dict):
                raise ScriptRejected("the sandbox process sent something that is no result")
            if "call" not in message:
                return message
            child.conn.send_bytes(encode(_answer(message, functions)))

    def _died(self, child: _Child) -> dict[str, Any]:
        """A child that ended mid-call: killed by its processor-time backstop (SIGXCPU), or
        otherwise by running out of memory where Python could not raise MemoryError."""
        try:
            code = child.process.wait(5)
        except subprocess.TimeoutExpired:
            code = None  # run() kills and reaps it
        if code == -signal.SIGXCPU:
            raise ScriptTimeout(f"script ran longer than {self.limits.time_limit:g} s")
        return {"ok": False, "kind": "memory", "type": "killed", "message": str(code)}


def _answer(message: dict[str, Any], functions: Mapping[str, Callable[..., Any]]) -> dict[str, Any]:
    """A function call the child asked for: only the functions of this call, with JSON arguments."""
    name = message.get("call")
    function = functions.get(name) if isinstance(name, str) else None
    args = message.get("args")
    if function is None or not isinstance(args, list):
        return {"ok": False, "type": "NameError", "message": f"no function {name!r}"}
    try:
        return {"ok": True, "value": function(*args)}
    except Exception as err:  # noqa: BLE001 - the script sees the lookup's error as its own
        return {"ok": False, "type": type(err).__name__, "message": str(err)}


def _outcome(reply: dict[str, Any], limits: Limits) -> dict[str, Any]:
    if reply.get("ok"):
        return reply
    kind, message = reply.get("kind"), str(reply.get("message", ""))
    if kind == "memory":
        raise ScriptTooLarge(f"the script used more than {limits.memory_limit_mb} MB of memory")
    if kind == "rejected":
        raise ScriptRejected(message)
    error = _SCRIPT_ERRORS.get(str(reply.get("type")))
    if error is None:
        raise RuntimeError(f"{reply.get('type')}: {message}")
    raise error(message)


_EVERY_POOL: weakref.WeakSet[SandboxPool] = weakref.WeakSet()
# In a forked copy: the parent's sandbox processes, never waited for (they are not the copy's
# children) and kept so that subprocess does not warn, when they are dropped, that they still run.
_NOT_OURS: list[subprocess.Popen[bytes]] = []


def _after_fork_in_child() -> None:
    """After os.fork(): the parent's sandbox processes are not the copy's to use or to end at exit.
    Every pool in the copy forgets them and starts its own on first use."""
    for pool in list(_EVERY_POOL):
        pool._forget_if_forked()
    global _POOLS_LOCK
    _POOLS_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)

_POOLS: dict[Limits, SandboxPool] = {}
_POOLS_LOCK = threading.Lock()


def shared_pool(limits: Limits = Limits()) -> SandboxPool:
    """The process's pool for these limits, made on first use (its children start on first call)."""
    with _POOLS_LOCK:
        pool = _POOLS.get(limits)
        if pool is None or pool._closed:
            pool = _POOLS[limits] = SandboxPool(limits)
        return pool


@atexit.register
def close_all_pools() -> None:
    """Every pool's children end: the shared pools' and those of pools made on their own."""
    with _POOLS_LOCK:
        pools = {*_POOLS.values(), *_EVERY_POOL}
        _POOLS.clear()
    for pool in pools:
        pool.close()
