"""A pool of long-lived sandbox processes: where scripts run that the fast path cannot bound.

Children are started from multiprocessing's `forkserver` (a clean interpreter that preloaded the
child's modules, so a child starts in milliseconds and never inherits the threads, locks or database
connections of a web or worker process). Each limits its address space to what it uses after start-up
plus the memory cap (default 64 MB) and its processor time as a backstop (engine.bpmn.sandbox.child).

The parent sends one request and waits with a wall-clock deadline (default 1 s). A child past the
deadline is killed (SIGKILL) and replaced before the call returns ScriptTimeout; a child that ran out
of memory (MemoryError, or killed by its limits) is replaced and the call raises ScriptTooLarge.
Nothing a child sends is trusted: replies are JSON of bounded length, and a child can only ask its
parent to run the functions the call offered (the reference lookups).

A pool is shared by every thread (web threads and scheduler threads): `run` takes an idle child, or
starts one while fewer than `size` exist, or waits for one. Pools are started lazily and shared per
configuration (`shared_pool`), so the many Runtimes of a test run share a few processes; all of them
are closed at interpreter exit.
"""

from __future__ import annotations

import atexit
import io
import json
import multiprocessing
import os
import signal
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from multiprocessing import forkserver, popen_forkserver, reduction, spawn, util
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerProcess, set_spawning_popen
from multiprocessing.process import BaseProcess
from typing import Any

from engine.bpmn.sandbox.checks import ScriptRejected
from engine.bpmn.sandbox.child import READY, encode, serve
from engine.bpmn.sandbox.output import MAX_OUTPUT_BYTES
from engine.errors import HotlineError

DEFAULT_TIME_LIMIT = 1.0
DEFAULT_MEMORY_LIMIT_MB = 64
DEFAULT_POOL_SIZE = 2
START_TIMEOUT = 30.0  # the forkserver's first start imports the engine
CALLS_PER_CHILD = 5_000  # a child is replaced after this many calls (its heap only grows)
# A reply holds at most MAX_OUTPUT_BYTES of results; JSON escapes may double it.
_MAX_REPLY_BYTES = 4 * MAX_OUTPUT_BYTES + 65_536

_FORKSERVER_PRELOAD = ["engine.bpmn.sandbox.child"]


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
    process: BaseProcess
    conn: Connection
    baseline: int
    calls: int = 0


def _context() -> Any:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_FORKSERVER_PRELOAD)
    return context


class _Popen(popen_forkserver.Popen):
    """multiprocessing's forkserver launch, except that the child does not import the parent's main
    module again (a `hotline` or WSGI server script): the child needs only its own, preloaded module.
    The body is popen_forkserver.Popen._launch (Python 3.11–3.13) with that one key left out."""

    def _launch(self, process_obj: Any) -> None:
        prep_data = spawn.get_preparation_data(process_obj._name)
        prep_data.pop("init_main_from_path", None)
        prep_data.pop("init_main_from_name", None)
        buf = io.BytesIO()
        set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buf)
            reduction.dump(process_obj, buf)
        finally:
            set_spawning_popen(None)
        fds: list[int] = self._fds  # type: ignore[attr-defined]  # set by popen_forkserver.Popen
        self.sentinel, w = forkserver.connect_to_new_process(fds)
        parent_w = os.dup(w)
        close_fds = util.close_fds  # type: ignore[attr-defined]  # untyped in typeshed
        self.finalizer = util.Finalize(self, close_fds, (parent_w, self.sentinel))
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _SandboxProcess(ForkServerProcess):
    @staticmethod
    def _Popen(process_obj: Any) -> Any:  # noqa: N802 - multiprocessing's name
        return _Popen(process_obj)


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
        children: the copy forgets them (they are the parent's to end) and starts its own."""
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._idle = []
            self._count = 0
            self._lock = threading.Condition()  # another thread may have held it at the fork

    # --- children ---------------------------------------------------------------------------------

    def _start(self) -> _Child:
        context = _context()
        parent_conn, child_conn = context.Pipe(duplex=True)
        memory = self.limits.memory_limit_mb * 1024 * 1024
        cpu = max(1.0, self.limits.time_limit * 2)
        process = _SandboxProcess(
            target=serve, args=(child_conn, memory, cpu), daemon=True, name="hotline-sandbox"
        )
        process.start()
        child_conn.close()
        if not parent_conn.poll(START_TIMEOUT):
            process.kill()
            process.join()
            raise SandboxUnavailable("a sandbox process did not start")
        try:
            hello = json.loads(parent_conn.recv_bytes(4096))
        except (EOFError, OSError, ValueError) as err:
            process.join(1)
            raise SandboxUnavailable(f"a sandbox process did not start: {err}") from err
        if not isinstance(hello, dict) or not hello.get(READY):
            process.kill()
            process.join()
            raise SandboxUnavailable("a sandbox process did not start")
        self.started += 1
        return _Child(process, parent_conn, int(hello.get("baseline", 0)))

    @staticmethod
    def _end(child: _Child, kill: bool) -> None:
        if kill:
            child.process.kill()
        child.conn.close()
        child.process.join(1 if not kill else None)
        if child.process.is_alive():
            child.process.kill()
            child.process.join()

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
            return [c.process.pid for c in self._idle if c.process.pid is not None]

    # --- one call ---------------------------------------------------------------------------------

    def run(self, payload: bytes, functions: Mapping[str, Callable[..., Any]]) -> dict[str, Any]:
        """Send one request (engine.bpmn.sandbox.child.encode) and answer the child's calls until it
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
        child.process.join(5)
        code = child.process.exitcode
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


def _after_fork_in_child() -> None:
    """After os.fork() (not multiprocessing's): multiprocessing's forkserver of the parent cannot be
    asked by the copy (it is not the copy's child), and the parent's sandbox processes are not the
    copy's to end at exit. The copy starts a forkserver and sandbox processes of its own."""
    server = getattr(forkserver, "_forkserver", None)
    if server is not None and getattr(server, "_forkserver_pid", None) is not None:
        alive_fd = server._forkserver_alive_fd
        server._forkserver_address = None
        server._forkserver_alive_fd = None
        server._forkserver_pid = None
        server._lock = threading.Lock()
        if alive_fd is not None:
            os.close(alive_fd)  # the copy's duplicate; the parent keeps the server alive with its own
    children = getattr(multiprocessing.process, "_children", None)
    if isinstance(children, set):
        children.difference_update({p for p in children if isinstance(p, _SandboxProcess)})
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
    with _POOLS_LOCK:
        pools = list(_POOLS.values())
        _POOLS.clear()
    for pool in pools:
        pool.close()
