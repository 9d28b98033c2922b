"""The decision table pages (issue 21): process owners list the decisions with their versions, open one
in the editor, check it, keep a draft and deploy a new version; bad tables and missing comments are
refused with a reason, never a 500; other roles do not get in."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from engine.decisions import decision_versions, latest_decision_draft
from tests.helpers import ROUTING_DMN
from tests.web.support import get, login, post

ROUTING = ROUTING_DMN.read_text(encoding="utf-8")
REROUTED = ROUTING.replace(
    '<outputEntry id="dep_leak"><text>"repair"</text>', '<outputEntry id="dep_leak"><text>"operations"</text>'
)
BROKEN = ROUTING.replace('hitPolicy="FIRST"', 'hitPolicy="COLLECT"')
BAD_CELL = ROUTING.replace(
    '<inputEntry id="in_facility"><text>"facility"</text>',
    '<inputEntry id="in_facility"><text>date("2026-01-01")</text>',
)


def send(client: FlaskClient, action: str, **body: Any) -> Any:
    token = get(client, "/decisions/routing").csrf_token()
    return client.post(f"/decisions/routing/{action}", json=body, headers={"X-CSRFToken": token})


def test_an_owner_checks_saves_and_deploys_a_table_c2_r3(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "owner")
    listing = get(client, "/decisions")
    assert listing.status == 200 and listing.has("decision-routing") and listing.has("edit-routing")
    editor = get(client, "/decisions/routing")
    assert editor.status == 200 and editor.has("decision-data")

    checked = send(client, "check", xml=BROKEN)
    assert checked.status_code == 200
    assert checked.get_json()["problems"] == ["不支持命中策略 COLLECT；请使用 UNIQUE 或 FIRST"]

    saved = send(client, "save", xml=BROKEN)
    assert saved.status_code == 200 and len(saved.get_json()["problems"]) == 1
    with sessions() as session:
        assert latest_decision_draft(session, "routing") is not None

    assert send(client, "deploy", xml=BROKEN, comment="try").status_code == 422
    assert send(client, "deploy", xml=REROUTED, comment="").status_code == 400
    deployed = send(client, "deploy", xml=REROUTED, comment="漏水改派生产运行")
    assert deployed.status_code == 200
    assert deployed.get_json() == {"deployed": True, "key": "routing", "version": 2}
    with sessions() as session:
        assert [v.version for v in decision_versions(session, "routing")] == [2, 1]
        assert latest_decision_draft(session, "routing") is None  # the draft is history now


def test_bad_input_is_refused_without_a_500(client: FlaskClient) -> None:
    login(client, "owner")
    assert send(client, "check", xml="").status_code == 400
    assert send(client, "check", xml="<not-dmn").get_json()["problems"]
    assert get(client, "/decisions/nothing_like_it").status == 404
    renamed = ROUTING.replace('<decision id="routing"', '<decision id="other_routing"')
    assert send(client, "deploy", xml=renamed, comment="x").status_code == 400


def test_only_process_owners_edit_tables(client: FlaskClient) -> None:
    login(client, "operator")
    assert get(client, "/decisions").status == 403
    assert get(client, "/decisions/routing").status == 403


def test_a_table_with_a_nul_or_an_unknown_long_key_is_refused_not_stored(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    """A draft with a NUL in it (PostgreSQL stores no NUL in text) or saved under a key no decision can
    have (longer than a key column) is refused with a 400, never a 500; nothing is saved."""
    login(client, "owner")
    assert send(client, "save", xml=ROUTING.replace("<decision", "\x00<decision", 1)).status_code == 400
    token = get(client, "/decisions/routing").csrf_token()
    long_key = "k" * 150
    answer = client.post(f"/decisions/{long_key}/save", json={"xml": ROUTING}, headers={"X-CSRFToken": token})
    assert answer.status_code in (400, 404)
    with sessions() as session:
        assert latest_decision_draft(session, "routing") is None
        assert latest_decision_draft(session, long_key) is None


PROBLEMS_IN_BOTH_LANGUAGES = [
    (
        "<definitions><decision",
        "文件不是格式正确的 XML：文件在第 1 行就结束了",
        "The file is not well-formed XML: it ends at line 1",
    ),
    (
        BROKEN,
        "不支持命中策略 COLLECT；请使用 UNIQUE 或 FIRST",
        "the hit policy COLLECT is not supported; use UNIQUE or FIRST",
    ),
    (
        BAD_CELL,
        '第 2 条规则，输入“类别 / Category”：“date("2026-01-01")”不是本系统可读取的值；',
        "rule 2, input '类别 / Category': 'date(\"2026-01-01\")' is not a value this engine reads; ",
    ),
]


@pytest.mark.parametrize(("xml", "chinese", "english"), PROBLEMS_IN_BOTH_LANGUAGES)
def test_a_tables_problems_are_said_in_the_pages_language(
    client: FlaskClient, xml: str, chinese: str, english: str
) -> None:
    """A decision table's problems (a parser's error text after a translated lead, an unsupported hit
    policy, a FEEL cell) come in the page's language, from the check and from a refused deploy alike."""
    login(client, "owner")
    for language, expected in (("zh_CN", chinese), ("en", english)):
        switched = post(
            client, f"/lang/{language}", {"next": "/decisions"}, get(client, "/decisions").csrf_token()
        )
        assert switched.status == 302
        checked = send(client, "check", xml=xml).get_json()["problems"]
        assert len(checked) == 1 and checked[0].startswith(expected), checked
        refused = send(client, "deploy", xml=xml, comment="try")
        assert refused.status_code == 422 and refused.get_json()["problems"] == checked
