"""The API's rules: tokens (missing, wrong, revoked, expired: 401), scopes and roles (403), masking for
each role and the M6 access log on unmasked reads, server-side validation with field errors (422),
a claim race (409), a stale If-Match (412), cursors, one case per intake key, CSRF only for cookies,
rate limits, problem details in the client's language."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db import PersonalDataAccess
from engine.people import revoke_api_client
from engine.runtime import Runtime
from engine.unit_of_work import UnitOfWork
from tests.helpers import intake_form
from tests.web.api.support import Api, make_client
from tests.web.support import build_app, login, post, rows

PROBLEM = "application/problem+json"
HANDLING = {"investigation": "热力站循环泵故障。", "outcome": "resolved", "result": "已更换循环泵。"}


def _open(api: Api, **overrides: object) -> str:
    opened = api.post("/cases", {"procedure": "complaint", "values": intake_form(**overrides)})
    assert opened.status_code == 201, opened.json
    return str(opened.json["number"])


def _task(api: Api, number: str, element: str) -> int:
    case = api.get(f"/cases/{number}")
    return next(t["id"] for t in case.json["open_tasks"] if t["element_id"] == element)


def test_calls_without_a_valid_token_answer_401_problem_details(
    client: FlaskClient,
    api_as: Callable[..., Api],
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
) -> None:
    assert client.get("/api/v1/cases").status_code == 401
    wrong = Api(client, "hfl_" + "x" * 43).get("/cases")
    assert wrong.status_code == 401 and wrong.mimetype == PROBLEM
    assert wrong.headers["WWW-Authenticate"].startswith("Bearer")
    assert wrong.json["status"] == 401 and wrong.json["title"]
    operator = api_as("operator")
    assert operator.get("/cases").status_code == 200
    clock.set(clock.now() + timedelta(days=31))  # the client was made for 30 days
    assert operator.get("/cases").status_code == 401
    token = make_client(sessions, runtime, "revoked-one", "operator")
    assert Api(client, token).get("/cases").status_code == 200
    with UnitOfWork(sessions, runtime) as uow:
        revoke_api_client(uow, "admin", "revoked-one")
        uow.commit()
    assert Api(client, token).get("/cases").status_code == 401


def test_a_missing_scope_or_role_answers_403_and_changes_nothing(
    api_as: Callable[..., Api], sessions: sessionmaker[Session]
) -> None:
    reader = api_as("operator", scopes=("cases:read",))
    refused = reader.post("/cases", {"procedure": "complaint", "values": intake_form()})
    assert refused.status_code == 403 and refused.mimetype == PROBLEM
    assert "cases:create" in refused.json["detail"]
    assert api_as("operator", scopes=("cases:create",)).get("/cases").status_code == 403
    assert api_as("operator", scopes=("cases:read",)).get("/tasks").status_code == 403
    assert api_as("operator", scopes=("cases:read",)).get("/customers", q="138").status_code == 403
    assert api_as("operator", scopes=("cases:read",)).get("/notices").status_code == 403
    # The role: a liaison may not record a complaint; a department's handler may not search by customer.
    liaison = api_as("liaison")
    before = rows(sessions)
    assert liaison.post("/cases", {"procedure": "complaint", "values": intake_form()}).status_code == 403
    assert rows(sessions) == before
    number = _open(api_as("operator"))
    handler = api_as("department_head", "operations")
    assert handler.get("/cases", customer="张").status_code == 403
    assert handler.get("/customers", q="138").status_code == 403
    # A task of another group: not the operator's to complete (as on the task page).
    task_id = _task(handler, number, "department_handling")
    refused = api_as("operator").post(f"/tasks/{task_id}/complete", {"values": HANDLING})
    assert refused.status_code == 403 and refused.mimetype == PROBLEM
    # A case the client's role may not read looks like one that does not exist.
    assert api_as("repair_worker").get(f"/cases/{number}").status_code == 404


def test_personal_data_is_masked_by_role_and_unmasked_reads_are_logged_m6(
    api_as: Callable[..., Api], sessions: sessionmaker[Session]
) -> None:
    number = _open(api_as("operator"))
    supervisor, handler = api_as("supervisor"), api_as("department_head", "operations")

    full = supervisor.get(f"/cases/{number}").json
    assert full["customer_name"] == "张伟" and full["customer_phone"] == "13800001111"
    assert full["data"]["customer_phone"] == "13800001111"
    # The department's handler must call and visit the customer for its step (customer_contact =
    # phone,address in the diagram): those in full, the name masked, as on its task page.
    masked = handler.get(f"/cases/{number}").json
    assert masked["customer_name"] == "张*" and masked["customer_phone"] == "13800001111"
    assert "张伟" not in str(masked)
    task_id = _task(handler, number, "department_handling")
    assert "张伟" not in str(handler.get(f"/tasks/{task_id}").json)
    # In a list, with no step of the case in view, everything personal is masked for the handler.
    listed = handler.get("/cases", number=number).json["items"]
    assert listed and listed[0]["customer_phone"] != "13800001111" and listed[0]["customer_name"] == "张*"

    with sessions() as session:
        logged = {
            (a.username, a.view)
            for a in session.scalars(
                select(PersonalDataAccess).where(PersonalDataAccess.username.like("api:%"))
            )
        }
    assert ("api:c1-supervisor", "api_case") in logged
    assert ("api:c2-department-head", "api_case") in logged  # shown phone and address in full
    assert ("api:c2-department-head", "api_case_search") not in logged  # masked list


def test_a_confidential_complainant_is_three_stars_for_every_client_but_a_supervisor_c7(
    api_as: Callable[..., Api], sessions: sessionmaker[Session]
) -> None:
    """C7 in the API as on the pages: the handling department, the dispatchers and the other operators
    get `***` for the name, phone and address (not the partial mask of an ordinary case), in the case,
    its data, its history and its task; the supervisors get them in full, and that read is logged (M6)."""
    number = _open(api_as("operator"), confidential=True, department="operations")
    supervisor = api_as("supervisor")
    full = supervisor.get(f"/cases/{number}").json
    assert (full["data"]["customer_name"], full["data"]["customer_phone"]) == ("张伟", "13800001111")
    another_operator = api_as("operator", scopes=("cases:read",))  # not the one who took the call
    for client in (api_as("department_head", "operations"), api_as("dispatcher"), another_operator):
        case = client.get(f"/cases/{number}")
        assert case.status_code == 200
        body = case.json
        assert (body["customer_name"], body["customer_phone"], body["address"]) == ("***", "***", "***")
        assert (body["data"]["customer_name"], body["data"]["customer_phone"], body["data"]["address"]) == (
            "***",
            "***",
            "***",
        )
        said = str(body)
        assert "13800001111" not in said and "张伟" not in said and "138****" not in said
    handler = api_as("department_head", "operations")
    task = handler.get(f"/tasks/{_task(handler, number, 'department_handling')}").json
    assert "13800001111" not in str(task) and "张伟" not in str(task) and "138****" not in str(task)
    with sessions() as session:
        logged = {
            (a.username, a.view)
            for a in session.scalars(
                select(PersonalDataAccess).where(PersonalDataAccess.username.like("api:%"))
            )
        }
    assert ("api:c1-supervisor", "api_case") in logged
    assert {who for who, _ in logged} == {"api:c1-supervisor"}


def test_refused_values_answer_422_with_each_field_and_write_nothing(
    api_as: Callable[..., Api], sessions: sessionmaker[Session]
) -> None:
    operator = api_as("operator")
    before = rows(sessions)
    refused = operator.post(
        "/cases", {"procedure": "complaint", "values": intake_form(customer_phone="12", description="")}
    )
    assert refused.status_code == 422 and refused.mimetype == PROBLEM
    assert set(refused.json["errors"]) >= {"customer_phone", "description"}
    assert rows(sessions) == before
    bad_body = operator.post("/cases", {"procedure": "complaint", "values": {"customer_name": ["a list"]}})
    assert bad_body.status_code == 422 and "values" in bad_body.json["errors"]
    unknown = operator.post("/cases", {"procedure": "nothing", "values": {}})
    assert unknown.status_code == 422 and "procedure" in unknown.json["errors"]
    number = _open(operator)
    handler = api_as("department_head", "operations")
    task_id = _task(handler, number, "department_handling")
    incomplete = handler.post(f"/tasks/{task_id}/complete", {"values": {"outcome": "resolved"}})
    assert incomplete.status_code == 422 and "investigation" in incomplete.json["errors"]


@pytest.mark.parametrize(
    ("what", "body"),
    [
        ("nested past the recursion limit", b"[" * 5000 + b"]" * 5000),
        (
            "a lone surrogate in a value",
            b'{"procedure": "complaint", "values": {"customer_name": "\\ud800"}}',
        ),
        ("a lone surrogate in the procedure", b'{"procedure": "\\udc00", "values": {}}'),
        ("a lone surrogate in a key", b'{"procedure": "complaint", "values": {"\\ud83d": "x"}}'),
        ("not JSON", b"{not json"),
    ],
)
def test_a_body_no_view_can_use_is_a_400_in_the_client_s_language_and_writes_nothing(
    api_as: Callable[..., Api], sessions: sessionmaker[Session], what: str, body: bytes
) -> None:
    """Deep nesting raised RecursionError in the decoder, a lone surrogate an encoding error in the
    database driver: both answered 500."""
    operator = api_as("operator")
    before = rows(sessions)
    for url in ("/api/v1/cases", "/api/v1/external-tasks/fetch-and-lock", "/api/v1/messages"):
        answer = operator.http.post(
            url, data=body, headers=operator.headers({"Content-Type": "application/json"})
        )
        assert answer.status_code == 400 and answer.mimetype == PROBLEM, (what, url, answer.json)
        assert answer.json["title"] == "无法理解的请求", (what, url)
    english = operator.http.post(
        "/api/v1/cases",
        data=body,
        headers=operator.headers({"Content-Type": "application/json", "Accept-Language": "en"}),
    )
    assert english.json["title"] == "Not understood"
    assert rows(sessions) == before


def test_the_argument_checks_name_each_field_in_the_client_s_language(api_as: Callable[..., Api]) -> None:
    """marshmallow's own messages ("Missing data for required field.", "Unknown field.") reached a client
    that asked for Chinese in English."""
    operator = api_as("operator")
    body = {"process": "complaint", "values": {}, "intake_key": "!" * 3}
    chinese = operator.post("/cases", body)
    assert chinese.status_code == 422
    assert chinese.json["errors"]["procedure"] == "此项为必填项。"
    assert chinese.json["errors"]["process"] == "此处没有这个字段。"
    assert chinese.json["errors"]["intake_key"] == "此值的格式不正确。"
    english = operator.post("/cases", body, {"Accept-Language": "en"})
    assert english.json["errors"]["procedure"] == "This value is required."
    wrong_type = operator.post("/cases", {"procedure": ["complaint"], "values": []})
    assert wrong_type.json["errors"] == {"procedure": "此值必须是文字。", "values": "此值必须是 JSON 对象。"}


@pytest.mark.parametrize("path", ["/cases/TS-1%00", "/procedures/%00/start-form", "/cases/%0b"])
def test_a_control_character_in_the_path_is_a_400_problem(api_as: Callable[..., Api], path: str) -> None:
    """PostgreSQL cannot compare a text with NUL: the case and start-form reads answered 500."""
    answer = api_as("supervisor").get(path)
    assert answer.status_code == 400 and answer.mimetype == PROBLEM
    assert answer.json["title"] == "含有不可使用的字符"


def test_a_method_an_address_does_not_take_is_a_405_in_the_client_s_language(
    api_as: Callable[..., Api],
) -> None:
    answer = api_as("operator").http.delete("/api/v1/cases", headers=api_as("operator").headers())
    assert answer.status_code == 405 and answer.mimetype == PROBLEM
    assert answer.json["title"] == "此处不能这样操作" and "GET" in answer.headers["Allow"]


def test_two_clients_claiming_one_task_the_second_gets_409(api_as: Callable[..., Api]) -> None:
    number = _open(api_as("operator"))
    first, second = api_as("department_head", "operations"), api_as("supervisor", "operations")
    task_id = _task(first, number, "department_handling")
    assert first.post(f"/tasks/{task_id}/claim").json["assignee"] == "api:c1-department-head"
    late = second.post(f"/tasks/{task_id}/claim")
    assert late.status_code == 409 and late.mimetype == PROBLEM
    assert late.json["title"] and late.json["code"]
    released = first.post(f"/tasks/{task_id}/release")
    assert released.status_code == 200 and released.json["assignee"] is None
    assert second.post(f"/tasks/{task_id}/claim").status_code == 200
    assert first.post(f"/tasks/{task_id}/claim").status_code == 409
    assert second.post(f"/tasks/{task_id}/release").status_code == 200
    assert first.post(f"/tasks/{task_id}/claim").status_code == 200
    done = first.post(f"/tasks/{task_id}/complete", {"values": HANDLING})
    assert done.status_code == 200
    again = second.post(f"/tasks/{task_id}/complete", {"values": HANDLING})
    assert again.status_code in (403, 409)


def test_a_stale_if_match_answers_412_and_changes_nothing(
    api_as: Callable[..., Api], sessions: sessionmaker[Session]
) -> None:
    """The client read the case before the department's step was done: its callback is refused."""
    operator, handler = api_as("operator"), api_as("department_head", "operations")
    number = _open(operator)
    read_before = operator.get(f"/cases/{number}")
    stale = read_before.headers["ETag"]
    task_id = _task(handler, number, "department_handling")
    assert handler.post(f"/tasks/{task_id}/complete", {"values": HANDLING}).status_code == 200
    callback = _task(operator, number, "callback")
    before = rows(sessions)
    refused = operator.post(
        f"/tasks/{callback}/complete",
        {"values": {"customer_informed": True, "satisfied": "yes"}},
        {"If-Match": stale},
    )
    assert refused.status_code == 412 and refused.mimetype == PROBLEM
    assert refused.headers["ETag"] != stale
    assert rows(sessions) == before
    fresh = operator.get(f"/tasks/{callback}").headers["ETag"]
    done = operator.post(
        f"/tasks/{callback}/complete",
        {"values": {"customer_informed": True, "satisfied": "yes"}},
        {"If-Match": fresh},
    )
    assert done.status_code == 200


