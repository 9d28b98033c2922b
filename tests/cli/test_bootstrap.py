"""The one composition root (hotline.bootstrap): it alone chooses the clock and assembles the runtime,
the web app is built on what it made, and the layers do not reach back into `hotline`."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.clock import DEFAULT_TIME_ZONE, SettableClock, SystemClock
from engine.runtime import Runtime
from hotline.bootstrap import bootstrap
from hotline.settings import Settings
from hotline.web import web_app
from tests.helpers import PROJECT_ROOT
from webforms import create_app
from webforms.config import WebConfig


def _settings(home: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "home": home,
        "database_url": f"sqlite:///{home / 'test.db'}",
        "secret_key": "test",
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


def test_bootstrap_builds_the_runtime_from_the_settings_on_the_given_clock(tmp_path: Path) -> None:
    clock = SettableClock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))
    services = bootstrap(_settings(tmp_path, timezone="Europe/Berlin"), clock=clock)
    try:
        assert services.runtime.clock is clock
        assert services.runtime.zone.key == "Europe/Berlin"
        assert services.runtime.attachment_folder == tmp_path / "attachments"
        assert str(services.database.url) == f"sqlite:///{tmp_path / 'test.db'}"
        with services.unit_of_work(read_only=True) as uow:
            assert uow.clock.now() == clock.now()
    finally:
        services.close()


def test_the_real_clock_is_chosen_only_when_none_is_given(tmp_path: Path) -> None:
    services = bootstrap(_settings(tmp_path))
    try:
        assert isinstance(services.runtime.clock, SystemClock)
    finally:
        services.close()
    with pytest.raises(TypeError):
        Runtime()  # type: ignore[call-arg]  # no fallback clock: the caller passes one


def test_the_time_zone_default_is_the_engine_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOTLINE_TIMEZONE", raising=False)
    monkeypatch.setenv("HOTLINE_HOME", str(tmp_path))
    monkeypatch.setenv("HOTLINE_SECRET_KEY", "test")
    assert Settings.from_env().timezone == _settings(tmp_path).timezone == DEFAULT_TIME_ZONE
    assert Runtime(clock=SettableClock()).zone.key == DEFAULT_TIME_ZONE


def test_the_web_app_runs_on_the_services_it_is_given(tmp_path: Path) -> None:
    services = bootstrap(_settings(tmp_path, idle_minutes=7), clock=SettableClock())
    try:
        app = web_app(services, test_config={"TESTING": True})
        hotline = app.extensions["hotline"]
        assert (hotline.runtime, hotline.sessions) == (services.runtime, services.sessions)
        assert app.instance_path == str(tmp_path)
        assert (app.config["SECRET_KEY"], app.config["HOTLINE_IDLE_MINUTES"]) == ("test", 7)
    finally:
        services.close()


# A web process as gunicorn boots it: the app built without a test configuration.
SERVED_APP = """
import sys, jieba
from hotline.web import web_app
before = jieba.dt.initialized
web_app()
print(before, jieba.dt.initialized)
"""


def test_a_served_web_process_loads_the_knowledge_search_dictionary_as_it_boots(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env |= {
        "HOTLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'test.db'}",
        "HOTLINE_HOME": str(tmp_path),
        "HOTLINE_SECRET_KEY": "test",
    }
    done = subprocess.run(
        [sys.executable, "-c", SERVED_APP],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    # Not loaded by importing the app, loaded once it is built: the first suggestion does not wait for it.
    assert done.stdout.split() == ["False", "True"]


def test_the_web_app_refuses_a_runtime_without_an_attachment_folder(tmp_path: Path) -> None:
    services = bootstrap(_settings(tmp_path), clock=SettableClock())
    try:
        with pytest.raises(ValueError, match="attachment folder"):
            create_app(WebConfig(tmp_path, "test"), Runtime(clock=SettableClock()), services.sessions)
    finally:
        services.close()


def _imported_modules(folder: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted(folder.rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[str(path.relative_to(PROJECT_ROOT))] = names
    return found


@pytest.mark.parametrize("layer", ["engine", "webforms"])
def test_the_engine_and_the_web_do_not_import_hotline(layer: str) -> None:
    """`hotline` builds the web app and the engine; neither reaches back into it (no import cycle)."""
    offenders = {
        module: sorted(n for n in names if n.split(".")[0] == "hotline")
        for module, names in _imported_modules(PROJECT_ROOT / layer).items()
    }
    assert {module: names for module, names in offenders.items() if names} == {}


def test_only_units_of_work_commit_under_hotline() -> None:
    """Commands, jobs and the demo open units of work: no session is begun, committed or rolled back
    by hand under hotline/."""
    by_hand = []
    for path in sorted((PROJECT_ROOT / "hotline").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            method, receiver = node.func.attr, node.func.value
            unit = isinstance(receiver, ast.Name) and receiver.id == "uow"
            if method in ("begin", "rollback") or (method == "commit" and not unit):
                by_hand.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno} .{method}()")
    assert by_hand == []
