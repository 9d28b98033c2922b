"""Issue 14 §6: a fuzz test over every intake form and every task form of every shipped procedure.

Every diagram of processes/ is deployed; cases of each procedure are driven through the engine to each
of its user tasks (a seeded choice of valid values, so several paths are taken), and at each form the
web client sends, field by field, values no field may take — NUL and other control characters,
100 KB strings, impossible dates (9999-12-31T23:59-12:00, 0000-00-00, year 1), numbers no column
holds, values of the wrong type — and, for the whole form, missing fields, duplicated fields (the
first a bad one) and unknown extra fields. What must hold: no answer is a 500; every refused submit
(400) wrote nothing (the case's version, data, tasks, timers and history, and every table's row
count are as before); the values certain to be refused are refused. A valid form with unknown extra
fields is then the one that records the call or completes the task, through the web as staff do.

Deterministic (random.Random seeded per procedure) and kept under ~30 s on SQLite.
"""

from __future__ import annotations

import io
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.bpmn import FieldDef, attachment_needed, validate_form
from engine.cases.definitions import latest_definition, parsed_definition
from engine.cases.runner import due_timer_ids, fire_timer, start_case
from engine.clock import SettableClock
from engine.db.models import HumanTask, ProcessInstance
from engine.messaging import save_platform_endpoint
from engine.reference import load_reference_data, with_reference_options
from engine.runtime import SYSTEM, Runtime
from engine.unit_of_work import UnitOfWork
from engine.work import intake_task
from hotline.demo import DEMO_USERS
from tests.helpers import PROCESSES, open_tasks
from tests.web.support import DEMO_PASSWORD, Page, get, post, rows, snapshot, submit

# The values of the fuzz table: (name, value, certainly refused by every field that is not read-only).
NASTY: tuple[tuple[str, str, bool], ...] = (
    ("nul", "a\x00b", True),
    ("vertical tab", "第一行\x0b第二行", True),
    ("escape", "\x1b[2J\x07", True),
    ("huge", "长" * 3000 + "x" * 97_000, True),  # 100,000 characters (mostly ASCII: quick to encode)
    ("far date-time", "9999-12-31T23:59-12:00", False),
    ("zero date", "0000-00-00", False),
    ("year 1", "0001-01-01T00:00+14:00", False),
    ("year 1 date", "0001-01-01", False),
    ("huge number", "9" * 5000, False),
    ("negative", "-99999999999999999999", False),
    ("wrong type", "not a value", False),
    ("arabic digits", "١٢٣", False),
    ("markup", "<script>alert(1)</script>", False),
    ("line break", "a\r\nb", False),
)
# Per field, a seeded choice of the certain refusals and of the others (every value is sent somewhere).
CERTAIN_PER_FIELD = 2
OTHER_PER_FIELD = 2
STEPS_PER_CASE = 12
CASES_PER_PROCEDURE = 3
MAX_CASES_PER_PROCEDURE = 12
# Departments some demo user works in (customer_service has none, so its tasks could not be opened).
STAFFED = ("operations", "repair", "billing", "technical")
PHONE_PATTERN = re.compile(r"1\[3-9\]")


@dataclass
class Tally:
    requests: int = 0
    refused: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    forms: set[tuple[str, str]] = field(default_factory=set)

    def saw(self, page: Page) -> None:
        self.requests += 1
        self.statuses[page.status] = self.statuses.get(page.status, 0) + 1
        assert page.status != 500, page.html[:2000]


