"""The log of a production run (issue 17): one JSON object per line, each request's line with its request
id, the signed-in user and the case it is about, the time in UTC with its offset — and no personal data,
whatever the customer's name, phone and address the requests carried."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.db import ProcessInstance
from hotline.logs import JsonLines
from tests.helpers import intake_form
from tests.web.support import get, login, post

NAME, PHONE, ADDRESS = "欧阳秀兰", "13987654321", "翠湖小区17号楼4单元1201"


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    root, ours = logging.getLogger(), logging.getLogger("hotline")
    level = ours.level
    root.addHandler(handler)
    ours.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    ours.setLevel(level)


def _lines(stream: io.StringIO) -> list[dict[str, str]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def _without_random_parts(lines: list[dict[str, str]]) -> str:
    """The logged text without what is random or timed (request ids, times, durations), whose digits could
    hold a phone number's last four by chance."""
    kept = [
        {
            key: re.sub(r"\s[\d.]+ ms$", "", str(value))
            for key, value in line.items()
            if key not in {"request_id", "at"}
        }
        for line in lines
    ]
    return json.dumps(kept, ensure_ascii=False)


def test_a_case_with_a_name_and_phone_leaves_them_out_of_the_log(
    client: FlaskClient, sessions: sessionmaker[Session], log_lines: io.StringIO
) -> None:
    login(client, "operator")
    page = get(client, "/cases/new/complaint")
    token, key = page.csrf_token(), page.by_id("intake-key").get("value")
    personal = {"customer_name": NAME, "customer_phone": PHONE, "address": ADDRESS}
    refused = post(
        client, "/cases/new/complaint", {**intake_form(**personal, occurred_at="not a day")}, token
    )
    assert refused.status == 400 and NAME in refused.response.get_data(as_text=True), "the form keeps it"
    recorded = post(client, "/cases/new/complaint", {**intake_form(**personal), "intake_key": key}, token)
    assert recorded.status == 302
    with sessions() as session:
        number = session.scalars(select(ProcessInstance.case_number)).one()
    assert get(client, f"/cases/{number}").status == 200
    assert get(client, f"/tasks?q={PHONE}").status == 200
    assert get(client, f"/tasks?q={NAME}").status == 200

    assert log_lines.getvalue(), "the requests were logged"
    text = _without_random_parts(_lines(log_lines))
    for secret in (NAME, PHONE, ADDRESS, "秀兰", PHONE[-4:]):
        assert secret not in text, f"{secret!r} is in the log"

    requests = [line for line in _lines(log_lines) if line["logger"] == "hotline.requests"]
    intake = [line for line in requests if line["message"].startswith("POST cases.create")]
    assert [line.get("case") for line in intake] == [None, number], "the recorded case is named"
    assert all(line["user"] == "operator" for line in intake)
    shown = [line for line in requests if line["message"].startswith("GET cases.show")]
    assert shown and shown[0]["case"] == number
    assert all(line["at"].endswith("+00:00") and len(line["request_id"]) == 32 for line in requests)


def test_the_callers_request_id_is_kept_when_it_is_a_plain_token(
    client: FlaskClient, log_lines: io.StringIO
) -> None:
    answer = client.get("/notices", headers={"X-Request-ID": "lb-7f3a-0001"})
    assert answer.headers["X-Request-ID"] == "lb-7f3a-0001"
    odd = client.get("/notices", headers={"X-Request-ID": '"><script>'})
    assert odd.headers["X-Request-ID"] != '"><script>' and len(odd.headers["X-Request-ID"]) == 32
    ids = [line["request_id"] for line in _lines(log_lines) if line["logger"] == "hotline.requests"]
    assert ids == ["lb-7f3a-0001", odd.headers["X-Request-ID"]]
    assert "user" not in _lines(log_lines)[0], "nobody signed in"
