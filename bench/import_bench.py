"""Customer register import benchmark: a billing system's export of N customers (100,000 by default),
as CSV and as XLSX, imported with `engine.people.import_customers` into an empty register, then the same
file again (every row unchanged), on SQLite and PostgreSQL. The goal (issue 17 item 5): under a minute
for 100,000 rows.

    python -m bench.import_bench                   # 100,000 rows on SQLite
    python -m bench.import_bench --postgres URL    # and on the PostgreSQL database at URL
    python -m bench.import_bench --rows 2000       # smoke run

The PostgreSQL run DROPS AND RECREATES the schema `public` of the database it is given.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook

from bench.databases import fresh_schema
from engine.clock import SettableClock
from engine.db import make_engine, make_session_factory, upgrade
from engine.people import import_customers, read_rows

HEADER = [
    "account",
    "name",
    "phone",
    "district",
    "building",
    "unit",
    "room",
    "heated_area",
    "meter_no",
    "service",
]
RESULTS = Path(__file__).parent / "results"


def _rows(count: int) -> list[list[object]]:
    return [
        [
            f"H{n:08d}",
            f"客户{n}",
            f"138{n:08d}",
            f"小区{n % 97}",
            f"{n % 40}号楼",
            f"{n % 6}单元",
            f"{n % 30}",
            60 + n % 90,
            f"M{n:07d}",
            "供暖" if n % 3 else "供水",
        ]
        for n in range(count)
    ]


def _write_files(folder: Path, rows: list[list[object]]) -> dict[str, Path]:
    csv_path = folder / "register.csv"
    with csv_path.open("w", encoding="utf-8-sig") as out:
        out.write(",".join(HEADER) + "\n")
        for row in rows:
            out.write(",".join(str(v) for v in row) + "\n")
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    xlsx_path = folder / "register.xlsx"
    book.save(xlsx_path)
    return {"csv": csv_path, "xlsx": xlsx_path}


def _timed_import(url: str, path: Path) -> tuple[float, float, dict[str, int]]:
    """Wall-clock seconds, this process's CPU seconds (the machine is shared: CPU time says what the
    import itself costs here; PostgreSQL's own work is in the wall clock only), and the counts."""
    database = make_engine(url)
    factory = make_session_factory(database)
    clock = SettableClock()
    started, cpu_started = time.perf_counter(), time.process_time()
    with factory.begin() as session:
        result = import_customers(session, clock, "bench", read_rows(path), path.name)
    took, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    database.dispose()
    return took, cpu, result.as_counts()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--postgres", default=None, help="also on this PostgreSQL database (schema dropped)")
    parser.add_argument(
        "--json", type=Path, default=RESULTS / "import_bench.json", help="where the figures go"
    )
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        files = _write_files(folder, _rows(args.rows))
        backends = {}
        if args.postgres:
            backends["postgresql"] = args.postgres
        for kind in files:
            backends_here = {"sqlite": f"sqlite:///{folder / f'{kind}.db'}", **backends}
            for backend, url in backends_here.items():
                if backend == "postgresql":
                    fresh_schema(url)
                database = make_engine(url)
                upgrade(database)
                database.dispose()
                for run in ("first", "again"):
                    took, cpu, counts = _timed_import(url, files[kind])
                    results.append(
                        {
                            "file": kind,
                            "backend": backend,
                            "run": run,
                            "rows": args.rows,
                            "seconds": round(took, 2),
                            "cpu_seconds": round(cpu, 2),
                            "rows_per_s": round(args.rows / took),
                            **counts,
                        }
                    )
    print(
        f"{'file':<5} {'backend':<11} {'run':<6} {'rows':>8} {'seconds':>8} {'cpu s':>8} {'rows/s':>8}  "
        "added/updated/unchanged/rejected"
    )
    for r in results:
        print(
            f"{r['file']:<5} {r['backend']:<11} {r['run']:<6} {r['rows']:>8} {r['seconds']:>8} "
            f"{r['cpu_seconds']:>8} {r['rows_per_s']:>8}  "
            f"{r['added']}/{r['updated']}/{r['unchanged']}/{r['rejected']}"
        )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
