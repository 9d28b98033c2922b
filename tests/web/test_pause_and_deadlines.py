"""The task page's pause and resume, the tasklist's and case page's "paused until", the yellow badge of a
warned task on the tasklist and the board, and the history's pause, resume and warning entries."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

import webforms
from engine.cases.deadline_steps import fire_due_steps
from engine.clock import SettableClock
from engine.runtime import Runtime
from engine.unit_of_work import UnitOfWork
from tests.web.support import get, login, post, record_case, submit, switch_user, task_of


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in November 2026, given in Asia/Shanghai (UTC+8)."""
    return datetime(2026, 11, day, hour - 8, minute, tzinfo=UTC)


def test_a_handler_pauses_for_an_appointment_and_resumes_by_hand_c3(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    clock.set(at(23, 9))
    number, case_id = record_case(sessions, runtime, department="operations")
    task_id = task_of(sessions, case_id, "department_handling")
    clock.set(at(23, 10))
    login(client, "ops_handler")
    url = f"/tasks/{task_id}"

    refused = submit(client, url, {"reason": "appointment"}, post_url=f"{url}/pause")
    assert refused.status == 400 and refused.has("err-pause-resume-at")
    past = submit(client, url, {"reason": "other", "resume_at": "2026-11-22T10:00"}, post_url=f"{url}/pause")
    assert past.status == 400 and past.has("err-pause-note") and past.has("err-pause-resume-at")
    garbage = submit(client, url, {"reason": "x" * 5000, "resume_at": "soon"}, post_url=f"{url}/pause")
    assert garbage.status == 400 and garbage.has("err-pause-reason")

    paused = submit(
        client,
        url,
        {"reason": "appointment", "note": "客户约周二下午", "resume_at": "2026-11-24T14:00"},
        post_url=f"{url}/pause",
        follow=True,
    )
    assert paused.status == 200 and paused.has("paused-state") and paused.has("resume")
    assert "2026-11-24 14:00" in paused.text("paused-until")
    listed = get(client, "/tasks")
    assert "挂起至 2026-11-24 14:00" in listed.html
    case_page = get(client, f"/cases/{number}")
    assert "挂起至 2026-11-24 14:00" in case_page.html

    # a second pause (a stale page) and a completion are conflicts, not errors
    token = paused.csrf_token()
    again = post(client, f"{url}/pause", {"reason": "materials"}, token)
    assert again.status == 409
    done = post(client, url, {"investigation": "已处理完毕", "outcome": "resolved", "result": "好"}, token)
    assert done.status == 409

    clock.set(at(24, 10))  # 7.5 working hours on Monday and 1.5 on Tuesday
    resumed = post(client, f"{url}/resume", {}, token, follow=True)
    assert resumed.status == 200 and not resumed.has("paused-state")
    assert "2026-11-23 23:59" in resumed.text("deadline-moved")
    assert "2026-11-24 17:30" in resumed.text("task-due")
    history = get(client, f"/cases/{number}").html
    assert "暂停计时" in history and "恢复计时" in history and "客户不在家" not in history
    assert "已与客户约定日期" in history
    assert post(client, f"{url}/resume", {}, token).status == 409


def test_a_warned_task_is_yellow_on_the_tasklist_and_the_board_c4(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    clock.set(at(23, 9))
    number, case_id = record_case(sessions, runtime, department="operations")
    clock.set(at(23, 13, 16))  # past the 50 % warning at 13:15
    assert fire_due_steps(lambda: UnitOfWork(sessions, runtime)) == 1
    runtime.workflows.clear()
    login(client, "ops_handler")
    listed = get(client, "/tasks")
    assert listed.all("yellow") and "已预警" in listed.html
    switch_user(client, "supervisor")
    board = get(client, "/board")
    assert board.status == 200 and number in board.html and board.all("yellow")
    assert "时限预警（黄灯）" in get(client, f"/cases/{number}").html


def test_the_last_chase_prints_as_a_chase_notice_in_both_languages_c4(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    clock.set(at(23, 9))
    number, case_id = record_case(sessions, runtime, department="operations")
    clock.set(at(24, 12, 31))  # both warnings, and the chases 2 and 4 working hours after the deadline
    assert fire_due_steps(lambda: UnitOfWork(sessions, runtime)) == 4
    runtime.workflows.clear()
    login(client, "supervisor")
    case_page = get(client, f"/cases/{number}")
    links = case_page.doc.xpath("//ul[@id='chases']//a/@href")
    assert len(links) == 2
    assert "超时催办（红灯）" in case_page.html
    board = get(client, "/board")
    assert "30 天内被催办 2 次" in board.text("group-operations")

    notice = get(client, links[-1])
    assert notice.status == 200
    assert notice.text("chase-notice").startswith(f"{number} · 打印 催办通知书")
    assert "2026-11-23 23:59" in notice.text("notice-deadline")
    assert "最后一级" in notice.text("notice-level")
    assert "生产运行" in notice.text("notice-to") or "operations" not in notice.text("notice-to")
    assert "@media print" in (Path(webforms.__file__).parent / "static" / "hotline.css").read_text("utf-8")

    token = notice.csrf_token()
    assert post(client, "/lang/en", {"next": "/tasks"}, token).status == 302
    english = get(client, links[-1])
    assert "Chase notice" in english.text("chase-notice") and "last level" in english.text("notice-level")
    assert get(client, f"/cases/{number}/chase-notice/999999").status == 404
    switch_user(client, "billing_handler")
    assert get(client, links[-1]).status in (403, 404)
