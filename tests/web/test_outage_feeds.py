"""The public outage feeds (O1-O3): Atom and JSON Feed 1.1 beside /notices, one entry per outage updated by
each new estimate and the restoration, in either language, with validators for cheap polling and no
personal data."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient
from lxml import etree
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db.models import Notice
from engine.runtime import Runtime
from tests.web.support import record_case

ATOM = "{http://www.w3.org/2005/Atom}"
START = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def _publish(
    sessions: sessionmaker[Session],
    instance_id: int,
    case_number: str,
    kind: str,
    published_at: datetime,
    restore_at: datetime,
) -> None:
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
                starts_at=START,
                estimated_restore_at=restore_at,
                restored_at=published_at if kind == "restoration" else None,
                published_at=published_at,
            )
        )


def _atom_entries(client: FlaskClient, query: str = "") -> list[etree._Element]:
    response = client.get(f"/notices.atom{query}")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    return etree.fromstring(response.data).findall(f"{ATOM}entry")


def test_each_outage_is_one_entry_updated_by_its_new_estimate_and_restoration_o2_o3(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    number, case_id = record_case(sessions, runtime, customer_name="张伟", customer_phone="13800001111")
    _publish(sessions, case_id, number, "outage", START, START + timedelta(hours=8))
    (entry,) = _atom_entries(client)
    assert "进行中" in entry.findtext(f"{ATOM}title", "") and "金明区 3号楼 1单元" in entry.findtext(
        f"{ATOM}title", ""
    )
    assert "预计恢复 2026-11-23 17:00" in entry.findtext(f"{ATOM}content", "")

    _publish(sessions, case_id, number, "outage", START + timedelta(hours=2), START + timedelta(hours=12))
    (entry,) = _atom_entries(client)
    assert "2026-11-23 21:00" in entry.findtext(f"{ATOM}content", "")
    assert entry.findtext(f"{ATOM}updated", "").startswith("2026-11-23T03:00:00")
    assert entry.findtext(f"{ATOM}published", "").startswith("2026-11-23T01:00:00")

    _publish(
        sessions, case_id, number, "restoration", START + timedelta(hours=5), START + timedelta(hours=12)
    )
    (entry,) = _atom_entries(client)
    assert "已恢复" in entry.findtext(f"{ATOM}title", "")
    assert "恢复 2026-11-23 14:00" in entry.findtext(f"{ATOM}content", "")

    feed = client.get("/notices.json")
    assert feed.mimetype == "application/feed+json"
    (item,) = feed.get_json()["items"]
    assert item["_hotline"]["status"] == "restored"
    assert item["_hotline"]["restored_at"].startswith("2026-11-23T06:00:00")
    assert item["_hotline"]["notices_published"] == 3
    # Nothing personal, whatever the case holds: the feeds show what the public page shows.
    for body in (client.get("/notices.atom").data, feed.data):
        text = body.decode("utf-8")
        assert "张伟" not in text and "13800001111" not in text


def test_the_feeds_speak_english_when_asked_and_chinese_otherwise(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    number, case_id = record_case(sessions, runtime)
    _publish(sessions, case_id, number, "outage", START, START + timedelta(hours=8))
    (english,) = _atom_entries(client, "?lang=en")
    assert english.findtext(f"{ATOM}title", "").startswith("Heating · fault outage")
    assert "Expected back 2026-11-23 17:00" in english.findtext(f"{ATOM}content", "")
    assert etree.fromstring(client.get("/notices.atom?lang=en").data).get(
        "{http://www.w3.org/XML/1998/namespace}lang"
    ) in (None, "en")
    assert client.get("/notices.json?lang=en").get_json()["language"] == "en"
    assert client.get("/notices.json?lang=xx").get_json()["language"] == "zh-CN"
    (chinese,) = _atom_entries(client, "?lang=<script>")
    assert chinese.findtext(f"{ATOM}title", "").startswith("供热")


def test_a_poller_gets_304_until_something_is_published_o1(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    number, case_id = record_case(sessions, runtime)
    _publish(sessions, case_id, number, "outage", START, START + timedelta(hours=8))
    for path in ("/notices.atom", "/notices.json"):
        first = client.get(path)
        assert first.headers["Cache-Control"] in ("public, max-age=60", "max-age=60, public")
        assert first.headers["Last-Modified"] == "Mon, 23 Nov 2026 01:00:00 GMT"
        etag = first.headers["ETag"]
        assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    _publish(sessions, case_id, number, "outage", START + timedelta(hours=1), START + timedelta(hours=9))
    assert client.get("/notices.json", headers={"If-None-Match": etag}).status_code == 200


def test_the_feeds_mark_an_outage_past_its_expected_time_and_the_page_links_them(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    number, case_id = record_case(sessions, runtime)
    _publish(sessions, case_id, number, "outage", START, START + timedelta(hours=8))
    clock.set(START + timedelta(hours=9))
    (item,) = json.loads(client.get("/notices.json").data)["items"]
    assert item["_hotline"]["estimate_passed"] is True
    assert "已过预计恢复时间" in item["content_text"]

    page = etree.HTML(client.get("/notices").data)
    assert page.xpath("//link[@rel='alternate'][@type='application/atom+xml']/@href") == [
        "/notices.atom?lang=zh_CN"
    ]
    assert page.xpath("//a[@id='feed-json']/@href") == ["/notices.json?lang=zh_CN"]


def test_an_empty_feed_is_still_a_valid_feed(client: FlaskClient) -> None:
    assert _atom_entries(client) == []
    assert client.get("/notices.json").get_json()["items"] == []