def test_case_search_pages_with_cursors_and_refuses_a_forged_one(api_as: Callable[..., Api]) -> None:
    operator = api_as("operator")
    numbers = {_open(operator) for _ in range(3)}
    first = operator.get("/cases", limit=2)
    assert len(first.json["items"]) == 2 and first.json["next_cursor"]
    second = operator.get("/cases", limit=2, cursor=first.json["next_cursor"])
    assert len(second.json["items"]) == 1 and second.json["next_cursor"] is None
    seen = [c["number"] for c in first.json["items"] + second.json["items"]]
    assert set(seen) == numbers and len(seen) == 3
    assert operator.get("/cases", cursor="not-a-cursor").status_code == 400
    handler = api_as("department_head", "operations")
    tasks = handler.get("/tasks", limit=2)
    assert len(tasks.json["items"]) == 2 and tasks.json["next_cursor"]
    rest = handler.get("/tasks", limit=2, cursor=tasks.json["next_cursor"])
    assert len(rest.json["items"]) == 1
    # By one of the client's groups: the department's tasks, none of the role's own.
    assert len(handler.get("/tasks", group="operations").json["items"]) == 3
    assert handler.get("/tasks", group="department_head").json["items"] == []
    assert handler.get("/tasks", group="repair").status_code == 403
    assert {t["id"] for t in rest.json["items"]}.isdisjoint({t["id"] for t in tasks.json["items"]})


