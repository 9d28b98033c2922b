"""Issue 14 §6: no input answers 500. Each case below was a 500 on main; now it is a clear message in
the user's language, the form shown again with what was typed, and nothing written."""

from __future__ import annotations

import threading
from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

import engine.work.use_cases
from engine.db.models import Category, Customer, ProcessInstance
from engine.supervision.reports.export import Table, to_xlsx
from tests.helpers import intake_form
from tests.web.support import Page, get, login, post, record_case, rows, snapshot, submit, task_of

CONSULTATION = {
    "customer_name": "王芳",
    "customer_phone": "13900000004",
    "question": "今年什么时候开始供暖?",
    "category": "billing",
    "promised_reply_at": "2026-11-23T15:00",
    "reply_channel": "sms",
    "contact": "13900000004",
}


def customers(sessions: sessionmaker[Session], phone: str | None = None) -> list[tuple[str, str]]:
    with sessions() as session:
        query = select(Customer.phone, Customer.account_no).order_by(Customer.id)
        if phone is not None:
            query = query.where(Customer.phone == phone)
        return [tuple(row) for row in session.execute(query)]


# --- new callers' account numbers ----------------------------------------------------------------------


def test_two_new_callers_whose_phones_end_alike_are_both_recorded_on_one_day(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    """The account number was T{UTC date}{last 8 digits}: the second caller hit its unique index (500)."""
    login(client, "operator")
    for phone in ("13812345678", "13912345678"):
        page = submit(client, "/cases/new/complaint", intake_form(customer_phone=phone))
        assert page.status == 302, page.flashes()
    registered = dict(customers(sessions, "13812345678") + customers(sessions, "13912345678"))
    assert registered == {"13812345678": "T2026112312345678", "13912345678": "T2026112312345678-2"}


@pytest.mark.real_commits
def test_two_intakes_for_one_new_caller_at_once_both_open_their_case_and_add_one_customer(
    app: Flask, sessions: sessionmaker[Session], database_url: str, deploy_process: Any, monkeypatch: Any
) -> None:
    """A complaint and a consultation of the same new caller recorded at the same moment (PostgreSQL):
    both register the caller before either commits; one row is added and neither intake fails."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite runs one writing transaction at a time: the two intakes cannot overlap")
    deploy_process("consultation")
    phone = "13700009999"
    both_started = threading.Barrier(2, timeout=20)
    original = engine.work.use_cases.register_caller

    def register_together(*args: Any) -> Any:
        both_started.wait()  # each case is opened (not committed): now both add the caller
        return original(*args)

    monkeypatch.setattr(engine.work.use_cases, "register_caller", register_together)
    clients = [app.test_client(), app.test_client()]
    forms = [
        ("/cases/new/complaint", intake_form(customer_phone=phone)),
        ("/cases/new/consultation", {**CONSULTATION, "customer_phone": phone, "contact": phone}),
    ]
    tokens = []
    for client, (url, _form) in zip(clients, forms, strict=True):
        login(client, "operator")
        tokens.append(get(client, url).csrf_token())
    answers: list[Page] = []

    def send(client: FlaskClient, url: str, form: dict[str, Any], token: str) -> None:
        answers.append(post(client, url, form, token))

    threads = [
        threading.Thread(target=send, args=(client, url, form, token))
        for client, (url, form), token in zip(clients, forms, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status for a in answers) == [302, 302], [a.html[:300] for a in answers]
    assert customers(sessions, phone) == [(phone, f"T20261123{phone[-8:]}")]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 2


# --- dates, control characters, lengths in forms ----------------------------------------------------


@pytest.mark.parametrize("typed", ["9999-12-31T23:59-12:00", "0001-01-01T00:00+14:00", "0001-01-01T00:00"])
def test_a_promised_reply_time_outside_the_years_a_case_can_have_is_a_field_error(
    client: FlaskClient, sessions: sessionmaker[Session], deploy_process: Any, typed: str
) -> None:
    deploy_process("consultation")
    login(client, "operator")
    before = rows(sessions)
    page = submit(client, "/cases/new/consultation", {**CONSULTATION, "promised_reply_at": typed})
    assert page.status == 400
    assert page.error("promised_reply_at") == "请输入 1900 年至 2200 年之间的日期。"
    assert page.field_value("question") == CONSULTATION["question"]
    assert rows(sessions) == before


@pytest.mark.parametrize("phone", ["13800001111", "1380\x00001111"])
def test_nul_in_a_text_field_is_a_field_error_with_the_form_kept(
    client: FlaskClient, sessions: sessionmaker[Session], phone: str
) -> None:
    """PostgreSQL refuses NUL in its JSON column, and with an invalid phone the 400 page crashed too
    (the caller's earlier cases were looked up by that phone)."""
    login(client, "operator")
    before = rows(sessions)
    page = submit(client, "/cases/new/complaint", intake_form(customer_phone=phone, customer_name="张\x00伟"))
    assert page.status == 400
    assert (
        page.error("customer_name") == "此栏含有无法保存的控制字符（U+0000）；请重新输入文字，不要直接粘贴。"
    )
    assert page.field_value("address") == intake_form()["address"]
    assert rows(sessions) == before


def test_a_vertical_tab_pasted_from_word_is_a_field_error_in_english_too(client: FlaskClient) -> None:
    login(client, "operator")
    client.post("/lang/en", data={"csrf_token": get(client, "/tasks").csrf_token()})
    page = submit(client, "/cases/new/complaint", intake_form(description="暖气不热\x0b已经三天了"))
    assert page.status == 400
    assert page.error("description") == (
        "This field holds a control character (U+000B) that cannot be kept; retype the text instead of "
        "pasting it."
    )


def test_a_text_area_without_a_maximum_takes_10000_characters_and_says_so_in_the_page(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    """The department's investigation (a text area) had no limit: 1.9 MB were stored and shown."""
    _number, instance_id = record_case(sessions, client.application.extensions["hotline"].runtime)
    task_id = task_of(sessions, instance_id, "department_handling")
    login(client, "ops_handler")
    page = get(client, f"/tasks/{task_id}")
    assert page.by_id("f-investigation").get("maxlength") == "10000"
    before = snapshot(sessions, instance_id, reads=False)
    refused = submit(client, f"/tasks/{task_id}", {"investigation": "查" * 10_001, "outcome": "resolved"})
    assert refused.status == 400 and refused.error("investigation") == "最多可输入 10000 个字符。"
    assert snapshot(sessions, instance_id, reads=False) == before


# --- addresses: huge ids and pages, impossible dates, control characters, next= ---------------------


def test_every_route_with_a_number_answers_404_for_a_number_no_column_holds(
    app: Flask, client: FlaskClient
) -> None:
    """/tasks/99999999999999999999 raised OverflowError in SQLite; /tasks/3000000000 a DataError in
    PostgreSQL, whose id columns are 32-bit."""
    login(client, "supervisor")
    urls = []
    for number in ("99999999999999999999", "2147483648"):
        for rule in app.url_map.iter_rules():
            if "GET" not in (rule.methods or set()) or "<int" not in str(rule.rule):
                continue
            url = rule.rule
            for name, converter in rule._converters.items():
                shown = number if "Integer" in type(converter).__name__ else "complaint"
                url = (
                    url.replace(f"<int:{name}>", shown)
                    .replace(f"<{name}>", shown)
                    .replace(f"<path:{name}>", shown)
                )
            urls.append(url)
    assert "/tasks/99999999999999999999" in urls and "/tasks/2147483648" in urls
    for url in urls:
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize(
    "url",
    [
        "/tasks?page=" + "1" + "0" * 30,
        "/handover/records?page=" + "1" + "0" * 30,
        "/modeler/complaint?draft=" + "1" + "0" * 30,
        "/modeler/complaint?version=" + "1" + "0" * 30,
        "/cases?from=9999-12-31&to=9999-12-31",
        "/cases?from=0001-01-01",
    ],
)
def test_huge_page_numbers_and_impossible_filter_dates_do_not_crash(client: FlaskClient, url: str) -> None:
    """A page, draft or version past 64 bits is the first page or the latest version; a filter day no
    case can have is shown as not understood."""
    login(client, "admin")
    assert client.get(url).status_code == 200


def test_a_version_number_no_column_holds_is_a_bad_request(client: FlaskClient) -> None:
    login(client, "admin")
    huge = "1" + "0" * 30
    assert client.get(f"/processes/complaint/versions/diff?from={huge}&to=1").status_code == 400


def test_an_impossible_report_date_is_said_beside_its_field(client: FlaskClient) -> None:
    login(client, "supervisor")
    page = get(client, "/kpi?from=9999-12-31&to=9999-12-31")
    assert page.status == 200
    assert page.error("from") == page.error("to") == "“9999-12-31”不在 1900 年至 2200 年之间。"


@pytest.mark.parametrize(
    "url",
    [
        "/tasks?q=%00",
        "/cases?customer=a%00b",
        "/tasks?tab=%0b",
        "/cases/new/complaint?lookup=%00",
        "/cases/TS-1%00",
        "/cases/new/%00",
        "/processes/%00/versions",
        "/admin/users/a%00b",
        "/decisions/%00",
    ],
)
def test_control_characters_in_the_address_are_refused_with_a_message(client: FlaskClient, url: str) -> None:
    """PostgreSQL cannot compare a text with NUL: the search raised before, and so did a case number
    or a procedure key in the path."""
    login(client, "admin" if "new" not in url else "operator")
    page = get(client, url)
    assert page.status == 400
    assert "控制字符" in page.html


def test_a_next_address_with_a_line_break_goes_to_the_tasklist(client: FlaskClient) -> None:
    page = get(client, "/login")
    answer = post(
        client,
        "/login?next=/tasks%0d%0aSet-Cookie:x=1",
        {"username": "operator", "password": "hotline123"},
        page.csrf_token(),
    )
    assert (answer.status, answer.response.headers["Location"]) == (302, "/tasks")
    language = post(client, "/lang/en", {"next": "/cases\r\nX: 1"}, get(client, "/login").csrf_token())
    assert language.status in (302, 400) and "\n" not in language.response.headers.get("Location", "")


# --- reference data and drafts -------------------------------------------------------------------------


def test_nul_in_a_category_name_is_a_field_error_and_nothing_is_written(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "admin")
    page = submit(
        client,
        "/admin/reference",
        {
            "new": "1",
            "code": "frozen_pipe",
            "name": "冻\x00管",
            "department_code": "repair",
            "domain": "heating",
        },
        post_url="/admin/reference/category",
    )
    assert page.status == 400
    with sessions() as session:
        assert session.get(Category, "frozen_pipe") is None


def test_nul_in_a_draft_is_refused_with_the_task_form_shown_again(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    _number, instance_id = record_case(sessions, client.application.extensions["hotline"].runtime)
    task_id = task_of(sessions, instance_id, "department_handling")
    login(client, "ops_handler")
    before = snapshot(sessions, instance_id, reads=False)
    page = submit(
        client, f"/tasks/{task_id}", {"investigation": "查\x00看"}, post_url=f"/tasks/{task_id}/draft"
    )
    assert page.status == 400 and page.error("investigation") is not None
    assert snapshot(sessions, instance_id, reads=False) == before


# --- the XLSX export ----------------------------------------------------------------------------------


def test_the_xlsx_export_writes_text_with_characters_xml_cannot_hold() -> None:
    """Older case data may hold a vertical tab (Word) or NUL: openpyxl refused the whole export."""
    table = Table(
        "notable", "Notable cases", ["Case", "What it was about"], [["TS-1", "暖气\x0b不热\x00了\x1b"]]
    )
    sheet = load_workbook(BytesIO(to_xlsx([table]))).worksheets[0]
    assert [c.value for c in sheet[2]] == ["TS-1", "暖气\n不热\ufffd了\ufffd"]


def test_a_customer_number_no_column_holds_shows_an_empty_intake(client: FlaskClient) -> None:
    login(client, "operator")
    page = get(client, "/cases/new/complaint?customer=" + "9" * 30)
    assert page.status == 200 and page.field_value("customer_phone") == ""


def test_a_migration_between_versions_no_column_holds_is_a_bad_request(client: FlaskClient) -> None:
    login(client, "admin")
    token = get(client, "/tasks").csrf_token()
    page = post(client, "/processes/complaint/migrate", {"from": "9" * 30, "to": "1", "case": "TS-1"}, token)
    assert page.status == 400


def test_minutes_written_with_a_superscript_digit_are_a_field_error(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    """'²'.isdigit() is true but int('²') raises: the category form answered 500."""
    login(client, "admin")
    form = {
        "new": "1",
        "code": "frozen_pipe",
        "name": "冻管",
        "department_code": "repair",
        "onsite_minutes": "²",
    }
    page = submit(client, "/admin/reference", form, post_url="/admin/reference/category")
    assert page.status == 400
    with sessions() as session:
        assert session.get(Category, "frozen_pipe") is None


def test_a_date_the_report_filters_cannot_use_is_kept_and_said_in_the_user_s_language(
    client: FlaskClient,
) -> None:
    """The KPI page as the hot-spot page: the value kept as typed, what is wrong with it beside its field,
    the default period counted in its place."""
    login(client, "supervisor")
    page = get(client, "/kpi?from=abc&to=2026-13-45")
    assert page.status == 200 and page.doc.xpath("//header[contains(@class, 'topbar')]")
    assert (page.field_value("from"), page.field_value("to")) == ("abc", "2026-13-45")
    assert page.error("from") == "“abc”不是日期。请按 YYYY-MM-DD 格式输入日期。"
    assert page.doc.xpath("//input[@aria-invalid='true']/@id") == ["f-from", "f-to"]
    assert page.has("kpi-table")
    submit(client, "/tasks", {"next": "/tasks"}, post_url="/lang/en")
    english = get(client, "/kpi?from=2026-11-01&to=nonsense")
    assert english.field_value("from") == "2026-11-01" and english.error("from") is None
    assert english.error("to") == "“nonsense” is not a date. Enter a date as YYYY-MM-DD."


@pytest.mark.parametrize("url", ["/tasks/2147483648", "/knowledge/2147483648/edit", "/board", "/kpi"])
def test_a_method_a_page_does_not_take_answers_the_app_s_own_page_in_the_user_s_language(
    client: FlaskClient, url: str
) -> None:
    """A POST to a page that only shows (or to a number no column holds) answered Werkzeug's English
    "405 Method Not Allowed"."""
    login(client, "supervisor")
    answer = post(client, url, {}, get(client, "/tasks").csrf_token())
    assert answer.status == 405 and "GET" in answer.response.headers["Allow"]
    assert answer.doc.xpath("//header[contains(@class, 'topbar')]"), "the app's own layout"
    assert "此处不能这样操作" in answer.doc.text_content()
    assert "Method Not Allowed" not in answer.doc.text_content()


def test_a_page_s_json_call_with_a_body_nested_past_the_recursion_limit_is_a_bad_request(
    client: FlaskClient,
) -> None:
    """request.get_json raised RecursionError (500) on the modeler's and the decision editor's calls."""
    login(client, "admin")
    token = get(client, "/tasks").csrf_token()
    for url in ("/modeler/validate", "/decisions/any/check"):
        answer = client.post(
            url,
            data=b"[" * 5000 + b"]" * 5000,
            headers={"Content-Type": "application/json", "X-CSRFToken": token},
        )
        assert answer.status_code in (400, 404), url


@pytest.mark.parametrize(
    ("who", "action", "form"),
    [
        ("ops_handler", "pause", {"reason": "other", "note": "客户\x00不在家", "resume_at": ""}),
        ("supervisor", "reassign", {"assignee": "ops_handler", "handover_reason": "换\x00人"}),
    ],
)
def test_nul_in_a_pause_note_or_a_handover_reason_is_refused_and_nothing_is_written(
    client: FlaskClient, sessions: sessionmaker[Session], who: str, action: str, form: dict[str, str]
) -> None:
    """The history keeps both in a JSON column: PostgreSQL refused the NUL (500), SQLite stored it."""
    _number, instance_id = record_case(sessions, client.application.extensions["hotline"].runtime)
    task_id = task_of(sessions, instance_id, "department_handling")
    login(client, who)
    before = snapshot(sessions, instance_id, reads=False)
    page = post(client, f"/tasks/{task_id}/{action}", form, get(client, f"/tasks/{task_id}").csrf_token())
    assert page.status == 400, page.html[:500]
    assert "U+0000" in page.doc.text_content()
    assert snapshot(sessions, instance_id, reads=False) == before


@pytest.mark.parametrize("field", ["category_code", "owner"])
def test_nul_in_a_knowledge_entry_s_choice_is_a_field_error_with_the_form_kept(
    client: FlaskClient, sessions: sessionmaker[Session], field: str
) -> None:
    """The category and the owner were looked up as typed: PostgreSQL refused the NUL (500)."""
    login(client, "supervisor")
    before = rows(sessions)
    form = {
        "title": "停暖通知查询",
        "answer": "请查看公告。",
        "category_code": "",
        "owner": "",
        field: "a\x00b",
    }
    page = submit(client, "/knowledge/new", form)
    assert page.status == 400 and page.error(field) is not None
    assert page.by_id("title").get("value") == "停暖通知查询"
    assert rows(sessions) == before


@pytest.mark.parametrize("host", ["hotline..example", "x" * 64 + ".example"])
def test_a_host_header_no_address_can_be_built_for_is_a_bad_request_in_words(
    client: FlaskClient, host: str
) -> None:
    """werkzeug refuses such a Host (BadHost, 400); the error page then built its links without an
    address adapter and failed: a 500."""
    answer = client.get("/login", headers={"Host": host})
    assert answer.status_code == 400
    assert "无法使用" in answer.get_data(as_text=True)


@pytest.mark.parametrize("target", ["http://[::1", "//[::1]:99999"])
def test_a_next_address_urlsplit_cannot_read_does_not_fail_the_sign_in(
    client: FlaskClient, target: str
) -> None:
    """urlsplit raised ValueError on an unclosed "[": signing in answered 500."""
    page = get(client, "/login")
    answer = post(
        client, f"/login?next={target}", {"username": "operator", "password": "hotline123"}, page.csrf_token()
    )
    assert answer.status == 302
    assert answer.response.headers["Location"] == "/tasks"
    switched = post(client, "/lang/en", {"next": "http://[::1"}, get(client, "/tasks").csrf_token())
    assert switched.status == 302 and switched.response.headers["Location"] == "/tasks"
