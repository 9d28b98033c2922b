"""hotline backup / restore (issue 17, a production run): a backup made while another process keeps
recording cases and attaching photos, restored in another home folder, holds every case, event and
attachment committed before it began, and every attachment it names has its file."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hotline.cli import main
from tests.cli.conftest import DEMO_DATABASE, Demo
from tests.helpers import PROJECT_ROOT


def _read(database: Path, query: str) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(database, timeout=30)
    try:
        return connection.execute(query).fetchall()
    finally:
        connection.close()


def _case_count(database: Path) -> int:
    return int(_read(database, "SELECT count(*) FROM process_instance")[0][0])


def _wait_for(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    ends = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < ends, f"timed out waiting: {what}"
        time.sleep(0.05)


def test_a_backup_of_a_running_demo_restores_every_case_event_and_attachment(
    demo: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / DEMO_DATABASE
    demo_cases = _case_count(database)
    stop = tmp_path / "stop-writing"
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.cli.backup_writer", str(stop)], cwd=PROJECT_ROOT, env=dict(os.environ)
    )
    try:
        _wait_for(lambda: _case_count(database) >= demo_cases + 3, "the writer records cases")
        cases_before = set(_read(database, "SELECT id, case_number FROM process_instance"))
        events_before = set(_read(database, "SELECT id, instance_id, kind FROM event"))
        attachments_before = set(_read(database, "SELECT id, instance_id, sha256 FROM attachment"))

        made = CliRunner().invoke(main, ["backup", str(tmp_path / "backups" / "monday")])
        assert made.exit_code == 0, made.output
        assert "backed up into" in made.output

        at_backup = _case_count(database)
        _wait_for(lambda: _case_count(database) > at_backup, "the writer goes on after the backup")
        assert writer.poll() is None, "the writer ran throughout, never locked out"
    finally:
        stop.touch()
        writer.wait(timeout=60)
    assert writer.returncode == 0

    elsewhere = tmp_path / "elsewhere"
    monkeypatch.setenv("HOTLINE_HOME", str(elsewhere))
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite:///{elsewhere / 'hotline.db'}")
    restored = CliRunner().invoke(main, ["restore", str(tmp_path / "backups" / "monday")])
    assert restored.exit_code == 0, restored.output

    copy = elsewhere / "hotline.db"
    assert cases_before <= set(_read(copy, "SELECT id, case_number FROM process_instance"))
    assert events_before <= set(_read(copy, "SELECT id, instance_id, kind FROM event"))
    assert attachments_before <= set(_read(copy, "SELECT id, instance_id, sha256 FROM attachment"))
    assert _read(copy, "PRAGMA integrity_check") == [("ok",)]
    assert not _read(copy, "SELECT id FROM event WHERE instance_id NOT IN (SELECT id FROM process_instance)")
    for (digest,) in _read(copy, "SELECT DISTINCT sha256 FROM attachment"):
        stored = elsewhere / "attachments" / str(digest)[:2] / str(digest)
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == digest, "every named file came along"

    again = CliRunner().invoke(main, ["restore", str(tmp_path / "backups" / "monday")])
    assert again.exit_code == 1 and "--replace" in again.output, "cases are not overwritten by accident"
    listed = CliRunner().invoke(main, ["timers"])
    assert listed.exit_code == 0, "the restored installation runs"


def test_a_backup_goes_into_a_new_folder_only(demo: Demo, tmp_path: Path) -> None:
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "something").write_text("kept")
    refused = CliRunner().invoke(main, ["backup", str(taken)])
    assert refused.exit_code == 1 and "not empty" in refused.output
    assert [p.name for p in taken.iterdir()] == ["something"]


def test_postgresql_is_backed_up_with_its_own_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_HOME", str(tmp_path))
    monkeypatch.setenv("HOTLINE_DATABASE_URL", "postgresql+psycopg://hotline@db.example/hotline")
    refused = CliRunner().invoke(main, ["backup", str(tmp_path / "b")])
    assert refused.exit_code == 1 and "pg_dump" in refused.output
    assert not (tmp_path / "b").exists()
