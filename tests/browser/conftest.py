"""Fixtures of the browser tests: every procedure deployed, the app served over HTTP, a chromium page."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.db.models import ProcessDefinition
from engine.runtime import Runtime
from tests.browser.support import Page, browser_page, serve_app
from tests.helpers import PROCESSES


@pytest.fixture
def server(
    tmp_path: Path,
    database_url: str,
    sessions: sessionmaker[Session],
    runtime: Runtime,
    deployed: ProcessDefinition,
    deploy_process: Callable[[str], ProcessDefinition],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    for path in sorted(PROCESSES.glob("*.bpmn")):
        if path.stem != "complaint":
            deploy_process(path.stem)
    yield from serve_app(tmp_path, database_url, sessions, runtime, monkeypatch)


@pytest.fixture
def page(server: str) -> Iterator[Page]:
    yield from browser_page(server)
