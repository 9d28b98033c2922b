"""The entry point of a sandbox process: engine.bpmn.sandbox.pool starts it as

    python -m engine.bpmn.sandbox.child READ_FD WRITE_FD MEMORY_BYTES CPU_SECONDS

with the two pipe ends of its channel (engine.bpmn.sandbox.channel) as its only open descriptors
beside stdin and stdout (/dev/null) and stderr. A child limits its own address space (RLIMIT_AS: what it uses once started plus the memory cap) and
its processor time (RLIMIT_CPU, renewed before every call: a backstop behind the parent's wall-clock
deadline), then answers requests until its connection closes. Every message is JSON, so a child
can send its parent nothing but data:

    parent → child   {"mode", "source", "context", "external", "functions", "local", "now", "zone"}
    child → parent   {"call": name, "args": [...]}            a function the parent answers
    parent → child   {"ok": true, "value": ...} | {"ok": false, "type", "message"}
    child → parent   {"ok": true, "value": ...} (an expression) | {"ok": true, "changed": {...}}
                     | {"ok": false, "kind": "rejected" | "memory" | "error", "type", "message"}

Calendar helpers named in "local" are built in the child with the caller's `now`; every other
function (the reference lookups, which read the database) is a call back to the parent.
"""

from __future__ import annotations

import json
import resource
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from engine.bpmn.sandbox.channel import READY, Channel, encode
from engine.bpmn.sandbox.checks import CompileMode, ScriptRejected, _compile
from engine.bpmn.sandbox.functions import FixedClock, calendar_functions
from engine.bpmn.sandbox.output import build_scope, changed_values, json_value


def address_space_bytes() -> int:
    """The process's virtual memory size now (what RLIMIT_AS limits)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[0])
    return pages * resource.getpagesize()


def _limit_cpu(soft: int) -> None:
    _current, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


_CALLBACK_ERRORS: dict[str, type[Exception]] = {
    "LookupError": LookupError,
    "KeyError": KeyError,
    "ValueError": ValueError,
    "TypeError": TypeError,
    "NameError": NameError,
}


class _Callback:
    """A function the parent runs: the child sends the call and waits for the answer."""

    def __init__(self, conn: Channel, name: str) -> None:
        self.conn = conn
        self.name = name

    def __call__(self, *args: Any) -> Any:
        self.conn.send_bytes(encode({"call": self.name, "args": list(args)}))
        answer = json.loads(self.conn.recv_bytes())
        if answer.get("ok"):
            return answer.get("value")
        error = _CALLBACK_ERRORS.get(str(answer.get("type")), RuntimeError)
        raise error(str(answer.get("message", "")))


def _functions(conn: Channel, request: dict[str, Any]) -> dict[str, Callable[..., Any]]:
    local: dict[str, Callable[..., Any]] = {}
    if request.get("now") and request.get("zone"):
        clock = FixedClock(datetime.fromisoformat(request["now"]))
        local = calendar_functions(clock, ZoneInfo(request["zone"]))
    wanted_local = set(request.get("local") or ())
    return {
        name: local[name] if name in wanted_local and name in local else _Callback(conn, name)
        for name in request.get("functions") or ()
    }


def run_request(conn: Channel, request: dict[str, Any]) -> dict[str, Any]:
    mode: CompileMode = "eval" if request["mode"] == "eval" else "exec"
    source = str(request["source"])
    functions = _functions(conn, request)
    before: dict[str, Any] = request.get("context") or {}
    # A second copy for the script: a list it changes in place must still differ from `before`.
    context = json.loads(json.dumps(before))
    scope = build_scope(functions, context, request.get("external"))
    code = _compile(source, mode)
    if mode == "eval":
        return {"ok": True, "value": json_value("the expression's value", eval(code, scope))}
    exec(code, scope)
    hidden = set(functions) | set(request.get("external") or {})
    changed = changed_values(scope, before, hidden, same=lambda old, new: bool(old == new))
    return {"ok": True, "changed": changed}


def _failure(kind: str, err: BaseException) -> dict[str, Any]:
    return {"ok": False, "kind": kind, "type": type(err).__name__, "message": str(err)[:2000]}


def serve(conn: Channel, memory_limit: int, cpu_seconds: float) -> None:
    """The child's main loop: limit itself, say it is ready, answer until the parent hangs up."""
    try:
        baseline = address_space_bytes()
    except OSError:  # no /proc (not Linux): the wall-clock deadline and RLIMIT_CPU still hold
        baseline, limit = 0, 0
    else:
        limit = baseline + memory_limit
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    conn.send_bytes(encode({READY: True, "baseline": baseline, "limit": limit}))
    while True:
        try:
            raw = conn.recv_bytes()
        except (EOFError, OSError):
            return
        # The processor-time backstop: what this child has used so far plus this call's share.
        _limit_cpu(int(_cpu_seconds() + cpu_seconds) + 1)
        try:
            reply = run_request(conn, json.loads(raw))
            message = encode(reply)
        except MemoryError as err:
            message = encode(_failure("memory", err))
        except ScriptRejected as err:
            message = encode(_failure("rejected", err))
        except RecursionError as err:
            message = encode(_failure("rejected", err))
        except Exception as err:  # noqa: BLE001 - whatever the script raises is the process owner's to fix
            message = encode(_failure("error", err))
        try:
            conn.send_bytes(message)
        except OSError:  # the parent hung up (or killed this process's call)
            return


def main(argv: Sequence[str]) -> int:
    """`python -m engine.bpmn.sandbox.child READ_FD WRITE_FD MEMORY_BYTES CPU_SECONDS`."""
    try:
        read_fd, write_fd, memory_limit = (int(arg) for arg in argv[:3])
        cpu_seconds = float(argv[3])
    except (ValueError, IndexError):
        print(
            "usage: python -m engine.bpmn.sandbox.child READ_FD WRITE_FD MEMORY_BYTES CPU_SECONDS",
            file=sys.stderr,
        )
        return 2
    conn = Channel(read_fd, write_fd)
    try:
        serve(conn, memory_limit, cpu_seconds)
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
