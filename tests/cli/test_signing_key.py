"""Web processes started at once without HOTLINE_SECRET_KEY sign with one key, the one the first of
them stored in the database (as gunicorn's workers do, on SQLite and on PostgreSQL); HOTLINE_SECRET_KEY
wins when set; an installation upgraded from a version that kept the key in HOTLINE_HOME keeps it."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.db import InstallationSecret
from hotline.bootstrap import bootstrap
from hotline.settings import Settings
from hotline.signing_key import EARLIER_KEY_FILE, signing_key
from tests.helpers import PROJECT_ROOT

pytestmark = pytest.mark.real_commits

# Imports first, then waits for the go file, so that the processes ask for the key at the same moment.
START_WEB_APP = """
import hashlib, sys, time
from pathlib import Path
from hotline.web import web_app
go = Path(sys.argv[1])
while not go.exists():
    time.sleep(0.005)
print(hashlib.sha256(web_app().secret_key.encode()).hexdigest())
"""


def _fingerprint(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _stored(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(InstallationSecret.value)))


def test_web_processes_started_at_once_without_a_secret_key_sign_with_the_one_stored(
    database_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env |= {"HOTLINE_DATABASE_URL": database_url, "HOTLINE_HOME": str(tmp_path / "home")}
    go = tmp_path / "go"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", START_WEB_APP, str(go)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    time.sleep(3)  # let them import
    go.touch()
    answers = [process.communicate(timeout=120) for process in processes]
    assert all(process.returncode == 0 for process in processes), [err for _, err in answers]
    [stored] = _stored(sessions)
    assert {out.strip() for out, _ in answers} == {_fingerprint(stored)}
    assert not (tmp_path / "home" / EARLIER_KEY_FILE).exists()  # nothing left beside the database


def test_a_set_secret_key_wins_and_an_earlier_key_file_becomes_the_stored_key(
    database_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    settings = Settings(home=tmp_path, database_url=database_url, secret_key="from-the-environment")
    services = bootstrap(settings)
    try:
        assert signing_key(services) == "from-the-environment"
        assert _stored(sessions) == []
    finally:
        services.close()

    (tmp_path / EARLIER_KEY_FILE).write_text("kept-by-an-earlier-version\n")
    services = bootstrap(Settings(home=tmp_path, database_url=database_url, secret_key=None))
    try:
        assert signing_key(services) == "kept-by-an-earlier-version"
        (tmp_path / EARLIER_KEY_FILE).write_text("changed-later")
        assert signing_key(services) == "kept-by-an-earlier-version"  # the database's key stays
    finally:
        services.close()
    assert _stored(sessions) == ["kept-by-an-earlier-version"]


def test_a_database_without_the_schema_is_told_to_run_init_db(tmp_path: Path) -> None:
    services = bootstrap(
        Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'new.db'}", secret_key=None)
    )
    try:
        with pytest.raises(RuntimeError, match="run `hotline init-db` first, or set HOTLINE_SECRET_KEY"):
            signing_key(services)
    finally:
        services.close()
