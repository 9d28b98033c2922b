"""The engine benchmark still runs end to end (a smoke run; its figures are not judged here)."""

from __future__ import annotations

import json
from pathlib import Path

from bench.engine_bench import main


def test_the_engine_benchmark_runs_on_sqlite(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    argv = ["--cases", "3", "--repeat", "1", "--warmup", "1", "--no-postgres", "--script-calls", "20"]
    assert main([*argv, "--json", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert "in-memory" in json.dumps(report) and "sqlite" in json.dumps(report)
    assert [row["what"] for row in report["script_calls"]] == [
        "condition, in process",
        "script, in process",
        "script, sandbox process",
    ]


def test_the_engine_benchmark_measures_the_floor_of_a_unit(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    argv = ["--cases", "1", "--repeat", "1", "--warmup", "1", "--no-postgres", "--script-calls", "0"]
    assert main([*argv, "--floor", "--json", str(out)]) == 0
    (row,) = json.loads(out.read_text(encoding="utf-8"))["floor"]
    assert row["database"] == "sqlite [normal]"
    assert row["in_memory_unit_us"] > 0 and row["dumps_us"] > 0 and row["write_transaction_us"] > 0
    assert 0 < row["floor_ratio_cold"] < row["floor_ratio"] < 1


def test_the_engine_benchmark_runs_each_durability_it_is_given(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    argv = ["--cases", "1", "--repeat", "1", "--warmup", "1", "--no-postgres", "--script-calls", "0"]
    assert main([*argv, "--durability", "full", "normal", "--json", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert [row["backend"] for row in report["results"]] == ["in-memory", "sqlite [full]", "sqlite [normal]"]
    assert report["durability"] == ["full", "normal"]


def test_the_tasklist_benchmark_runs_on_sqlite(tmp_path: Path) -> None:
    from bench.tasklist_bench import main as tasklist_main

    out = tmp_path / "t.json"
    assert tasklist_main(["--cases", "200", "--repeat", "1", "--no-postgres", "--json", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["cases"] == 200 and [row["what"] for row in report["sqlite"]][0] == "handler: to do tab"


def test_the_search_benchmark_runs_on_sqlite(tmp_path: Path) -> None:
    from bench.search_bench import main as search_main

    out = tmp_path / "s.json"
    assert (
        search_main(
            ["--cases", "300", "--events-per-case", "3", "--repeat", "1", "--no-postgres", "--json", str(out)]
        )
        == 0
    )
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["events"] == 900
    rows = {row["what"]: row for row in report["sqlite"]}
    assert "part of a phone number" in rows and any(what.startswith("whole case page") for what in rows)


def test_the_process_benchmark_runs_on_sqlite(tmp_path: Path) -> None:
    from bench.process_bench import main as process_main

    out = tmp_path / "p.json"
    assert process_main(["--processes", "3", "--rounds", "1", "--warmup", "1", "--json", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    rows = {row["backend"]: row for row in report["results"]}
    assert rows["sqlite"]["processes"] == 6 and rows["in-memory"]["processes"] == 6
    assert rows["sqlite"]["ratio_vs_memory"] > 0
    # every process started and completed, each with its history
    assert report["history"]["completed"] == report["history"]["cases"] == 6 + 2
    assert report["history"]["events_per_case"] >= 3


def test_the_web_benchmark_completes_forms_through_gunicorn(tmp_path: Path) -> None:
    from bench.web_bench import main as web_main

    out = tmp_path / "w.json"
    argv = ["--completions", "4", "--rounds", "1", "--warmup", "1", "--clients", "1"]
    argv += ["--gunicorn-workers", "1", "--engine-workers", "1", "--json", str(out)]
    assert web_main(argv) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    rows = {row["side"]: row for row in report["results"]}
    assert rows["engine"]["completions"] == rows["http"]["completions"] == 4
    assert rows["http"]["ratio_vs_engine"] > 0
    assert rows["engine"]["cpu_ms_per_completion"] > 0 and rows["http"]["client_cpu_ms_per_completion"] > 0
    # every case opened for it (warm-up included) was completed: through the engine or through HTTP
    assert report["history"]["completed"] == report["history"]["cases"] == 2 * 4 + 2


def test_the_api_benchmark_completes_tasks_through_the_api_under_gunicorn(tmp_path: Path) -> None:
    from bench.api_bench import main as api_main

    out = tmp_path / "a.json"
    argv = ["--completions", "4", "--rounds", "1", "--warmup", "1", "--clients", "1"]
    argv += ["--gunicorn-workers", "1", "--engine-workers", "1", "--json", str(out)]
    assert api_main(argv) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    rows = {row["side"]: row for row in report["results"]}
    assert rows["engine"]["completions"] == rows["api"]["completions"] == 4
    assert rows["api"]["ratio_vs_engine"] > 0
    assert report["history"]["completed"] == report["history"]["cases"] == 2 * 4 + 2


def test_the_state_benchmark_runs_on_sqlite(tmp_path: Path) -> None:
    from bench.state_bench import main as state_main

    out = tmp_path / "st.json"
    assert state_main(["--loops", "1", "3", "--json", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert set(report["bytes_after_loops"]) == {"1", "3"} and report["closed_status"] == "completed"


def test_the_import_benchmark_runs_on_sqlite(tmp_path: Path) -> None:
    from bench.import_bench import main as import_main

    out = tmp_path / "i.json"
    assert import_main(["--rows", "50", "--json", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert [(r["file"], r["run"], r["added"], r["unchanged"]) for r in report] == [
        ("csv", "first", 50, 0),
        ("csv", "again", 0, 50),
        ("xlsx", "first", 50, 0),
        ("xlsx", "again", 0, 50),
    ]
    assert all(r["cpu_seconds"] >= 0 for r in report)


def test_the_call_counts_run_on_sqlite(tmp_path: Path) -> None:
    from bench.call_counts import main as counts_main

    out = tmp_path / "c.json"
    assert counts_main(["--cases", "1", "--json", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["complaint_warm"]["calls_per_case"] > 0
    # the case's message subscriptions are known from its workflow as loaded: not read; nor the
    # reference data, whose stamp comes with the case's lock
    assert report["complaint_warm"]["statements"]["department_handling"] == 10
    # opening reads the webhook subscriptions' stamp with the process's newest version
    assert report["one_task"]["statements"] == {"start": 8, "complete": 6}
    # every unit commits something: its pages are counted from the write-ahead log's frames
    pages = report["complaint_warm"]["wal_pages"]
    assert set(pages) == {"intake", "department_handling", "callback", "summarise_and_close"}
    assert all(count > 0 for count in pages.values()), pages
    assert all(count > 0 for count in report["one_task"]["wal_pages"].values())
    owners = report["complaint_warm"]["wal_pages_of_the_last_case"]["department_handling"]
    assert "process_instance" in owners and sum(owners.values()) == pages["department_handling"]
