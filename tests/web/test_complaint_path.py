"""The whole complaint procedure through web requests only, as the staff do it: intake by the operator,
handling by the department, a callback that is not satisfied and sends the case back, a second
handling, a satisfied callback, the summary and closing, and the supervisor reading the history."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.runtime import Runtime
from tests.helpers import intake_form
from tests.web.support import NAMES, Page, get, login, record_case, submit, switch_user, task_of

FIRST_HANDLING = {
    "investigation": "热力站循环泵故障,二次网供水温度偏低。",
    "outcome": "resolved",
    "result": "已更换循环泵,室温恢复。",
}
SECOND_HANDLING = {
    "investigation": "复查发现该户暖气片积气。",
    "outcome": "resolved",
    "result": "上门排气并复测室温20度。",
}
NOT_SATISFIED = {"customer_informed": True, "satisfied": "no", "callback_note": "客户称室温仍只有16度。"}
SATISFIED = {"customer_informed": True, "satisfied": "yes", "callback_note": "客户确认室温20度,表示满意。"}
SUMMARY = {
    "root_cause": "循环泵老化且用户暖气片积气。",
    "improvement": "入冬前巡检循环泵;提醒用户排气。",
    "close_reason": "resolved",
}


def only_task(client: FlaskClient, element_id: str, case_number: str) -> str:
    """The signed-in user's tasklist holds exactly this one task of the case; returns its address."""
    links = get(client, "/tasks").task_links()
    assert [(element, case) for element, _url, case in links] == [(element_id, case_number)]
    return links[0][1]


def complete(
    client: FlaskClient, clock: SettableClock, minutes: int, element_id: str, case_number: str, form: dict
) -> Page:
    """Let time pass, then open the task from the tasklist and complete it."""
    clock.advance(timedelta(minutes=minutes))
    url = only_task(client, element_id, case_number)
    page = submit(client, url, form)
    assert page.status == 302, page.html
    assert page.response.headers["Location"] == "/tasks"
    done = get(client, "/tasks")
    assert any(case_number in message and "已完成" in message for message in done.flashes()), done.flashes()
    return done


