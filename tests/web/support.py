"""Helpers for the web and browser tests: building the app as `hotline serve` does, reading pages,
signing in and sending forms with their CSRF token (CSRF protection stays on in these tests).

Plain functions, so tests/web/conftest.py and tests/browser/ share them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

import engine.people.users
from engine.cases.runner import start_case
from engine.runtime import Runtime
from hotline.bootstrap import Services
from hotline.demo import DEMO_USERS, create_demo_users
from hotline.settings import Settings
from hotline.web import web_app
from tests.helpers import OPERATOR, PROCESSES, instance_snapshot, intake_form, open_task, row_counts

DEMO_PASSWORD = "hotline123"
assert all(user.password == DEMO_PASSWORD for user in DEMO_USERS)
# How the pages name each demo user (their display name, not their login).
NAMES = {user.username: user.display_name for user in DEMO_USERS}


def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with its production cost takes ~0.15 s per hash and per check; eleven demo users and a
    dozen sign-ins per test would make the suite slow. The tests keep argon2 (the same code path) with
    the cheapest parameters; the stored hash carries its parameters, so checking works unchanged."""
    monkeypatch.setattr(
        engine.people.users, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


def build_app(
    home: Path,
    database_url: str,
    runtime: Runtime,
    sessions: sessionmaker[Session],
    test_config: Mapping[str, Any] | None = None,
    **settings_given: Any,
) -> Flask:
    """The web app on the test database, with the demo users (password hotline123); `settings_given`
    replace the test settings' own (e.g. tls=True)."""
    with sessions.begin() as session:
        create_demo_users(session, runtime)
    # The tests move the engine's clock by hours and days while someone stays signed in; the idle
    # sign-out and the session's lifetime have their own tests with the default limits.
    settings = Settings(
        home=home,
        database_url=database_url,
        secret_key="test",
        processes_dir=PROCESSES,
        **{"idle_minutes": 60 * 24 * 365, "session_hours": 24 * 365 * 10, **settings_given},
    )
    # The app opens its sessions from the test's factory, so a request sees what the test wrote and the
    # test's end undoes what the request wrote (see tests/conftest.py: savepoints or real commits); the
    # test's runtime carries the settable clock and the attachment folder.
    services = Services(settings, runtime, sessions)
    return web_app(services, test_config={"TESTING": True, **(test_config or {})})


# --- reading pages ---------------------------------------------------------------------------------


@dataclass
class Page:
    """A parsed HTML response with small lookups by id and class."""

    response: TestResponse

    def __post_init__(self) -> None:
        self.html = self.response.get_data(as_text=True)
        self.doc = lxml.html.fromstring(self.html)

    @property
    def status(self) -> int:
        return self.response.status_code

    def by_id(self, element_id: str) -> Any:
        found = self.doc.xpath("//*[@id=$id]", id=element_id)
        return found[0] if found else None

    def text(self, element_id: str) -> str:
        element = self.by_id(element_id)
        assert element is not None, f"no #{element_id} in the page:\n{self.html[:3000]}"
        return normalise(element.text_content())

    def has(self, element_id: str) -> bool:
        return self.by_id(element_id) is not None

    def all(self, css_class: str, within: Any = None) -> list[Any]:
        root = within if within is not None else self.doc
        return root.xpath(f".//*[contains(concat(' ', normalize-space(@class), ' '), ' {css_class} ')]")

    def flashes(self) -> list[str]:
        return [normalise(e.text_content()) for e in self.all("flash")]

    @property
    def lang(self) -> str:
        return self.doc.get("lang")

    def csrf_token(self) -> str:
        tokens = self.doc.xpath("//input[@name='csrf_token']/@value")
        assert tokens, f"no csrf_token in the page:\n{self.html[:2000]}"
        return tokens[0]

    def field_value(self, field_id: str) -> Any:
        """What the form shows in #f-<field id>: text, the selected option, or whether a box is ticked."""
        element = self.by_id(f"f-{field_id}")
        assert element is not None, f"no #f-{field_id} in the form"
        if element.tag == "select":
            selected = element.xpath(".//option[@selected]/@value")
            return selected[0] if selected else ""
        if element.tag == "textarea":
            return element.text or ""
        if element.get("type") == "checkbox":
            return element.get("checked") is not None
        return element.get("value", "")

    def error(self, field_id: str) -> str | None:
        element = self.by_id(f"err-{field_id}")
        return None if element is None else normalise(element.text_content())

    def task_links(self) -> list[tuple[str, str, str]]:
        """The tasklist rows: (element id, task url, case number), in the order shown."""
        rows = []
        for link in self.doc.xpath("//*[@id='tasklist']//a[contains(@class, 'task-link')]"):
            row = link.getparent().getparent()
            case = row.xpath(".//a[starts-with(@href, '/cases/')]")[0].text_content().strip()
            rows.append((link.get("data-element"), link.get("href"), case))
        return rows

    def history(self) -> list[HistoryEntry]:
        timeline = self.by_id("history")
        assert timeline is not None, "no #history in the page"
        entries = []
        for item in timeline.xpath("./li"):
            what = item.xpath(".//div[@class='what']")[0]
            kind = normalise(what.xpath("./strong")[0].text_content())
            actor = normalise(what.xpath(".//span[@class='actor']")[0].text_content())
            whole = normalise(what.text_content())
            element = whole[len(kind) : whole.rfind(actor)].strip().lstrip("·").strip()
            changes = {
                normalise(tr[0].text_content()): (
                    normalise(tr[1].text_content()),
                    normalise(tr[2].text_content()),
                )
                for tr in item.xpath(".//table[contains(@class, 'diff')]/tbody/tr")
            }
            entries.append(
                HistoryEntry(
                    normalise(item.xpath(".//div[@class='when']")[0].text_content()),
                    kind,
                    element,
                    actor,
                    changes,
                )
            )
        return entries


@dataclass(frozen=True)
class HistoryEntry:
    when: str
    kind: str
    element: str
    actor: str
    changes: dict[str, tuple[str, str]]


def normalise(text: str) -> str:
    return " ".join(text.split())


# --- talking to the app ------------------------------------------------------------------------------


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """The SQL statements the app runs inside the block."""
    seen: list[str] = []
    bind = app.extensions["hotline"].sessions.kw["bind"]

    def remember(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        seen.append(statement)

    event.listen(bind, "before_cursor_execute", remember)
    try:
        yield seen
    finally:
        event.remove(bind, "before_cursor_execute", remember)


def get(client: FlaskClient, url: str, **kwargs: Any) -> Page:
    return Page(client.get(url, **kwargs))


def submit(
    client: FlaskClient,
    form_url: str,
    data: Mapping[str, Any],
    post_url: str | None = None,
    follow: bool = False,
) -> Page:
    """Open the page holding the form, take its CSRF token, and post the data as a browser would."""
    token = get(client, form_url).csrf_token()
    return post(client, post_url or form_url, data, token, follow=follow)


def post(
    client: FlaskClient, url: str, data: Mapping[str, Any], token: str | None, follow: bool = False
) -> Page:
    body = {k: v for k, v in data.items() if v is not None and v is not False}
    body = {k: ("on" if v is True else v) for k, v in body.items()}
    if token is not None:
        body["csrf_token"] = token
    return Page(client.post(url, data=body, follow_redirects=follow))


def login(client: FlaskClient, username: str, password: str = DEMO_PASSWORD) -> Page:
    """Sign in through the login form; fails the test unless it leads to the tasklist."""
    page = submit(client, "/login", {"username": username, "password": password})
    assert page.status == 302, f"sign-in of {username} failed with {page.status}: {page.flashes()}"
    assert page.response.headers["Location"] == "/tasks"
    return page


def logout(client: FlaskClient) -> Page:
    token = get(client, "/tasks").csrf_token()
    page = post(client, "/logout", {}, token)
    assert page.status == 302
    return page


def switch_user(client: FlaskClient, username: str) -> Page:
    logout(client)
    return login(client, username)


# --- cases made directly through the engine, for tests about what the pages show -------------------


def record_case(sessions: sessionmaker[Session], runtime: Runtime, **overrides: Any) -> tuple[str, int]:
    """A complaint recorded by the operator (as /cases/new/complaint would); returns (number, id)."""
    with sessions.begin() as session:
        instance = start_case(session, runtime, "complaint", OPERATOR, intake_form(**overrides))
        return instance.case_number, instance.id


def task_of(sessions: sessionmaker[Session], instance_id: int, element_id: str) -> int:
    """The id of the case's one open task at that diagram element."""
    with sessions() as session:
        return open_task(session, instance_id, element_id).id


def snapshot(sessions: sessionmaker[Session], instance_id: int, reads: bool = True) -> dict[str, Any]:
    """Everything a unit of work could change about a case, and the row count of every table;
    `reads=False` leaves out the record of who read personal data (M6), which opening a form of a step
    that reaches the customer adds to (customer_contact)."""
    with sessions() as session:
        counts = row_counts(session)
        if not reads:
            counts.pop("personal_data_access", None)
        return {"case": instance_snapshot(session, instance_id), "rows": counts}


def rows(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        return row_counts(session)
