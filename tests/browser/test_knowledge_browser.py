"""The intake page's knowledge panel in a real browser (issue 20, item 8; Q1): nothing is suggested for
an empty question; as the operator types the caller's question the matching entry is offered, and one
click copies its answer into the answer field and notes the entry it came from."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.knowledge import add_entry_form
from engine.runtime import Runtime
from engine.unit_of_work import UnitOfWork
from tests.browser.support import Page, expect, sign_in

pytestmark = pytest.mark.browser

ANSWER = "供热期内室温连续低于18℃，经测温确认后可按天申请退还热费。"


def test_an_operator_takes_an_answer_from_the_knowledge_panel_while_typing_the_question_q1(
    page: Page, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    with UnitOfWork(sessions, runtime) as uow:
        entry = add_entry_form(
            uow,
            "supervisor",
            {
                "title": "室温不达标如何申请退费",
                "answer": ANSWER,
                "category_code": "temperature",
                "keywords": "退费 测温 室温",
                "owner": "supervisor",
            },
        )
        uow.commit()
        entry_id = entry.id
    sign_in(page, "operator")
    page.goto("/cases/new/consultation")
    expect(page.locator("#knowledge-nothing")).to_be_visible()
    page.locator("#f-question").press_sequentially("室温低能退费吗")
    suggested = page.locator(f"#suggested-entry-{entry_id}")
    expect(suggested).to_contain_text("室温不达标如何申请退费")
    expect(page.locator("#knowledge-nothing")).to_have_count(0)
    page.click(f"#use-entry-{entry_id}")
    expect(page.locator("#f-answer")).to_have_value(ANSWER)
    expect(page.locator("[name=answered_from]")).to_have_value(str(entry_id))
    # Typing in the answer asks nothing again: the suggestion stays as it was.
    page.locator("#f-answer").press_sequentially("。")
    page.wait_for_timeout(600)
    expect(suggested).to_be_visible()
