"""The public notice page (O1-O3), staff messages (L2) and the shift handover (O3, M7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db.models import Notice, Notification
from engine.runtime import Runtime
from tests.web.support import get, login, record_case, submit, switch_user


def _notice(
    sessions: sessionmaker[Session], instance_id: int, case_number: str, kind: str, **extra: object
) -> None:
    at = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    with sessions.begin() as session:
        session.add(
            Notice(
                instance_id=instance_id,
                case_number=case_number,
                kind=kind,
                service="heating",
                outage_type="fault",
                district="金明区",
                building="3号楼",
                unit="1单元",
                cause="管道爆裂",
                starts_at=at,
                estimated_restore_at=at + timedelta(hours=8),
                restored_at=None,
                published_at=at,
                **extra,
            )
        )


def test_notices_are_public_and_a_restored_outage_leaves_the_current_list_o1_o2(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """O1/O2: anyone reads the outage notice without signing in; once restored it is no longer current."""
    number, case_id = record_case(sessions, runtime)
    _notice(sessions, case_id, number, "outage")
    page = get(client, "/notices")
    assert page.status == 200
    current = page.by_id("current-outages")
    assert current.xpath(".//article/@data-case") == [number]
    assert "金明区 3号楼 1单元" in page.text("current-outages") and "管道爆裂" in page.text("current-outages")
    assert "09:00" in page.text("current-outages") and "17:00" in page.text("current-outages")  # local time

    _notice(
        sessions,
        case_id,
        number,
        "outage",
    )  # a new estimate: still one current outage
    assert get(client, "/notices").by_id("current-outages").xpath(".//article/@data-case") == [number]
    _notice(sessions, case_id, number, "restoration")
    page = get(client, "/notices")
    assert page.by_id("current-outages").xpath(".//article") == []
    assert len(page.by_id("notice-list").xpath(".//tbody/tr")) == 1  # one outage, its three notices inside


def test_a_new_estimate_updates_the_one_outage_and_keeps_the_earlier_ones_on_demand_o2(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """O2: each new estimate republishes the outage's notice; the page lists the outage once, with its
    latest estimate, and every notice it published in a <details> that opens on demand."""
    number, case_id = record_case(sessions, runtime)
    other, other_id = record_case(sessions, runtime)
    _notice(sessions, case_id, number, "outage")
    later = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    with sessions.begin() as session:
        first = session.scalars(select(Notice).where(Notice.instance_id == case_id)).one()
        first.published_at = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)
        session.add(
            Notice(
                instance_id=case_id,
                case_number=number,
                kind="outage",
                service="heating",
                outage_type="fault",
                district="金明区",
                building="3号楼",
                unit="1单元",
                cause="管道爆裂",
                starts_at=first.starts_at,
                estimated_restore_at=later + timedelta(hours=10),  # 20:00 local
                restored_at=None,
                published_at=later,
            )
        )
    _notice(sessions, other_id, other, "outage")
    page = get(client, "/notices")
    rows = page.by_id("notice-list").xpath(".//tbody/tr")
    assert [r.get("data-case") for r in rows] == [number, other]
    row = rows[0]
    estimate = row.xpath(".//td[contains(@class, 'estimate')]")[0].text_content().strip()
    assert estimate == "2026-11-23 20:00"
    history = row.xpath(".//details[contains(@class, 'notice-history')]")[0]
    assert history.get("open") is None
    assert [" ".join(li.text_content().split()) for li in history.xpath(".//li")] == [
        "2026-11-23 10:00 · 预计恢复 2026-11-23 20:00",
        "2026-11-23 08:30 · 预计恢复 2026-11-23 17:00",
    ]
    assert page.by_id("current-outages").xpath(".//article/@data-case") == [number, other]


def test_messages_show_unread_count_and_can_be_marked_read_l2(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    """L2: a head of department sees the urgent notice at once, as an unread message linked to its case."""
    number, case_id = record_case(sessions, runtime)
    with sessions.begin() as session:
        for text in ("紧急: 金明区大面积停热", "第二条"):
            session.add(
                Notification(
                    recipient="ops_head",
                    instance_id=case_id,
                    element_id="notify_head",
                    message=text,
                    message_en="Urgent",
                    created_at=clock.now(),
                    read_at=None,
                )
            )
    login(client, "operator")
    assert not get(client, "/tasks").has("unread-count")
    switch_user(client, "ops_head")
    page = get(client, "/tasks")
    assert page.text("unread-count") == "2"
    messages = get(client, "/notifications")
    assert [li.get("class") for li in messages.by_id("messages").xpath("./li")] == ["message unread"] * 2
    assert number in messages.text("messages")
    first_id = int(messages.by_id("messages").xpath("./li/@data-id")[0])
    submit(client, "/notifications", {}, post_url=f"/notifications/{first_id}/read")
    assert get(client, "/tasks").text("unread-count") == "1"
    submit(client, "/notifications", {}, post_url="/notifications/read-all")
    assert not get(client, "/tasks").has("unread-count")
    with sessions() as session:
        assert all(n.read_at == clock.now() for n in session.scalars(select(Notification)))


def test_a_message_cannot_be_marked_read_by_someone_else(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    _number, case_id = record_case(sessions, runtime)
    with sessions.begin() as session:
        note = Notification(
            recipient="ops_head",
            instance_id=case_id,
            element_id=None,
            message="x",
            message_en="",
            created_at=clock.now(),
            read_at=None,
        )
        session.add(note)
        session.flush()
        note_id = note.id
    login(client, "operator")
    submit(client, "/notifications", {}, post_url=f"/notifications/{note_id}/read")
    with sessions() as session:
        assert session.get(Notification, note_id).read_at is None  # type: ignore[union-attr]


def test_handover_lists_open_complaints_and_overdue_tasks_m7(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    """M7: the next shift sees open complaints and the tasks whose deadline passed."""
    number, _case_id = record_case(sessions, runtime)
    login(client, "operator")
    page = get(client, "/handover")
    assert number in page.text("handover-complaints")
    assert page.by_id("handover-overdue").xpath(".//tbody/tr") == []
    assert not get(client, f"/cases/{number}").doc.xpath("//span[contains(@class, 'overdue')]")
    clock.advance(timedelta(days=1))
    page = get(client, "/handover")
    assert number in page.text("handover-overdue")
    # overdue everywhere the task is listed: the tasklist of its department and the case page
    assert get(client, f"/cases/{number}").doc.xpath("//span[contains(@class, 'overdue')]")
    switch_user(client, "ops_handler")
    tasks = get(client, "/tasks")
    assert tasks.doc.xpath("//tr[contains(@class, 'overdue')]")
    # the countdown: the same-day deadline (23:59:59) passed 9 hours ago (now 09:00 the next day)
    assert tasks.doc.xpath("string(//span[contains(@class, 'countdown')])") == "已超时 9 小时 0 分"


def test_the_new_case_page_offers_the_procedures_a_role_may_start(
    client: FlaskClient, deploy_process
) -> None:  # noqa: ANN001
    login(client, "operator")
    only_one = get(client, "/cases/new")
    assert (only_one.status, only_one.response.headers["Location"]) == (302, "/cases/new/complaint")
    deploy_process("repair")
    page = get(client, "/cases/new")
    assert page.status == 200
    assert page.by_id("procedures").xpath(".//a/@id") == ["start-complaint", "start-repair"]
    switch_user(client, "dispatcher")
    assert get(client, "/cases/new").response.headers["Location"] == "/cases/new/repair"
    switch_user(client, "ops_handler")
    page = get(client, "/cases/new")
    assert page.status == 200 and page.by_id("procedures").xpath(".//a") == []


def test_a_message_about_a_case_its_reader_may_not_open_names_it_without_a_link(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    """Issue 14 follow-up: a case number in a message links to the case only for who may open it."""
    number, case_id = record_case(sessions, runtime, category="leak", department="repair")
    with sessions.begin() as session:
        for recipient in ("ops_head", "supervisor"):
            session.add(
                Notification(
                    recipient=recipient,
                    instance_id=case_id,
                    element_id="notify_head",
                    message="请协调",
                    message_en=None,
                    created_at=clock.now(),
                    read_at=None,
                )
            )
    login(client, "ops_head")
    assert get(client, f"/cases/{number}").status == 404
    messages = get(client, "/notifications").by_id("messages")
    assert number in messages.text_content() and messages.xpath(".//a") == []
    switch_user(client, "supervisor")
    links = get(client, "/notifications").by_id("messages").xpath(".//a/@href")
    assert links == [f"/cases/{number}"]


def test_a_current_outage_past_its_expected_time_says_so_until_a_new_estimate_o2(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    """O2: once the expected time has passed with no restoration, the public sees the estimate is late;
    a new estimate or the restoration takes the sign away."""
    number, case_id = record_case(sessions, runtime)
    _notice(sessions, case_id, number, "outage")  # expected back 17:00 local (09:00 UTC)
    clock.set(datetime(2026, 11, 23, 8, 59, tzinfo=UTC))
    assert not get(client, "/notices").doc.xpath("//*[contains(@class, 'estimate-passed')]")

    clock.set(datetime(2026, 11, 23, 9, 1, tzinfo=UTC))
    page = get(client, "/notices")
    assert page.by_id("current-outages").xpath(".//p[contains(@class, 'estimate-passed')]")
    assert page.by_id("notice-list").xpath(
        ".//td[contains(@class, 'estimate')]/span[@class='late estimate-passed']"
    )

    _notice(sessions, case_id, number, "restoration")
    assert not get(client, "/notices").doc.xpath("//*[contains(@class, 'estimate-passed')]")
