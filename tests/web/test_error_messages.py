"""One place maps an engine error to a status and a message in the user's language
(webforms/error_messages.py); the message is the engine's template said through the catalogs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, session

from engine.bpmn.safe_xml import UnsafeXml
from engine.cases.attachments import AttachmentRefused
from engine.errors import Conflict, FormInvalid, HotlineError, NotAllowed, NotFound, ScriptFailed
from engine.processes.diff import Change
from engine.processes.validation import DiagramProblem, InvalidDiagram
from engine.supervision.handover import HandoverNotAllowed
from tests.web.support import NAMES
from webforms.error_messages import message_for, status_for, title_for
from webforms.i18n import translated
from webforms.processes.problem_messages import problem_as_dict


@contextmanager
def request_in(app: Flask, language: str) -> Iterator[None]:
    with app.test_request_context("/"):
        session["lang"] = language
        yield


def closed_task() -> Conflict:
    return Conflict(
        "task 'Reply' of case C-1 is already completed by operator",
        "task_closed",
        task="Reply",
        case="C-1",
        status="completed",
        by="operator",
    )


def test_each_kind_of_error_answers_with_its_status() -> None:
    assert [
        status_for(error)
        for error in (
            NotFound("no case"),
            NotAllowed("not yours"),
            closed_task(),
            HandoverNotAllowed("own_handover"),
            FormInvalid({}, {}),
            UnsafeXml("xml-doctype", "doctype"),
            AttachmentRefused("empty"),
            InvalidDiagram([]),
            ScriptFailed("s", "boom"),
            HotlineError("something else"),
        )
    ] == [404, 403, 409, 409, 400, 400, 400, 422, 500, 400]


def test_a_conflict_is_said_in_chinese_with_the_persons_name(app: Flask) -> None:
    with request_in(app, "zh_CN"):
        message = message_for(closed_task())
        assert title_for(closed_task()) == "已被他人抢先处理"
    assert "C-1" in message and NAMES["operator"] in message and "operator" not in message
    assert "Nothing was changed" not in message


def test_the_same_conflict_in_english(app: Flask) -> None:
    with request_in(app, "en"):
        assert message_for(closed_task()) == (
            f"Task “Reply” of case C-1 is already completed (by {NAMES['operator']}). Nothing was changed."
        )


def test_refusals_with_a_template_are_translated_and_others_keep_their_message(app: Flask) -> None:
    with request_in(app, "zh_CN"):
        assert message_for(AttachmentRefused("not_allowed")) == "只能上传照片（JPEG、PNG）或 PDF 文件。"
        assert message_for(NotFound("no case C-9")) == "no case C-9"


def test_engine_messages_are_said_in_the_users_language(app: Flask) -> None:
    problem = DiagramProblem("callback", "回访客户", "missing-layout", "complaint", (("name", "回访客户"),))
    change = Change("added", (("type", "user task"),))
    with request_in(app, "en"):
        assert translated(change) == "user task added"
        assert problem_as_dict(problem)["message"] == problem.message
    with request_in(app, "zh_CN"):
        assert translated(change) == "新增 人工任务"  # the element kind is translated too
        assert problem_as_dict(problem)["message"] == (
            "“回访客户”没有画在图上（图中没有它的图形或连线）。请在建模器中打开流程图并把它放到图上。"
        )
