"""Attached files are written before their row commits, so a rolled-back upload leaves a file no row
refers to. The sweep (scheduler, daily; `hotline attachments --sweep`) deletes such files once they are
older than the grace period, and leaves referenced files and young ones alone."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.attachments import add_attachment, stored_path, sweep_orphans
from engine.cases.runner import start_case
from engine.clock import SettableClock
from engine.db.models import Attachment, ProcessDefinition
from engine.runtime import Runtime
from engine.supervision.handover import ShiftSettings
from engine.supervision.shifts import parse_shift_changes
from hotline.cli import main
from hotline.scheduling import add_jobs, sweep_attachments
from tests.helpers import OPERATOR, intake_form

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR"


def photo(n: int) -> bytes:
    return PNG + bytes([n]) * 32


def aged(path: Path, now: datetime, hours: float) -> Path:
    when = (now - timedelta(hours=hours)).timestamp()
    os.utime(path, (when, when))
    return path


def store_three(
    sessions: sessionmaker[Session], runtime: Runtime, folder: Path, now: datetime
) -> tuple[Path, Path, Path]:
    """(referenced and old, unreferenced and young, unreferenced and old), written as uploads would."""
    with sessions.begin() as session:
        case = start_case(session, runtime, "complaint", OPERATOR, intake_form())
        kept = add_attachment(session, folder, case.id, None, "kept.png", photo(1), "op1", now)
        case_id = case.id
    orphans = []
    for n in (2, 3):
        session = sessions()
        add_attachment(session, folder, case_id, None, f"lost{n}.png", photo(n), "op1", now)
        session.rollback()  # the upload's transaction failed after the file was written
        session.close()
        orphans.append(stored_path(folder, hashlib.sha256(photo(n)).hexdigest()))
    referenced = stored_path(folder, kept.sha256)
    return aged(referenced, now, 48), aged(orphans[0], now, 1), aged(orphans[1], now, 25)


def test_the_sweep_removes_only_old_unreferenced_files(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    deployed: ProcessDefinition,
    tmp_path: Path,
) -> None:
    folder = tmp_path / "attachments"
    referenced, young, old = store_three(sessions, runtime, folder, clock.now())
    assert referenced.exists() and young.exists() and old.exists()

    with sessions() as session:
        assert sweep_orphans(session, folder, clock.now(), remove=False) == [old]
    assert old.exists()
    with sessions() as session:
        assert sweep_orphans(session, folder, clock.now()) == [old]
    assert referenced.exists() and young.exists() and not old.exists()

    with sessions() as session:  # a shorter grace period takes the young one too, never the referenced one
        assert sweep_orphans(session, folder, clock.now(), timedelta(minutes=30)) == [young]
    assert referenced.exists()


def test_uploading_an_old_orphan_again_makes_it_young(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    deployed: ProcessDefinition,
    tmp_path: Path,
) -> None:
    """The same bytes uploaded again are stored once: the new upload must keep the file from the sweep."""
    folder = tmp_path / "attachments"
    _referenced, _young, old = store_three(sessions, runtime, folder, clock.now())
    with sessions() as session:
        case_id = session.scalar(select(Attachment.instance_id))
        add_attachment(session, folder, case_id, None, "again.png", photo(3), "op1", clock.now())
        session.rollback()  # rolled back too, this time: the file is as young as the upload
    with sessions() as session:
        assert old not in sweep_orphans(
            session, folder, datetime.now().astimezone()
        )  # the file's time is real
    assert old.exists()


def test_the_scheduler_sweeps_once_a_day(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, deployed: ProcessDefinition
) -> None:
    assert runtime.attachment_folder is not None
    referenced, young, old = store_three(sessions, runtime, runtime.attachment_folder, clock.now())
    scheduler = BackgroundScheduler(timezone="UTC")
    add_jobs(
        scheduler, runtime, sessions, 5.0, ShiftSettings(parse_shift_changes("08:00,20:00"), runtime.zone)
    )
    job = scheduler.get_job("sweep_attachments")
    assert job is not None and job.trigger.interval == timedelta(hours=24) and job.max_instances == 1
    assert sweep_attachments(runtime, sessions) == [str(old)]
    assert referenced.exists() and young.exists() and not old.exists()


@pytest.mark.real_commits
def test_the_command_lists_and_sweeps(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    database_url: str,
    deployed: ProcessDefinition,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOTLINE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HOTLINE_DATABASE_URL", database_url)
    now = datetime.now().astimezone()  # the command runs on the system clock
    referenced, young, old = store_three(sessions, runtime, tmp_path / "home" / "attachments", now)

    listed = CliRunner().invoke(main, ["attachments"])
    assert listed.exit_code == 0, listed.output
    assert f"unreferenced {old}" in listed.output and old.exists()

    swept = CliRunner().invoke(main, ["attachments", "--sweep", "--older-than-hours", "24"])
    assert swept.exit_code == 0, swept.output
    assert swept.output.splitlines()[0] == f"removed {old}"
    assert "1 unreferenced file(s) older than 24 h removed" in swept.output
    assert referenced.exists() and young.exists() and not old.exists()
