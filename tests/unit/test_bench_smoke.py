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


def test_the_tasklist_benchmark_runs_on_sqlite(tmp_path: Path) -> None:
    from bench.tasklist_bench import main as tasklist_main

    out = tmp_path / "t.json"
    assert tasklist_main(["--cases", "200", "--repeat", "1", "--no-postgres", "--json", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert (
        report["cases"] == 200
        and [row["what"] for row in report["sqlite"]][0] == "tasklist (todo tab, first page)"
    )


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


def test_the_state_benchmark_runs_on_sqlite(tmp_path: Path) -> None:
    from bench.state_bench import main as state_main

    out = tmp_path / "st.json"
    assert state_main(["--loops", "1", "3", "--json", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert set(report["bytes_after_loops"]) == {"1", "3"} and report["closed_status"] == "completed"
