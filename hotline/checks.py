"""`hotline check`: configuration problems found before they bite — a secret key too short to be
one, an attachments folder nobody can write, no timer worker running, a time zone or shift
times that do not parse, a database that cannot be reached or lacks migrations, an LDAP directory
that is badly configured or does not answer."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.clock import DEFAULT_TIME_ZONE
from engine.people import probe_directory
from engine.supervision import check_health
from hotline.bootstrap import Services, bootstrap
from hotline.directory_settings import DirectorySettingsInvalid
from hotline.settings import Settings

SHORTEST_SECRET = 32


@dataclass(frozen=True)
class Finding:
    name: str
    ok: bool
    detail: str


def _secret_key(settings: Settings) -> Finding:
    given = os.environ.get("HOTLINE_SECRET_KEY")
    if given is None:
        return Finding(
            "secret key", True, "kept in the database, one for every web process (HOTLINE_SECRET_KEY unset)"
        )
    if len(given) < SHORTEST_SECRET:
        return Finding(
            "secret key", False, f"HOTLINE_SECRET_KEY is shorter than {SHORTEST_SECRET} characters"
        )
    return Finding("secret key", True, "set by HOTLINE_SECRET_KEY")


def _attachment_folder(settings: Settings) -> Finding:
    folder = settings.attachment_folder
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".check-"):
            pass
    except OSError as err:
        return Finding("attachments folder", False, f"{folder} cannot be written: {err.strerror or err}")
    return Finding("attachments folder", True, f"{folder} is writable")


def _time_zone(settings: Settings) -> Finding:
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return Finding(
            "time zone", False, f"HOTLINE_TIMEZONE {settings.timezone!r} is no IANA time zone (Asia/Shanghai)"
        )
    return Finding("time zone", True, settings.timezone)


def _shift_changes(settings: Settings) -> Finding:
    try:
        settings.shifts()
    except (ValueError, ZoneInfoNotFoundError) as err:
        return Finding("shift changes", False, f"HOTLINE_SHIFT_CHANGES: {err}")
    return Finding("shift changes", True, settings.shift_changes)


def _database(services: Services, worker: bool) -> list[Finding]:
    health = check_health(lambda: services.unit_of_work(read_only=True))
    names = ("database", "migrations", "worker") if worker else ("database", "migrations")
    return [
        Finding(
            "timer worker" if name == "worker" else name, health.checks[name].ok, health.checks[name].detail
        )
        for name in names
    ]


def _directory(settings: Settings) -> list[Finding]:
    if settings.directory is None:
        return []
    problem = probe_directory(settings.directory)
    if problem is not None:
        return [
            Finding(
                "directory", False, f"{settings.directory.url}: {problem}; directory accounts cannot sign in"
            )
        ]
    return [Finding("directory", True, f"{settings.directory.url} answers")]


def check_installation(settings: Settings | None = None, *, worker: bool = True) -> list[Finding]:
    """Every check, in order; `worker=False` leaves out the running timer worker (before the first start)."""
    directory: list[Finding] = []
    if settings is None:
        try:
            settings = Settings.from_env()
        except DirectorySettingsInvalid as invalid:
            directory = [Finding("directory", False, str(invalid))]
            settings = Settings.from_env(with_directory=False)
    findings = [_secret_key(settings), _attachment_folder(settings), _time_zone(settings)]
    if findings[-1].ok:
        findings.append(_shift_changes(settings))
    else:
        settings = replace(settings, timezone=DEFAULT_TIME_ZONE)  # the other checks need a zone
    services = bootstrap(settings)
    try:
        findings += _database(services, worker)
    finally:
        services.close()
    return findings + (directory or _directory(settings))