def test_the_same_intake_key_opens_one_case(api_as: Callable[..., Api]) -> None:
    operator = api_as("operator")
    body = {"procedure": "complaint", "values": intake_form(), "intake_key": "phone-system-call-000123"}
    first, again = operator.post("/cases", body), operator.post("/cases", body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json["number"] == again.json["number"] and again.json["first"] is False


def test_token_calls_need_no_csrf_token_but_cookies_never_authenticate_the_api(
    client: FlaskClient, api_as: Callable[..., Api], sessions: sessionmaker[Session]
) -> None:
    """A forged page cannot use a signed-in browser against the API (its cookie is not read), and the
    cookie-authenticated form still refuses a post without its CSRF token."""
    assert (
        api_as("operator").post("/cases", {"procedure": "complaint", "values": intake_form()}).status_code
        == 201
    )
    login(client, "operator")
    before = rows(sessions)
    by_cookie = client.post("/api/v1/cases", json={"procedure": "complaint", "values": intake_form()})
    assert by_cookie.status_code == 401
    assert "Set-Cookie" not in by_cookie.headers
    assert post(client, "/cases/new/complaint", intake_form(), None).status == 400
    assert rows(sessions) == before


def test_each_client_is_rate_limited_on_its_own(
    tmp_path: Path,
    database_url: str,
    runtime: Runtime,
    sessions: sessionmaker[Session],
    every_procedure: None,
) -> None:
    app = build_app(tmp_path, database_url, runtime, sessions, {"HOTLINE_API_RATE_LIMIT": "3 per minute"})
    http = app.test_client()
    one = Api(http, make_client(sessions, runtime, "one", "operator"))
    two = Api(http, make_client(sessions, runtime, "two", "operator"))
    answers = [one.get("/notices") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0"]
    limited = one.get("/notices")
    assert limited.status_code == 429 and limited.mimetype == PROBLEM and limited.headers["Retry-After"]
    assert two.get("/notices").status_code == 200
    # Pages have no limit (the limiter's hooks do not run for them): many sign-in pages, no headers.
    pages = [http.get("/login") for _ in range(5)]
    assert [p.status_code for p in pages] == [200] * 5
    assert not any(k.startswith("X-RateLimit") for p in pages for k, _ in p.headers)


def test_every_call_is_logged_with_its_client(
    api_as: Callable[..., Api], caplog: pytest.LogCaptureFixture
) -> None:
    operator = api_as("operator")
    with caplog.at_level(logging.INFO, logger="hotline.requests"):
        number = _open(operator)
        operator.get(f"/cases/{number}")
    lines = [(r.getMessage(), getattr(r, "user", None), getattr(r, "case", None)) for r in caplog.records]
    assert any(
        m.startswith("POST api_cases.open_case /api/v1/cases 201") and u == "api:c0-operator"
        for m, u, _c in lines
    )
    assert any(
        m.startswith("GET api_cases.read_case") and u == "api:c0-operator" and c == number
        for m, u, c in lines
    )


def test_problems_speak_the_language_the_client_asks_for(client: FlaskClient) -> None:
    chinese = client.get("/api/v1/cases")
    english = client.get("/api/v1/cases", headers={"Accept-Language": "en"})
    assert chinese.json["title"] == "需要认证"
    assert english.json["title"] == "Authentication needed"
    assert client.get("/api/v1/no-such-thing").mimetype == PROBLEM


def test_customers_and_notices(api_as: Callable[..., Api], sessions: sessionmaker[Session]) -> None:
    operator = api_as("operator")
    _open(operator)  # the caller joins the register
    found = operator.get("/customers", q="13800001111")
    assert found.status_code == 200 and found.json[0]["phone"] == "13800001111"
    with sessions() as session:
        views = set(
            session.scalars(select(PersonalDataAccess.view).where(PersonalDataAccess.username.like("api:%")))
        )
    assert "api_customer_lookup" in views
    assert operator.get("/notices").json == []
    assert operator.get("/customers").status_code == 422