class Fuzzer:
    def __init__(
        self, app: Flask, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
    ) -> None:
        self.app, self.sessions, self.runtime, self.clock = app, sessions, runtime, clock
        self.clients: dict[str, tuple[FlaskClient, str]] = {}
        self.cannot_sign_in: set[str] = set()
        self.tally = Tally()
        self.hours = 0
        self.hour_step = 1

    # who is signed in ----------------------------------------------------------------------------------

    def client_for(self, groups: str) -> tuple[FlaskClient, str] | None:
        wanted = {g.strip() for g in groups.split(",")}
        for user in DEMO_USERS:
            if not wanted & set(user.roles) or user.username in self.cannot_sign_in:
                continue
            if user.username not in self.clients:
                client = self.app.test_client()
                # The test's reference data has its own heads of department (other passwords).
                signed_in = submit(client, "/login", {"username": user.username, "password": DEMO_PASSWORD})
                if signed_in.status != 302:
                    self.cannot_sign_in.add(user.username)
                    continue
                self.clients[user.username] = (client, get(client, "/tasks").csrf_token())
            return self.clients[user.username]
        return None

    # valid values ----------------------------------------------------------------------------------------

    def fields(self, fields: tuple[FieldDef, ...]) -> tuple[FieldDef, ...]:
        with self.sessions() as session:
            return with_reference_options(fields, load_reference_data(session))

    def valid_form(
        self, fields: tuple[FieldDef, ...], rng: random.Random, current: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        form: dict[str, Any] = {}
        for f in fields:
            if f.readonly or f.type == "signature":
                continue
            form[f.id] = self.valid_value(f, rng)
            if f.differs_from:  # another value than the other field's (a re-dispatch, C4)
                other = form.get(f.differs_from, (current or {}).get(f.differs_from))
                choices = [
                    o.id
                    for o in f.options
                    if o.id != other and (f.reference != "department" or o.id in STAFFED)
                ]
                form[f.id] = rng.choice(choices)
        # A box that another answer makes compulsory (requiredWhen) is ticked.
        for field_id, _error in validate_form(fields, form, current or {}, self.runtime.zone)[1].items():
            if next(f for f in fields if f.id == field_id).type == "boolean":
                form[field_id] = True
        return form

    def valid_value(self, f: FieldDef, rng: random.Random) -> Any:
        if f.type == "boolean":
            return True if f.required else rng.choice([True, False])
        if f.type == "long":
            low = f.min_value if f.min_value is not None else 0
            return str(rng.randint(low, f.max_value if f.max_value is not None else low + 50))
        if f.type == "date":
            return self.clock.now().date().isoformat()
        if f.type == "datetime":
            # Each time later than the one before ("not before" holds), or, in one case of each procedure,
            # all the same (an outage restored when it starts goes to the correction step).
            self.hours += self.hour_step
            return (self.clock.now() + timedelta(hours=1 + self.hours)).strftime("%Y-%m-%dT%H:%M")
        if f.staff_of:  # a person or crew of the groups (R2): the crew is always there
            return rng.choice(f.staff_of)
        if f.type == "enum":
            options = [o.id for o in f.options]
            if f.reference == "department":
                options = [o for o in options if o in STAFFED]
            if (
                f.reference == "case_source"
            ):  # a platform's case: its reply upstream (U1) comes after every other step
                options = [o.id for o in f.options if o.group == "upstream"]
            return rng.choice(options)
        if f.pattern and PHONE_PATTERN.search(f.pattern):
            return f"139{rng.randint(0, 99_999_999):08d}"
        if f.pattern:  # the milestones of a work plan (L4): one dated line each
            return f"{(self.clock.now() + timedelta(days=2)).date().isoformat()} 到场检修"
        text = "用户反映的情况已记录,需要跟进处理。"
        return (text * (1 + (f.min_length or 0) // len(text)))[: f.max_length]

    # sending -----------------------------------------------------------------------------------------------

    def send(self, client: FlaskClient, token: str, url: str, data: dict[str, Any]) -> Page:
        page = post(client, url, data, token)
        self.tally.saw(page)
        return page

    def attack(
        self,
        client: FlaskClient,
        token: str,
        url: str,
        fields: tuple[FieldDef, ...],
        valid: dict[str, Any],
        current: dict[str, Any],
        rng: random.Random,
        unchanged: Callable[[], Any],
    ) -> None:
        """Every bad variant of one form: none answers 500, each is refused (400) and changes nothing.

        A value from the table that the field takes (markup in a text field, a line break in a text
        area) is a valid submit, not an attack, and is left out; the values sure to be refused are
        checked to be refused by the engine's own validation too."""
        before = unchanged()
        certain = [value for _name, value, sure in NASTY if sure]
        other = [value for _name, value, sure in NASTY if not sure]
        variants: list[dict[str, Any]] = []
        for f in fields:
            if f.readonly:
                continue
            for value in rng.sample(certain, CERTAIN_PER_FIELD) + rng.sample(other, OTHER_PER_FIELD):
                variant = {**valid, f.id: value}
                refused = bool(validate_form(fields, variant, current, self.runtime.zone)[1])
                assert refused or value not in certain, (url, f.id, value[:20])
                if refused:
                    variants.append(variant)
            variants.append({**valid, f.id: [certain[0], str(valid.get(f.id, ""))]})  # duplicated, bad first
            if f.required and f.type != "signature":
                variants.append({k: v for k, v in valid.items() if k != f.id})  # missing
        if any(f.required for f in fields):
            variants.append({})
        variants.append({f.id: certain[0] for f in fields})  # every field bad at once
        for data in variants:
            page = self.send(client, token, url, data)
            shown = {k: str(v)[:40] for k, v in data.items()}
            assert page.status == 400, (url, shown, page.flashes())
            self.tally.refused += 1
        # Written history, versions and rows only grow: one look after all the variants shows that none
        # of them wrote anything.
        assert unchanged() == before, url

    # driving ------------------------------------------------------------------------------------------------

    def run_procedure(self, key: str, seed: int) -> None:
        rng = random.Random(f"{key}-{seed}")
        self.hour_step = 0 if seed == CASES_PER_PROCEDURE - 1 else 1
        with self.sessions() as session:
            definition = latest_definition(session, key)
            parsed = parsed_definition(self.runtime, definition)
        info = intake_task(self.runtime, parsed)
        assert info is not None
        variables = re.findall(r"\$\{\s*(\w+)\s*\}", info.candidate_groups)
        if variables:  # opened by the system (a sampled callback, M1), its group in the start data
            # with the department of the original case, who handles what a customer is not satisfied with
            start_data = {"department": "operations", **dict.fromkeys(variables, "operator")}
            with self.sessions.begin() as session:
                instance_id = start_case(session, self.runtime, key, SYSTEM, initial_data=start_data).id
        else:
            instance_id = self.intake(key, info, rng)
        for _step in range(STEPS_PER_CASE):
            if not self.step(key, parsed, instance_id, rng):
                break

    def intake(self, key: str, info: Any, rng: random.Random) -> int:
        signed_in = self.client_for(info.candidate_groups)
        assert signed_in is not None, key
        client, token = signed_in
        fields = self.fields(info.fields)
        valid = self.valid_form(fields, rng)
        url = f"/cases/new/{key}"
        if (key, info.element_id) not in self.tally.forms:
            self.attack(client, token, url, fields, valid, {}, rng, lambda: rows(self.sessions))
            self.tally.forms.add((key, info.element_id))
        opened = self.send(client, token, url, {**valid, "unknown_field": "x", "__class__": "y"})
        assert opened.status == 302, (key, opened.flashes(), valid)
        number = opened.response.headers["Location"].rsplit("/", 1)[-1]
        with self.sessions() as session:
            found = session.scalar(select(ProcessInstance.id).where(ProcessInstance.case_number == number))
        assert found is not None
        return found

    def step(self, key: str, parsed: Any, instance_id: int, rng: random.Random) -> bool:
        with self.sessions() as session:
            tasks = [(t.id, t.element_id, t.candidate_groups) for t in open_tasks(session, instance_id)]
            current = dict(session.get(ProcessInstance, instance_id, populate_existing=True).data)
        staffed = [t for t in tasks if self.client_for(t[2]) is not None]
        if not staffed:
            return self.fire_timers()
        # The parts a step awaits (awaitsParts: the assisting departments' answers, C2/C3) come first: the
        # lead's "resolved" is refused while a part is open and in time, which is no bad input.
        awaited = {parsed.user_tasks[t[1]].awaits_parts for t in tasks if t[1] in parsed.user_tasks}
        staffed = [t for t in staffed if t[1] in awaited] or staffed
        task_id, element_id, groups = rng.choice(staffed)
        client, token = self.client_for(groups)  # type: ignore[misc]
        info = parsed.user_tasks[element_id]
        fields = self.fields(info.fields)
        valid = self.valid_form(fields, rng, current)
        url = f"/tasks/{task_id}"
        if (key, element_id) not in self.tally.forms:
            self.attack(
                client, token, url, fields, valid, current, rng, lambda: snapshot(self.sessions, instance_id)
            )
            self.tally.forms.add((key, element_id))
        if attachment_needed(fields, valid):  # a send-back's evidence (C4) is attached before it completes
            evidence = {"csrf_token": token, "file": (io.BytesIO(b"%PDF-1.4 evidence"), "evidence.pdf")}
            attached = client.post(f"{url}/attachments", data=evidence, content_type="multipart/form-data")
            assert attached.status_code == 302
        done = self.send(client, token, url, {**valid, "unknown_field": "x"})
        assert done.status == 302, (key, element_id, validate_form(fields, valid, current)[1], valid)
        with self.sessions() as session:
            assert session.get(HumanTask, task_id, populate_existing=True).status != "open"
        return True

    def fire_timers(self) -> bool:
        """Only timers are left (a promised reply time, a deadline): let the next one fall due."""
        self.clock.advance(timedelta(days=3))
        with self.sessions() as session:
            due = due_timer_ids(session, self.clock.now())
        for timer_id in due:
            with self.sessions.begin() as session:
                fire_timer(session, self.runtime, timer_id)
        self.runtime.workflows.clear()
        return bool(due)


def _procedures() -> list[str]:
    return sorted(p.stem for p in PROCESSES.glob("*.bpmn"))


@pytest.fixture
def every_procedure(deploy_process: Any, deployed: Any) -> Iterator[list[str]]:
    for key in _procedures():
        if key != "complaint":
            deploy_process(key)
    yield _procedures()


def test_no_input_to_any_form_of_any_procedure_answers_500_or_changes_a_case(
    app: Flask,
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    every_procedure: list[str],
) -> None:
    fuzzer = Fuzzer(app, sessions, runtime, clock)
    # Half the platforms take the reply by API (U1): their cases reach the step that sends it.
    with UnitOfWork(sessions, runtime) as uow:
        for code in ("mayor_12345", "sasac_platform", "digital_city"):
            endpoint = {"url": "https://platform.example/reply", "body_format": "json", "active": True}
            save_platform_endpoint(uow, "admin", code, endpoint)
        uow.commit()
    with sessions() as session:
        startable = [
            key
            for key in every_procedure
            if intake_task(runtime, parsed_definition(runtime, latest_definition(session, key))) is not None
        ]
    every_form = set()
    for key in every_procedure:
        with sessions() as session:
            parsed = parsed_definition(runtime, latest_definition(session, key))
        every_form |= {(key, element) for element in parsed.user_tasks}
    for key in startable:
        for seed in range(CASES_PER_PROCEDURE):
            fuzzer.run_procedure(key, seed)
        # a procedure with more branches than cases: more cases until every form was reached, or give up
        seed = CASES_PER_PROCEDURE
        while seed < MAX_CASES_PER_PROCEDURE and any(
            k == key and f not in fuzzer.tally.forms for k, f in every_form
        ):
            fuzzer.run_procedure(key, seed)
            seed += 1
    tally = fuzzer.tally
    print(
        f"\nfuzz: {tally.requests} requests, {tally.refused} refused, statuses {tally.statuses}, "
        f"{len(tally.forms)} forms"
    )
    assert 500 not in tally.statuses
    missed = every_form - tally.forms
    assert not missed, f"forms the fuzz test never reached: {sorted(missed)}"
