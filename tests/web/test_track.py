"""/track (issue 19): a caller follows their case with its number and the last four digits of the phone
on it, without signing in: the procedure, the steps passed and the next one with its promised time, in
the caller's language; no staff names, nothing personal; a wrong number, wrong digits and an unknown case
answer identically; lookups are rate-limited per address and per case number, and every one is logged."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.db.models import TrackLookup
from engine.runtime import Runtime
from engine.work.case_tracking import CASE_LIMIT, CLIENT_LIMIT
from tests.helpers import intake_form
from tests.web.support import Page, get, login, post, record_case, statements, switch_user


def _lookup(client: FlaskClient, number: str, digits: str, address: str = "198.51.100.7") -> Page:
    token = get(client, "/track", environ_base={"REMOTE_ADDR": address}).csrf_token()
    return Page(
        client.post(
            "/track",
            data={"case_number": number, "digits": digits, "csrf_token": token},
            environ_base={"REMOTE_ADDR": address},
        )
    )


def _answer(page: Page) -> str:
    """The page as a caller reads it, without its one-time token and the number they typed."""
    body = page.response.get_data(as_text=True)
    body = re.sub(r'name="csrf_token" value="[^"]*"', "", body)
    return re.sub(r'id="track-case" name="case_number" value="[^"]*"', "", body)


def test_a_caller_sees_the_steps_of_their_case_without_signing_in(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    number, _ = record_case(sessions, runtime, customer_phone="13800001111")
    page = _lookup(client, number.lower(), "1111")
    assert page.status == 200
    assert page.text("track-number") == number and page.text("track-procedure") == "投诉处理"
    assert [li.get("data-element") for li in page.by_id("track-passed").xpath("./li")] == ["intake"]
    (next_step,) = page.by_id("track-next").xpath("./li")
    assert next_step.get("data-element") == "department_handling"
    assert "承诺于 2026-11-23 23:59 前完成" in next_step.text_content()
    text = page.response.get_data(as_text=True)
    for personal in ("张伟", "13800001111", "金明小区", "室内温度", "op1", "1111"):
        assert personal not in text, f"the page shows {personal}"


def test_the_answer_is_in_the_callers_language(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    number, _ = record_case(sessions, runtime, customer_phone="0951-5012345")
    token = get(client, "/track").csrf_token()
    post(client, "/lang/en", {"next": "/track"}, token)
    page = _lookup(client, number, "2345")
    assert page.lang == "en"
    assert page.text("track-procedure") == "Complaint"
    assert page.by_id("track-passed").xpath("./li")[0].text_content().startswith("Register complaint")
    assert "promised by" in page.text("track-next")


def test_wrong_number_wrong_digits_and_unknown_case_answer_identically(
    app: Flask, client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    number, _ = record_case(sessions, runtime, customer_phone="13800001111")
    tries = [
        (number, "2222"),  # wrong digits
        ("TS-20261123-9999", "1111"),  # unknown case
        (number.replace("TS", "BX"), "1111"),  # a wrong number
        (number, "111"),  # not four digits
        (number, ""),
    ]
    answers, queries = [], []
    for n, (typed, digits) in enumerate(tries):
        with statements(app) as seen:
            page = _lookup(client, typed, digits, address=f"198.51.100.{n + 1}")
        answers.append((page.status, page.text("track-not-found"), _answer(page)))
        queries.append(len(seen))
    assert len(set(answers)) == 1, "the answers differ"
    assert answers[0][0] == 200 and not Page(client.get("/track")).has("track-result")
    assert len(set(queries)) == 1, f"the lookups ran different numbers of statements: {queries}"


def test_lookups_are_limited_per_address_and_per_case_number_and_logged(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    number, _ = record_case(sessions, runtime, customer_phone="13800001111")
    for n in range(CLIENT_LIMIT):
        assert _lookup(client, f"TS-20991231-{n:04d}", "0000", address="203.0.113.5").status == 200
    limited = _lookup(client, number, "1111", address="203.0.113.5")
    assert limited.status == 429 and limited.has("track-limited") and not limited.has("track-result")
    assert _lookup(client, number, "1111", address="203.0.113.6").status == 200  # another address

    for n in range(CASE_LIMIT - 2):  # this number was looked up twice above (refused from .5, found from .6)
        assert _lookup(client, number, "9999", address=f"192.0.2.{n + 1}").status == 200
    refused = _lookup(client, number, "1111", address="192.0.2.99")
    assert refused.status == 429 and not refused.has("track-result")
    other = _lookup(client, "TS-20991231-0100", "1111", address="192.0.2.99")
    assert other.status == 200

    with sessions() as session:
        log = list(session.scalars(select(TrackLookup).order_by(TrackLookup.id)))
    assert len(log) == CLIENT_LIMIT + 1 + 1 + (CASE_LIMIT - 2) + 1 + 1
    assert [e.outcome for e in log].count("limited") == 2
    assert [e.outcome for e in log].count("found") == 1
    assert {e.client for e in log} >= {"203.0.113.5", "203.0.113.6", "192.0.2.99"}
    assert all(e.case_number.startswith("TS-") for e in log)


def test_the_case_number_told_at_intake_and_the_notices_link_to_track(client: FlaskClient) -> None:
    login(client, "operator")
    page = get(client, "/cases/new/complaint")
    form = {**intake_form(), "intake_key": page.by_id("intake-key").get("value")}
    recorded = post(client, "/cases/new/complaint", form, page.csrf_token(), follow=True)
    (message,) = recorded.flashes()
    assert "http://localhost/track" in message and "后四位" in message
    switch_user(client, "supervisor")
    assert get(client, "/notices").by_id("track-link").xpath(".//a")[0].get("href") == "/track"


def test_a_confidential_complainant_follows_their_case_with_the_phone_they_gave_c7(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """C7 keeps the complainant's phone out of every list, not out of their own lookup: the digits they
    know still open their case, and the page shows nothing of them."""
    number, _ = record_case(sessions, runtime, customer_phone="13800002222", confidential=True)
    page = _lookup(client, number, "2222")
    assert page.status == 200 and page.text("track-number") == number
    assert "13800002222" not in page.response.get_data(as_text=True)
    assert _answer(_lookup(client, number, "0000")) == _answer(_lookup(client, "TS-20991231-0001", "2222"))