def test_a_complaint_from_the_call_to_the_closed_case(client: FlaskClient, clock: SettableClock) -> None:
    """C1, S3 intake by the operator who took the call; C2, C3 handling by the department chosen;
    C5 a callback that is not satisfied sends the case back; C6 summary and close; C7 the closed
    complaint is kept and the supervisor sees the complainant; M6 every change is in the history."""
    # C1, S3: the operator who takes the call records it and owns the case from the first moment.
    login(client, "operator")
    intake = get(client, "/cases/new/complaint")
    assert intake.has("intake-form")
    page = submit(client, "/cases/new/complaint", intake_form())
    assert page.status == 302
    case_url = page.response.headers["Location"]
    case = get(client, case_url)
    number = case.text("case-number")
    assert number == "TS-20261123-0001" and case_url == f"/cases/{number}"
    assert case.flashes() == [
        f"工单 {number} 已登记。请告知来电人此工单号；凭工单号和电话号码后四位可在 http://localhost/track 查询办理进度。"
    ], "the number to tell the caller"
    assert case.text("case-status") == "处理中"

    # C2, C3: handed to the department chosen at intake; its handler finds it in the tasklist.
    switch_user(client, "ops_handler")
    task_page = get(client, only_task(client, "department_handling", number))
    assert task_page.has("task-form") and task_page.has("complete")
    complete(client, clock, 30, "department_handling", number, FIRST_HANDLING)
    assert get(client, "/tasks").has("no-tasks")

    # C5: the operator calls the customer back; not satisfied sends the case back to the department.
    switch_user(client, "operator")
    complete(client, clock, 15, "callback", number, NOT_SATISFIED)
    assert get(client, "/tasks").has("no-tasks")
    switch_user(client, "ops_handler")
    complete(client, clock, 60, "department_handling", number, SECOND_HANDLING)

    # C5, C6: satisfied now; the operator summarises cause and improvement and closes the case.
    switch_user(client, "operator")
    complete(client, clock, 10, "callback", number, SATISFIED)
    complete(client, clock, 5, "summarise_and_close", number, SUMMARY)
    assert get(client, "/tasks").has("no-tasks")

    # The supervisor reads the closed case: every step, who, when (Beijing time) and what changed.
    switch_user(client, "supervisor")
    case = get(client, case_url)
    assert case.status == 200
    assert case.text("case-number") == number
    assert case.text("case-status") == "已办结"
    history = case.history()
    steps = [(e.when, e.kind, e.element, e.actor.split(maxsplit=1)[1]) for e in history]
    assert steps == [
        ("2026-11-23 09:00:00", "工单已登记", "投诉处理", NAMES["operator"]),
        ("2026-11-23 09:00:00", "任务已完成", "登记投诉", NAMES["operator"]),
        ("2026-11-23 09:00:00", "系统自动处理", "按分类派工", "系统"),
        ("2026-11-23 09:00:00", "系统自动处理", "确定责任部门", "系统"),
        ("2026-11-23 09:00:00", "系统自动处理", "设定当日答复时限", "系统"),
        ("2026-11-23 09:00:00", "流程已结束", "协办意见已收齐", "系统"),  # no assisting department: no part
        ("2026-11-23 09:00:00", "任务已生成", "调查处理并答复", "系统"),
        ("2026-11-23 09:30:00", "完成时认领任务", "调查处理并答复", NAMES["ops_handler"]),
        ("2026-11-23 09:30:00", "任务已完成", "调查处理并答复", NAMES["ops_handler"]),
        ("2026-11-23 09:30:00", "任务已生成", "回访客户", "系统"),
        ("2026-11-23 09:45:00", "完成时认领任务", "回访客户", NAMES["operator"]),
        ("2026-11-23 09:45:00", "任务已完成", "回访客户", NAMES["operator"]),
        ("2026-11-23 09:45:00", "系统自动处理", "退回部门重新处理", "系统"),
        ("2026-11-23 09:45:00", "任务已生成", "调查处理并答复", "系统"),
        ("2026-11-23 10:45:00", "完成时认领任务", "调查处理并答复", NAMES["ops_handler"]),
        ("2026-11-23 10:45:00", "任务已完成", "调查处理并答复", NAMES["ops_handler"]),
        ("2026-11-23 10:45:00", "任务已生成", "回访客户", "系统"),
        ("2026-11-23 10:55:00", "完成时认领任务", "回访客户", NAMES["operator"]),
        ("2026-11-23 10:55:00", "任务已完成", "回访客户", NAMES["operator"]),
        ("2026-11-23 10:55:00", "任务已生成", "分析总结并结案", "系统"),
        ("2026-11-23 11:00:00", "完成时认领任务", "分析总结并结案", NAMES["operator"]),
        ("2026-11-23 11:00:00", "任务已完成", "分析总结并结案", NAMES["operator"]),
        ("2026-11-23 11:00:00", "流程已结束", "结案", "系统"),
        ("2026-11-23 11:00:00", "工单已办结", "", "系统"),
    ]

    # The data each step changed, as labelled values (a supervisor sees the complainant in full, C7).
    expected_changes = {
        0: {"流程版本": ("—", "1")},
        2: {"分类对应部门": ("—", "生产运行"), "到场时限（分钟）": ("—", "240")},
        1: {
            "工单来源": ("—", "96666热线来电"),
            "投诉人姓名": ("—", "张伟"),
            "联系电话": ("—", "13800001111"),
            "地址": ("—", "金明小区3号楼2单元501"),
            "发生日期": ("—", "2026-11-22"),
            "投诉内容": ("—", "室内温度只有14度,已经持续三天。"),
            "投诉类别": ("—", "温度不达标"),
            "责任部门": ("—", "生产运行"),
            "需上门处理": ("—", "否"),
            "保密投诉": ("—", "否"),
            "已向客户致歉": ("—", "是"),
        },
        4: {
            "本单位答复时限": ("—", "2026-11-23 23:59"),
            "答复截止时间": ("—", "2026-11-23 23:59"),
            "退回责任部门次数": ("—", "0"),
        },
        6: {"候选组": ("—", "生产运行部")},
        8: {
            "调查情况": ("—", FIRST_HANDLING["investigation"]),
            "处理结果": ("—", "已处理完毕并答复"),
            "处理结果说明": ("—", FIRST_HANDLING["result"]),
        },
        9: {"候选组": ("—", "热线接线员")},
        11: {
            "已告知客户处理结果": ("—", "是"),
            "客户是否满意": ("—", "不满意"),
            "回访记录": ("—", NOT_SATISFIED["callback_note"]),
        },
        12: {"退回责任部门次数": ("0", "1"), "处理结果": ("已处理完毕并答复", "—")},
        13: {"候选组": ("—", "生产运行部")},
        15: {
            "调查情况": (FIRST_HANDLING["investigation"], SECOND_HANDLING["investigation"]),
            "处理结果": ("—", "已处理完毕并答复"),
            "处理结果说明": (FIRST_HANDLING["result"], SECOND_HANDLING["result"]),
        },
        16: {"候选组": ("—", "热线接线员")},
        18: {
            "客户是否满意": ("不满意", "满意"),
            "回访记录": (NOT_SATISFIED["callback_note"], SATISFIED["callback_note"]),
        },
        19: {"候选组": ("—", "热线接线员")},
        21: {
            "原因分析": ("—", SUMMARY["root_cause"]),
            "改进措施": ("—", SUMMARY["improvement"]),
            "结案原因": ("—", "问题已解决"),
        },
    }
    for index, changes in expected_changes.items():
        shown = history[index].changes
        assert {label: shown.get(label) for label in changes} == changes, f"step {index}: {steps[index]}"
        moved = {label: values for label, values in shown.items() if values[0] != values[1]}
        assert moved == changes, f"step {index} shows other changed data: {moved}"

    # The case data at the end, as the supervisor sees it.
    data = {dd.get("data-field"): dd.text_content().strip() for dd in case.doc.xpath("//dd[@data-field]")}
    assert data["customer_phone"] == "13800001111"
    assert (
        data["satisfied"] == "满意" and data["close_reason"] == "问题已解决" and data["reopen_count"] == "1"
    )
    assert "2026-11-23 11:00" in case.html, "closing time shown"
    assert get(client, "/cases?status=completed").html.count(number) >= 1, "a closed complaint is kept (C7)"


def test_what_the_caller_said_is_shown_as_text_not_markup(client: FlaskClient) -> None:
    """C1: the description is kept word for word, and shown as text on every page that shows it."""
    said = '<script>alert("x")</script><img src=x onerror=alert(1)> 暖气不热'
    login(client, "operator")
    page = submit(client, "/cases/new/complaint", intake_form(description=said))
    case = get(client, page.response.headers["Location"])

    assert case.doc.xpath("//main//script | //main//img") == []
    assert case.doc.xpath("//dd[@data-field='description']")[0].text_content().strip() == said


def test_the_history_lists_only_data_that_changed(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """The supervisor reads what each step changed; a field nobody filled in did not change."""
    number, case_id = record_case(sessions, runtime)
    login(client, "ops_handler")
    assert (
        submit(client, f"/tasks/{task_of(sessions, case_id, 'department_handling')}", FIRST_HANDLING).status
        == 302
    )
    switch_user(client, "supervisor")

    rows = [
        (entry.element, label, values)
        for entry in get(client, f"/cases/{number}").history()
        for label, values in entry.changes.items()
    ]
    assert [row for row in rows if row[2][0] == row[2][1]] == []
