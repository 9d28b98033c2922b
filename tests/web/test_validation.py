"""Server-side checks of the diagram's form constraints: a wrong value gives 400, the message next to
the field, every value the user typed still in the form, and nothing written."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, session
from flask.testing import FlaskClient
from flask_babel import refresh
from sqlalchemy.orm import Session, sessionmaker

from engine.bpmn.form_fields import FieldError
from engine.runtime import Runtime
from tests.helpers import intake_form
from tests.web.support import Page, get, login, record_case, rows, snapshot, submit, task_of
from webforms.labels import error_text

INTAKE_FIELDS = (
    "customer_name",
    "customer_phone",
    "address",
    "occurred_at",
    "description",
    "category",
    "department",
    "needs_site_visit",
    "apologised",
)

REQUIRED = "此项为必填项。"
PATTERN = "格式不正确（电话号码示例：13812345678 或 0951-5012345）。"
NOT_OPTION = "请从列表中选择一项。"


def assert_typed_values_kept(page: Page, typed: dict[str, Any], except_fields: tuple[str, ...] = ()) -> None:
    for field_id in INTAKE_FIELDS:
        if field_id in except_fields:
            continue
        value = typed.get(field_id)
        shown = page.field_value(field_id)
        if isinstance(value, bool) or field_id in ("needs_site_visit", "apologised"):
            assert shown is bool(value), field_id
        else:
            assert shown == ("" if value is None else value), field_id


@pytest.mark.parametrize(
    ("overrides", "field_id", "message"),
    [
        ({"customer_name": ""}, "customer_name", REQUIRED),
        ({"address": "   "}, "address", REQUIRED),
        ({"apologised": False}, "apologised", REQUIRED),
        ({"customer_phone": "12345"}, "customer_phone", PATTERN),
        ({"customer_phone": "138-0000-1111x"}, "customer_phone", PATTERN),
        ({"customer_name": "张" * 51}, "customer_name", "最多可输入 50 个字符。"),
        ({"description": "很冷" * 1001}, "description", "最多可输入 2000 个字符。"),
        ({"category": "weather"}, "category", NOT_OPTION),
        ({"department": "marketing"}, "department", NOT_OPTION),
    ],
    ids=[
        "required-text",
        "required-blank-spaces",
        "required-checkbox",
        "pattern-short-phone",
        "pattern-letters",
        "maxlength-name",
        "maxlength-description",
        "enum-category",
        "enum-department",
    ],
)
def test_an_invalid_intake_is_refused_and_the_form_keeps_what_was_typed(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    overrides: dict[str, Any],
    field_id: str,
    message: str,
) -> None:
    """C1: the intake records the complaint completely and correctly, or not at all."""
    login(client, "operator")
    typed = intake_form(**overrides)
    before = rows(sessions)

    page = submit(client, "/cases/new/complaint", typed)

    assert page.status == 400
    assert page.has("intake-form")
    assert page.error(field_id) == message
    assert [e.get("id") for e in page.doc.xpath("//*[starts-with(@id, 'err-')]")] == [f"err-{field_id}"]
    assert page.flashes() == ["部分内容需要修改，工单尚未登记。"]
    is_enum = field_id in ("category", "department")
    # A value that is not one of the options cannot be shown selected; every other value comes back as typed.
    assert_typed_values_kept(page, typed, except_fields=(field_id,) if is_enum else ())
    if is_enum:
        assert page.field_value(field_id) == ""
    assert rows(sessions) == before, "no case, no case number, no history"


def test_several_errors_are_shown_together(client: FlaskClient, sessions: sessionmaker[Session]) -> None:
    login(client, "operator")
    typed = intake_form(customer_name="", customer_phone="110", category="?", description="冷")
    page = submit(client, "/cases/new/complaint", typed)

    assert page.status == 400
    assert page.error("customer_name") == REQUIRED
    assert page.error("customer_phone") == PATTERN
    assert page.error("category") == NOT_OPTION
    assert page.error("description") == "请至少输入 5 个字符，一个汉字算两个字符。"
    assert_typed_values_kept(page, typed, except_fields=("category",))
    assert rows(sessions)["process_instance"] == 0


@pytest.mark.parametrize("process_key", ["complaint", "repair"])
def test_a_four_character_chinese_description_is_enough(
    client: FlaskClient, sessions: sessionmaker[Session], process_key: str, deploy_process: Any
) -> None:
    """暖气不热 says what is wrong: a Chinese character counts as two toward the description's minimum
    of 5, in both diagrams that set one; 停水 and "leak" stay too short. The form says the rule beside
    the field, for the browser to show while what is typed is short."""

    def repair_form(description: str) -> dict[str, Any]:
        return {
            "customer_name": "刘洋",
            "customer_phone": "13900000001",
            "address": "金明区3号楼1单元101",
            "description": description,
            "category": "leak",
            "department": "",
            "urgent": "",
            "case_source": "hotline",
        }

    if process_key != "complaint":
        deploy_process(process_key)
    login(client, "operator")
    form = get(client, f"/cases/new/{process_key}")
    assert form.by_id("f-description").get("data-min-length") == "5"  # type: ignore[union-attr]
    assert "一个汉字算两个字符" in form.text("min-description")
    for short in ("停水", "leak"):
        typed = (
            intake_form(description=short) if process_key == "complaint" else repair_form(description=short)
        )
        refused = submit(client, f"/cases/new/{process_key}", typed)
        assert (
            refused.status == 400
            and refused.error("description") == "请至少输入 5 个字符，一个汉字算两个字符。"
        )
    typed = (
        intake_form(description="暖气不热")
        if process_key == "complaint"
        else repair_form(description="暖气不热")
    )
    page = submit(client, f"/cases/new/{process_key}", typed)
    assert page.status == 302, page.html
    assert rows(sessions)["process_instance"] == 1


def test_the_corrected_intake_is_recorded(client: FlaskClient, sessions: sessionmaker[Session]) -> None:
    login(client, "operator")
    assert submit(client, "/cases/new/complaint", intake_form(customer_phone="12345")).status == 400
    page = submit(client, "/cases/new/complaint", intake_form(customer_phone="0951-5012345"))
    assert page.status == 302
    assert page.response.headers["Location"] == "/cases/TS-20261123-0001", (
        "the refused try used no case number"
    )
    assert rows(sessions)["process_instance"] == 1


def test_an_invalid_task_form_is_refused_and_keeps_what_was_typed(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """C3: the department's reply needs its findings and an outcome; a refused reply changes nothing."""
    _number, case_id = record_case(sessions, runtime)
    task_id = task_of(sessions, case_id, "department_handling")
    before = snapshot(sessions, case_id, reads=False)  # opening the form records the read (M6)

    login(client, "ops_handler")
    typed = {"investigation": "查看", "outcome": "", "result": "已处理" * 700, "extension_reason": "无"}
    page = submit(client, f"/tasks/{task_id}", typed)

    assert page.status == 400
    assert page.has("task-form")
    assert page.error("investigation") == "请至少输入 5 个字符，一个汉字算两个字符。"
    assert page.error("outcome") == REQUIRED
    assert page.error("result") == "最多可输入 2000 个字符。"
    assert page.flashes() == ["部分内容需要修改，尚未保存任何内容。"]
    assert page.field_value("investigation") == "查看"
    assert page.field_value("result") == "已处理" * 700
    assert page.field_value("extension_reason") == "无"
    assert page.field_value("outcome") == ""
    assert snapshot(sessions, case_id, reads=False) == before
    assert get(client, "/tasks").task_links()[0][1] == f"/tasks/{task_id}", "the task is still open"


def test_an_order_error_names_the_other_field_in_the_user_s_language(app: Flask) -> None:
    """The message of notBefore names the earlier field by its label in the UI language."""
    error = FieldError("before_other", {"other": "停止开始时间", "other_en": "Starts at"})
    with app.test_request_context():
        assert error_text(error) == "不得早于“停止开始时间”。"
        session["lang"] = "en"
        refresh()
        assert error_text(error) == "This may not be earlier than “Starts at”."
