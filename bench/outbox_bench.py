"""Outbox benchmark: one outage announced to 10,000 customers, the SMS sent by two sender processes on
PostgreSQL to a local HTTP gateway. Reports messages per second, duplicates (must be 0), how long the
announcing unit of work took and the time from the announcement to the last message at the gateway.

Setup, not timed: a fresh schema, outage.bpmn deployed, N customers with a phone in one district. Then,
timed: the dispatcher registers a fault outage for the district (one unit of work: the case, the notice,
its N recipients and N outbox rows); as soon as it commits, `--senders` processes run the outbox's real
sender (engine.messaging.send_due_messages: claims with SKIP LOCKED and a lease, one commit per message
marking it sending and recording the one before; hotline.scheduling.send_messages, the worker's job,
with its sending threads) until nothing is due, each through an HTTP SMS gateway
pointed at a server in this process that records every request's idempotency key and when it came.

The run uses its own database (default: the test database's name + `_outbox_bench`, created when
missing) and DROPS AND RECREATES its schema `public`.

    python -m bench.outbox_bench                       # 10,000 SMS, 2 senders
    python -m bench.outbox_bench --messages 500        # smoke run
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import make_url

from bench.databases import fresh_schema, own_database
from engine.cases import start_case
from engine.clock import SystemClock
from engine.db import Customer, make_engine, make_session_factory, upgrade
from engine.messaging import HttpSmsGateway, HttpSmsSettings, Throttle
from engine.processes import deploy
from engine.runtime import Actor, Runtime
from hotline.scheduling import SENDING_THREADS, send_messages

POSTGRES_ENV = "HOTLINE_TEST_DATABASE_URL"
RESULTS = Path(__file__).parent / "results"
OUTAGE = Path(__file__).parents[1] / "processes" / "outage.bpmn"
DISPATCHER = Actor("bench", frozenset({"dispatcher"}))
IDLE_END = 2.0  # seconds a sender goes on finding nothing due before it stops
COLUMNS = (
    ("messages", 9),
    ("senders", 8),
    ("announce_s", 11),
    ("sent_per_s", 11),
    ("to_last_s", 10),
    ("received", 9),
    ("duplicates", 11),
    ("not_sent", 9),
)


class Gateway:
    """The SMS gateway: answers 200 and records (idempotency key, monotonic time) of every request."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[tuple[str, float]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                with gateway.lock:
                    gateway.received.append((body["id"], time.monotonic()))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def prepare(url: str, messages: int) -> None:
    fresh_schema(url)
    database = make_engine(url)
    upgrade(database)
    factory = make_session_factory(database)
    runtime = Runtime(clock=SystemClock())
    with factory.begin() as session:
        deploy(session, runtime, OUTAGE.read_bytes(), str(OUTAGE), "bench")
        session.execute(
            insert(Customer),
            [
                {
                    "account_no": f"B-{n:06d}",
                    "name": f"用户{n}",
                    "phone": f"139{n:08d}",
                    "district": "基准区",
                    "building": f"{n // 100}号楼",
                    "unit": "1单元",
                }
                for n in range(messages)
            ],
        )
    database.dispose()


def sender(url: str, gateway_url: str, name: str, rate: float, threads: int | None, counts: Any) -> None:
    factory = make_session_factory(make_engine(url))
    runtime = Runtime(clock=SystemClock())
    gateway = HttpSmsGateway(
        HttpSmsSettings(url=gateway_url, body_template='{"phone": "{phone}", "id": "{id}"}')
    )
    throttles = {"sms": Throttle(rate)} if rate > 0 else {}
    sent, idle_since = 0, time.monotonic()
    while time.monotonic() - idle_since < IDLE_END:
        done = send_messages(runtime, factory, {"sms": gateway}, throttles, name, threads)
        sent += done.sent
        if done.sent:
            idle_since = time.monotonic()
        else:
            time.sleep(0.1)
    counts[name] = sent


def run(url: str, messages: int, senders: int, rate: float, threads: int | None) -> dict[str, Any]:
    prepare(url, messages)
    gateway = Gateway()
    database = make_engine(url)
    factory = make_session_factory(database)
    runtime = Runtime(clock=SystemClock())
    form = {
        "service": "water",
        "outage_type": "fault",
        "district": "基准区",
        "building": "",
        "unit": "",
        "cause": "主管道爆裂",
        "starts_at": "2026-12-07T08:00",
        "estimated_restore_at": "2026-12-07T20:00",
    }
    context = multiprocessing.get_context("spawn")
    counts = context.Manager().dict()
    started = time.monotonic()
    with factory.begin() as session:
        start_case(session, runtime, "outage", DISPATCHER, first_task_form=form)
    announced = time.monotonic()
    processes = [
        context.Process(target=sender, args=(url, gateway.url, f"sender-{n}", rate, threads, counts))
        for n in range(1, senders + 1)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    gateway.server.shutdown()
    database.dispose()
    keys = Counter(key for key, _at in gateway.received)
    first = min(at for _key, at in gateway.received) if gateway.received else announced
    last = max(at for _key, at in gateway.received) if gateway.received else announced
    return {
        "messages": messages,
        "senders": senders,
        "rate_per_sender": rate,
        "threads_per_sender": threads if threads is not None else SENDING_THREADS,
        "announce_s": round(announced - started, 2),
        "sent_per_s": round(len(keys) / (last - first), 1) if last > first else 0.0,
        "to_last_s": round(last - announced, 2),
        "received": len(gateway.received),
        "duplicates": len(gateway.received) - len(keys),
        "not_sent": messages - len(keys),
        "sent_per_sender": dict(counts),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000, help="affected customers, one SMS each")
    parser.add_argument("--senders", type=int, default=2, help="sender processes")
    parser.add_argument("--rate", type=float, default=0.0, help="SMS per second per sender (0: no throttle)")
    parser.add_argument(
        "--threads", type=int, default=None, help=f"sending threads per sender (default {SENDING_THREADS})"
    )
    parser.add_argument("--postgres", metavar="URL", default=os.environ.get(POSTGRES_ENV))
    parser.add_argument("--database", help="database name to use (default: <test database>_outbox_bench)")
    parser.add_argument("--json", type=Path, default=RESULTS / "outbox_bench.json")
    args = parser.parse_args(argv)
    if not args.postgres:
        print(f"needs PostgreSQL: pass --postgres URL or set {POSTGRES_ENV}", file=sys.stderr)
        return 2
    url = own_database(args.postgres, args.database or f"{make_url(args.postgres).database}_outbox_bench")
    print(
        f"one outage to {args.messages} customers, {args.senders} sender processes on PostgreSQL, a local HTTP "
        "gateway. announce_s: the announcing unit of work; sent_per_s: distinct messages at the gateway ÷ "
        "(last − first arrival); to_last_s: from the announcement's commit to the last message at the gateway "
        "(aim: duplicates 0, not_sent 0)",
        flush=True,
    )
    result = run(url, args.messages, args.senders, args.rate, args.threads)
    print("  ".join(f"{name:>{width}}" for name, width in COLUMNS))
    print("  ".join(f"{result[name]!s:>{width}}" for name, width in COLUMNS))
    load = os.getloadavg()
    print(f"sent per sender: {result['sent_per_sender']}; load average {load[0]:.1f}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"written {args.json}")
    return 0 if result["duplicates"] == 0 and result["not_sent"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
