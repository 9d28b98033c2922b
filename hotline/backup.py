"""Backups of the embedded (SQLite) installation: the database through SQLite's online backup API, safe
while the server and workers run and write, and the attachments folder beside it.

A backup is a folder:

    PATH/hotline.db      one self-contained database file (no -wal beside it)
    PATH/attachments/    the attached files, stored by checksum as in the home folder
    PATH/backup.json     when it was made and what it holds

The database is copied first and the attachments after: a file is written before the row that names it
is committed, so every attachment the copied database names is in the folder by the time it is copied.
Files of uploads committed meanwhile come along too; the daily sweep deletes those no case names.

PostgreSQL is backed up with its own tools (pg_dump / pg_restore, docs/operations.md).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url

DATABASE_FILE = "hotline.db"
ATTACHMENTS = "attachments"
MANIFEST = "backup.json"
_BUSY_TIMEOUT_S = 30.0
# What the manifest counts, so a restore can be checked against it.
_COUNTED = ("process_instance", "event", "attachment")


class BackupRefused(Exception):
    """A backup or restore that cannot be done as asked (the reason is the message); nothing was changed."""


@dataclass(frozen=True)
class BackupSummary:
    folder: Path
    counts: dict[str, int]
    files: int


def sqlite_path(database_url: str) -> Path:
    """The database file of a SQLite URL; BackupRefused for other databases."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise BackupRefused(
            "hotline backup and restore handle the embedded SQLite database; back up PostgreSQL "
            "with pg_dump and pg_restore (docs/operations.md)"
        )
    return Path(url.database)


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, timeout=_BUSY_TIMEOUT_S)


def _counts(connection: sqlite3.Connection) -> dict[str, int]:
    return {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in _COUNTED}


def _check_integrity(connection: sqlite3.Connection, what: str) -> None:
    result = connection.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise BackupRefused(f"{what} is damaged: {result}")


def _copy_database(source: sqlite3.Connection, target: sqlite3.Connection) -> None:
    # One step (all pages at once) reads one consistent snapshot: in WAL mode writers go on meanwhile,
    # and a copy in several steps would start over each time another connection wrote.
    source.backup(target)


def _copy_attachments(source: Path, target: Path) -> int:
    """Copy the stored files (checksum names); a half-written upload's temporary file is no attachment."""
    copied = 0
    if not source.is_dir():
        return 0
    for path in sorted(source.glob("??/*")):
        if len(path.name) != 64 or not path.is_file():
            continue
        destination = target / path.parent.name / path.name
        if not destination.exists():
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)
        copied += 1
    return copied


def make_backup(database_url: str, attachment_folder: Path, folder: Path, now: datetime) -> BackupSummary:
    """Back up the running installation into `folder` (new, or empty)."""
    database = sqlite_path(database_url)
    if not database.exists():
        raise BackupRefused(f"there is no database at {database}")
    if folder.exists() and any(folder.iterdir()):
        raise BackupRefused(f"{folder} is not empty: choose a new folder for the backup")
    folder.mkdir(parents=True, exist_ok=True)
    source, target = _connect(database), _connect(folder / DATABASE_FILE)
    try:
        _copy_database(source, target)
        target.execute("PRAGMA journal_mode=DELETE")  # one file, nothing beside it
        _check_integrity(target, "the copy")
        counts = _counts(target)
    finally:
        source.close()
        target.close()
    files = _copy_attachments(attachment_folder, folder / ATTACHMENTS)
    manifest = {"made_at": now.isoformat(), "counts": counts, "attachment_files": files}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return BackupSummary(folder, counts, files)


def restore_backup(folder: Path, database_url: str, attachment_folder: Path, replace: bool) -> BackupSummary:
    """Put the backup in `folder` in place of the installation's database and add its attachments.
    Stop the web and worker processes first. An installation that already has cases is replaced only
    when `replace` says so."""
    database = sqlite_path(database_url)
    backup = folder / DATABASE_FILE
    if not backup.is_file():
        raise BackupRefused(f"{folder} holds no backup ({DATABASE_FILE} is missing)")
    source = _connect(backup)
    try:
        _check_integrity(source, "the backup")
        if database.exists() and not replace and _has_cases(database):
            raise BackupRefused(f"{database} already holds cases: add --replace to overwrite them")
        database.parent.mkdir(parents=True, exist_ok=True)
        target = _connect(database)
        try:
            _copy_database(source, target)
            counts = _counts(target)
        finally:
            target.close()
    finally:
        source.close()
    files = _copy_attachments(folder / ATTACHMENTS, attachment_folder)
    return BackupSummary(folder, counts, files)


def _has_cases(database: Path) -> bool:
    connection = _connect(database)
    try:
        found = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'process_instance'"
        ).fetchone()
        return bool(found and connection.execute("SELECT 1 FROM process_instance LIMIT 1").fetchone())
    finally:
        connection.close()
