"""What a unit of work costs, counted rather than timed: Python function calls and SQL statements per
complaint case (engine_bench's path, warm and cold cache) and per one-task process (process_bench's
path), on SQLite. Counts do not move with the machine's load, so two code trees can be compared on a
shared machine where wall and CPU times spread by ±30 %.

    python -m bench.call_counts                  # 20 cases and 60 processes after a warm-up
    python -m bench.call_counts --cases 3        # smoke run
    python -m bench.call_counts --tree ../old    # another checkout's engine, driven the same way

Calls are cProfile's count inside the units only (the task look-ups between them are left out);
statements are those sent in one unit of each kind, transaction control left out; WAL pages are the
pages each kind of unit writes into SQLite's write-ahead log (bench/wal_pages.py), the mean over the
units counted; the JSON also names, for the last case, the tables and indexes those pages belong to. `--tree` puts the
other checkout first on the import path before the engine is imported, so its engine is measured,
driven by this checkout's engine_bench and one_task.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.call_counts", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=20, help="complaint cases counted (default 20)")
    parser.add_argument("--tree", type=Path, default=None, help="measure another checkout's engine")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    return parser.parse_args(argv)


def _listening(database: Any) -> list[str]:
    from sqlalchemy import event

    sent: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if not statement.lstrip().startswith(_CONTROL):
            sent.append(" ".join(statement.split()))

    event.listen(database, "before_cursor_execute", record)
    return sent


def complaint(cases: int, cold: bool) -> dict[str, Any]:
    from bench import engine_bench as eb
    from bench.wal_pages import WalPages, without_autocheckpoint

    with tempfile.TemporaryDirectory() as directory:
        database = eb.sqlite_database(directory)
        backend = eb.prepare("sqlite", database, cold_cache=cold)
        eb.run_persisted(backend, 5)
        sent = _listening(database)
        without_autocheckpoint(database)
        wal = WalPages(Path(directory) / "bench.db")
        profile = cProfile.Profile()
        statements: dict[str, int] = {}
        pages: dict[str, int] = {}
        owners: dict[str, dict[str, int]] = {}
        for case in range(cases):
            instance_id = None
            for step in eb.STEPS:
                backend.clock.advance(eb.STEP_TIME)
                task_id = None if instance_id is None else eb.open_task_id(backend.factory, instance_id, step)
                wal.start()
                before = len(sent)
                profile.enable()
                with backend.factory.begin() as session:
                    if task_id is None:
                        instance = eb.start_case(
                            session, backend.engine, "complaint", step.actor, dict(step.form)
                        )
                    else:
                        instance = eb.complete_task(
                            session, backend.engine, task_id, step.actor, dict(step.form)
                        )
                profile.disable()
                statements[step.element_id] = len(sent) - before
                written = wal.frames()
                pages[step.element_id] = pages.get(step.element_id, 0) + len(written)
                if case == cases - 1:
                    owners[step.element_id] = wal.owners(written)
                instance_id = instance.id
        wal.close()
        database.dispose()
    return {
        "calls_per_case": round(pstats.Stats(profile).total_calls / cases),
        "statements": statements,
        "wal_pages": _mean(pages, cases),
        "wal_pages_of_the_last_case": owners,
    }


def _mean(totals: dict[str, int], count: int) -> dict[str, float]:
    return {name: round(total / count, 1) for name, total in totals.items()}


def one_task(processes: int) -> dict[str, Any]:
    from bench import one_task as ot
    from bench.wal_pages import WalPages, without_autocheckpoint

    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'one_task.db'}"
        ot.prepare_database(url)
        persisted = ot.Persisted(url)
        for _ in range(5):
            persisted.complete(persisted.start())
        sent = _listening(persisted.database)
        without_autocheckpoint(persisted.database)
        wal = WalPages(Path(directory) / "one_task.db")
        profile = cProfile.Profile()
        start = complete = 0
        pages = {"start": 0, "complete": 0}
        for _ in range(processes):
            wal.start()
            before = len(sent)
            profile.enable()
            task_id = persisted.start()
            profile.disable()
            start, before = len(sent) - before, len(sent)
            pages["start"] += len(wal.frames())
            wal.start()
            profile.enable()
            persisted.complete(task_id)
            profile.disable()
            complete = len(sent) - before
            pages["complete"] += len(wal.frames())
        wal.close()
        persisted.close()
    return {
        "calls_per_process": round(pstats.Stats(profile).total_calls / processes),
        "statements": {"start": start, "complete": complete},
        "wal_pages": _mean(pages, processes),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tree = (args.tree or ROOT).resolve()
    sys.path.insert(0, str(tree))
    figures = {
        "tree": str(tree),
        "complaint_warm": complaint(args.cases, cold=False),
        "complaint_cold": complaint(args.cases, cold=True),
        "one_task": one_task(3 * args.cases),
    }
    print(f"{tree}: calls per complaint case (warm / cold), per one-task process; statements per unit")
    for name in ("complaint_warm", "complaint_cold", "one_task"):
        row = figures[name]
        calls = row.get("calls_per_case", row.get("calls_per_process"))
        print(f"  {name:<15} {calls:>8,}  {row['statements']}")
    print("WAL pages written per unit (mean), and per case or process")
    for name in ("complaint_warm", "complaint_cold", "one_task"):
        pages = figures[name]["wal_pages"]
        print(f"  {name:<15} {sum(pages.values()):>8.1f}  {pages}")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    if __package__ in (None, ""):
        sys.path.insert(0, str(ROOT))
    sys.exit(main())
