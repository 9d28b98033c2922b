"""The knowledge base (issue 20, item 8): entries with versions and reviews, found by their words in
Chinese (jieba, not LIKE), valid only in their dates; the outages going on now suggested beside them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.runner import start_case
from engine.clock import SettableClock
from engine.db import KnowledgeTerm, Notice
from engine.errors import Conflict, FormInvalid
from engine.knowledge import (
    REVIEW_AFTER,
    add_entry_form,
    current_outages_for,
    entries_due_for_review,
    entry_versions,
    review_entry,
    revise_entry_form,
    search_entries,
)
from engine.runtime import Runtime
from engine.unit_of_work import UnitOfWork
from tests.helpers import OPERATOR, SUPERVISOR, intake_form

AUTHOR = SUPERVISOR.username
TODAY = date(2026, 11, 23)


def _form(**overrides: Any) -> dict[str, Any]:
    return {
        "title": "室温不达标如何申请退费",
        "answer": "供热期内室温连续低于18℃，经测温确认后可按天申请退还热费。",
        "category_code": "temperature",
        "keywords": "退费 测温 室温",
        "owner": AUTHOR,
        **overrides,
    }


@pytest.fixture
def add(sessions: sessionmaker[Session], runtime: Runtime, reference_data: None) -> Callable[..., int]:
    def add_one(**overrides: Any) -> int:
        with UnitOfWork(sessions, runtime) as uow:
            entry = add_entry_form(uow, AUTHOR, _form(**overrides))
            uow.commit()
            return entry.id

    return add_one


def _titles(sessions: sessionmaker[Session], question: str, category: str = "", **kw: Any) -> list[str]:
    with sessions() as session:
        return [f.entry.title for f in search_entries(session, question, category, TODAY, **kw)]


def test_a_question_in_everyday_words_finds_the_entry_by_its_chinese_words(
    sessions: sessionmaker[Session], add: Callable[..., int]
) -> None:
    add()
    add(
        title="水表不走字怎么办",
        answer="请先确认阀门已打开，再报修水表。",
        category_code="meter_fault",
        keywords="水表 报修",
    )
    # No entry holds the question's text; its words (室温, 退费) are what match.
    assert _titles(sessions, "我家暖气不热，室温太低了能退费吗") == ["室温不达标如何申请退费"]
    assert _titles(sessions, "水表坏了") == ["水表不走字怎么办"]
    assert _titles(sessions, "完全无关的问题") == []
    with sessions() as session:
        terms = set(session.scalars(select(KnowledgeTerm.term)))
    assert {"室温", "退费", "测温", "水表"} <= terms and "的" not in terms


def test_words_of_the_title_rank_above_words_of_the_answer_and_the_chosen_category_counts(
    sessions: sessionmaker[Session], add: Callable[..., int]
) -> None:
    add(title="测温预约", answer="拨打热线预约上门测温。", keywords="测温", category_code="temperature")
    add(title="收费标准", answer="退费时需要测温报告。", keywords="收费", category_code="billing")
    add(title="测温后的热费", answer="按测温结果核算。", keywords="测温", category_code="billing")
    assert _titles(sessions, "测温") == ["测温后的热费", "测温预约", "收费标准"]
    # Equal matches: the entry of the category the operator chose comes first.
    assert _titles(sessions, "测温预约", "temperature")[0] == "测温预约"
    assert _titles(sessions, "测温", "billing")[:2] == ["测温后的热费", "测温预约"]
    assert _titles(sessions, "测温", "temperature")[0] == "测温预约"
    # No words, a category: that category's entries.
    assert _titles(sessions, "", "billing") == ["收费标准", "测温后的热费"]


def test_an_entry_outside_its_dates_or_retired_is_not_suggested(
    sessions: sessionmaker[Session], add: Callable[..., int]
) -> None:
    add(title="冬季停热检修安排", valid_from="2026-12-01", keywords="检修")
    add(title="去年的收费通知", valid_until="2026-11-01", keywords="检修")
    add(title="已撤下的答复", active="0", keywords="检修")
    assert _titles(sessions, "检修") == []
    assert sorted(_titles(sessions, "检修", include_invalid=True)) == sorted(
        ["冬季停热检修安排", "去年的收费通知", "已撤下的答复"]
    )


def test_each_save_is_a_version_with_its_author_and_a_stale_save_is_refused(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, add: Callable[..., int]
) -> None:
    entry_id = add()
    clock.advance(timedelta(days=1))
    with UnitOfWork(sessions, runtime) as uow:
        revise_entry_form(
            uow, "ops_head", entry_id, _form(answer="新的答复：连续低于18℃可退费。", note="标准更新"), 1
        )
        uow.commit()
    with UnitOfWork(sessions, runtime) as uow, pytest.raises(Conflict):
        revise_entry_form(uow, AUTHOR, entry_id, _form(answer="基于旧版本的修改"), 1)
    with sessions() as session:
        versions = entry_versions(session, entry_id)
    assert [(v.version, v.author, v.note) for v in versions] == [(2, "ops_head", "标准更新"), (1, AUTHOR, "")]
    assert versions[1].answer.startswith("供热期内")
    # The new words replace the old: the search reads the latest version.
    assert _titles(sessions, "新的答复") == ["室温不达标如何申请退费"]


def test_a_bad_form_says_what_is_wrong_field_by_field_and_saves_nothing(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None
) -> None:
    bad = _form(
        title="",
        answer="x" * 5000,
        category_code="nonsense",
        owner="nobody",
        valid_from="2026-13-01",
        keywords="a\x00b",
    )
    with UnitOfWork(sessions, runtime) as uow, pytest.raises(FormInvalid) as refused:
        add_entry_form(uow, AUTHOR, bad)
    assert {k: e.code for k, e in refused.value.errors.items()} == {
        "title": "required",
        "answer": "max_length",
        "category_code": "not_option",
        "owner": "not_option",
        "valid_from": "not_date",
        "keywords": "control_character",
    }
    assert refused.value.values["answer"] == "x" * 5000
    with UnitOfWork(sessions, runtime) as uow, pytest.raises(FormInvalid) as refused:
        add_entry_form(uow, AUTHOR, _form(valid_from="2026-12-01", valid_until="2026-11-01"))
    assert refused.value.errors["valid_until"].code == "before_other"
    assert _titles(sessions, "退费") == []


def test_entries_not_reviewed_for_half_a_year_are_due_and_a_review_resets_the_clock(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, add: Callable[..., int]
) -> None:
    entry_id = add()
    clock.advance(REVIEW_AFTER - timedelta(days=1))
    with sessions() as session:
        assert entries_due_for_review(session, clock.now()) == []
    clock.advance(timedelta(days=2))
    with sessions() as session:
        assert [e.id for e in entries_due_for_review(session, clock.now(), owner=AUTHOR)] == [entry_id]
    with UnitOfWork(sessions, runtime) as uow:
        review_entry(uow, AUTHOR, entry_id)
        uow.commit()
    with sessions() as session:
        assert entries_due_for_review(session, clock.now()) == []
        assert len(entry_versions(session, entry_id)) == 1  # a review is not a new version


def test_the_outages_going_on_now_answer_questions_about_their_area_or_service(
    sessions: sessionmaker[Session], runtime: Runtime, deployed: Any
) -> None:
    at = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    with sessions.begin() as session:
        for number, (service, district, building) in enumerate(
            (("heating", "金明区", "3号楼"), ("water", "兴庆区", "7号楼")), start=1
        ):
            instance = start_case(session, runtime, "complaint", OPERATOR, intake_form())
            session.add(
                Notice(
                    instance_id=instance.id,
                    case_number=f"OU-{number}",
                    kind="outage",
                    service=service,
                    outage_type="fault",
                    district=district,
                    building=building,
                    unit="",
                    cause="管道抢修",
                    starts_at=at,
                    estimated_restore_at=at + timedelta(hours=6),
                    restored_at=None,
                    published_at=at,
                )
            )
    with sessions() as session:
        assert [o.case_number for o in current_outages_for(session, "暖气不热", "")] == ["OU-1"]
        assert [o.case_number for o in current_outages_for(session, "兴庆区没水了", "")] == ["OU-2"]
        # The caller's area first, then the rest of the service.
        assert [o.case_number for o in current_outages_for(session, "金明区 停水", "")][0] == "OU-1"
        assert [o.case_number for o in current_outages_for(session, "", "leak")] == ["OU-2"]
        assert current_outages_for(session, "发票怎么开", "billing") == []
