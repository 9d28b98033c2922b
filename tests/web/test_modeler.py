"""The modeler's pages and JSON endpoints: only process owners reach them; a diagram is checked, saved as
a draft even with problems, and deployed only without; uploads are size-limited, must be BPMN, and are
never read with entities."""

from __future__ import annotations

import json
import time
from io import BytesIO
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from engine.bpmn.sandbox import Limits
from engine.cases.definitions import latest_definition
from engine.db.models import ProcessAudit, ProcessDefinition
from engine.processes.versions import deploy_version, latest_draft, list_versions, save_draft
from engine.runtime import Runtime
from tests.helpers import COMPLAINT_BPMN, version_taken_meanwhile
from tests.web.support import Page, get, login, record_case

COMPLAINT = COMPLAINT_BPMN.read_text(encoding="utf-8")
# A user task without candidate groups: nobody could ever do it, so the diagram may not be deployed.
NOBODY_MAY_CALL_BACK = COMPLAINT.replace(
    '<bpmn:userTask id="callback" name="回访客户" camunda:candidateGroups="operator">',
    '<bpmn:userTask id="callback" name="回访客户">',
)
RENAMED = COMPLAINT.replace('name="派发现场工单"', 'name="派发现场工单并电话确认"')


def token_of(client: FlaskClient, url: str = "/modeler/complaint") -> str:
    return get(client, url).csrf_token()


def send(client: FlaskClient, endpoint: str, token: str | None, **body: Any) -> Any:
    headers = {"X-CSRFToken": token} if token else {}
    return client.post(f"/modeler/{endpoint}", json=body, headers=headers)


def versions(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(ProcessDefinition)) or 0


def modeler_data(page: Page) -> dict[str, Any]:
    return json.loads(page.by_id("modeler-data").text)


@pytest.fixture
def owner(client: FlaskClient) -> FlaskClient:
    login(client, "owner")
    return client


@pytest.mark.parametrize("username", ["operator", "dispatcher", "supervisor", "ops_handler"])
def test_only_process_owners_reach_the_modeler(client: FlaskClient, username: str) -> None:
    login(client, username)
    token = get(client, "/tasks").csrf_token()
    assert get(client, "/modeler").status == 403
    assert get(client, "/modeler/complaint").status == 403
    assert get(client, "/modeler/new?key=water&name=x").status == 403
    for endpoint in ("validate", "save", "deploy"):
        assert send(client, endpoint, token, xml=COMPLAINT, comment="x").status_code == 403
    assert (
        client.post(
            "/modeler/upload",
            data={"file": (BytesIO(COMPLAINT.encode()), "c.bpmn")},
            headers={"X-CSRFToken": token},
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/modeler/open", data={"file": (BytesIO(COMPLAINT.encode()), "c.bpmn"), "csrf_token": token}
        ).status_code
        == 403
    )
    assert "nav-processes" not in get(client, "/tasks").html


def test_signed_out_visitors_are_sent_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/modeler")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_list_shows_each_procedure_with_its_latest_version(owner: FlaskClient) -> None:
    page = get(owner, "/tasks")
    assert page.by_id("nav-processes") is not None
    page = get(owner, "/processes")
    assert page.status == 200
    row = page.doc.xpath("//table[@id='procedures']//tr[@data-key='complaint']")[0]
    assert "版本 1" in row.xpath(".//td[@class='latest-version']")[0].text_content()
    assert page.by_id("edit-complaint").get("href") == "/modeler/complaint"
    assert page.by_id("versions-complaint").get("href") == "/processes/complaint/versions"
    assert page.has("new-key") and page.has("new-name") and page.has("open-file-input")


def test_the_old_list_address_leads_to_the_one_list_of_procedures(owner: FlaskClient) -> None:
    response = owner.get("/modeler?key=water_quality&name=x")
    assert response.status_code == 302
    assert response.headers["Location"] == "/processes?key=water_quality&name=x"
    page = get(owner, "/tasks")
    assert page.by_id("nav-processes") is not None and not page.has("nav-modeler")


def test_the_modeler_opens_the_deployed_diagram_in_both_languages(owner: FlaskClient) -> None:
    page = get(owner, "/modeler/complaint")
    data = modeler_data(page)
    assert data["xml"] == COMPLAINT
    assert data["urls"]["save"] == "/modeler/save"
    assert page.text("save-draft") == "保存草稿" and page.text("deploy") == "部署…"
    assert page.doc.xpath("//meta[@name='csrf-token']/@content")
    assert get(owner, "/modeler/complaint?version=9").status == 404
    owner.post("/lang/en", data={"csrf_token": page.csrf_token()})
    page = get(owner, "/modeler/complaint?version=1")
    assert page.text("save-draft") == "Save draft"
    assert modeler_data(page)["labels"]["saved"].startswith("Draft saved.")


def test_a_valid_diagram_checks_clean(owner: FlaskClient) -> None:
    response = send(owner, "validate", token_of(owner), xml=COMPLAINT)
    assert response.status_code == 200
    assert response.json == {"problems": [], "warnings": []}


def test_posts_without_the_csrf_header_are_refused(
    owner: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    for endpoint in ("validate", "save", "deploy"):
        assert send(owner, endpoint, None, xml=RENAMED, comment="x").status_code == 400
    assert versions(sessions) == 1


def test_an_invalid_diagram_is_saved_as_a_draft_but_never_deployed(
    owner: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    token = token_of(owner)
    checked = send(owner, "validate", token, xml=NOBODY_MAY_CALL_BACK).json["problems"]
    assert [(p["element_id"], p["element_name"]) for p in checked] == [("callback", "回访客户")]
    assert "候选" in checked[0]["message"] or "candidate" in checked[0]["message"]

    saved = send(owner, "save", token, xml=NOBODY_MAY_CALL_BACK)
    assert saved.status_code == 200 and saved.json["saved"] is True
    assert [p["element_id"] for p in saved.json["problems"]] == ["callback"]

    refused = send(owner, "deploy", token, xml=NOBODY_MAY_CALL_BACK, comment="回访不限定组")
    assert refused.status_code == 422
    assert [p["element_id"] for p in refused.json["problems"]] == ["callback"]
    assert versions(sessions) == 1

    # The draft is what the modeler opens next time, and the list says there is one.
    assert modeler_data(get(owner, "/modeler/complaint"))["xml"] == NOBODY_MAY_CALL_BACK
    assert (
        "林流程"
        in get(owner, "/processes")
        .doc.xpath("//tr[@data-key='complaint']/td[@class='draft']")[0]
        .text_content()
    )
    # The deployed version is still there to open.
    assert modeler_data(get(owner, "/modeler/complaint?version=1"))["xml"] == COMPLAINT


def test_a_valid_change_is_deployed_as_a_new_version_with_its_comment(
    owner: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    token = token_of(owner)
    no_comment = send(owner, "deploy", token, xml=RENAMED, comment="  ")
    assert no_comment.status_code == 400 and versions(sessions) == 1

    deployed = send(owner, "deploy", token, xml=RENAMED, comment="派单时电话确认")
    assert deployed.status_code == 200
    assert deployed.json["version"] == 2 and deployed.json["key"] == "complaint"
    assert "2" in deployed.json["message"]
    assert deployed.json["migrate_url"] == "/processes/complaint/migrate"
    with sessions() as session:
        latest = latest_definition(session, "complaint")
        assert latest.version == 2 and latest.deployed_by == "owner"
        assert "派发现场工单并电话确认" in latest.bpmn_xml
    assert (
        "版本 2"
        in get(owner, "/processes")
        .doc.xpath("//tr[@data-key='complaint']/td[@class='latest-version']")[0]
        .text_content()
    )


def upload(client: FlaskClient, content: bytes, name: str = "diagram.bpmn") -> Any:
    response = client.post(
        "/modeler/upload",
        data={"file": (BytesIO(content), name)},
        headers={"X-CSRFToken": token_of(client)},
        content_type="multipart/form-data",
    )
    # The test client spools a large body to a temporary file and leaves it open with the request.
    response.request.environ["wsgi.input"].close()
    return response


def test_an_uploaded_diagram_is_read_and_checked_but_not_stored(
    owner: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    response = upload(owner, NOBODY_MAY_CALL_BACK.encode("utf-8"), "complaint.bpmn")
    assert response.status_code == 200
    assert response.json["xml"] == NOBODY_MAY_CALL_BACK
    assert [p["element_id"] for p in response.json["problems"]] == ["callback"]
    assert versions(sessions) == 1
    assert modeler_data(get(owner, "/modeler/complaint"))["xml"] == COMPLAINT


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (
            b"<?xml version='1.0'?><definitions>" + b" " * (2 * 1024 * 1024) + b"</definitions>",
            "at most 2097152",
        ),
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n not a diagram", "UTF-8"),
        (
            b"<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL'><bpmn:process>",
            "not well-formed",
        ),
        (b"<?xml version='1.0'?><html><body>hello</body></html>", "BPMN"),
        (
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;</bpmn:definitions>',
            "DOCTYPE",
        ),
    ],
    ids=["too-large", "empty", "binary", "truncated", "not-bpmn", "entities"],
)
def test_files_that_are_no_diagram_are_refused_with_a_clear_message(
    owner: FlaskClient, content: bytes, says: str
) -> None:
    owner.post("/lang/en", data={"csrf_token": token_of(owner)})
    response = upload(owner, content)
    assert response.status_code == 400
    assert says in response.json["error"]
    assert "root:" not in response.get_data(as_text=True)
    # The same checks guard the JSON endpoints the modeler posts to.
    if content:
        assert send(owner, "save", token_of(owner), xml=content.decode("utf-8", "replace")).status_code == 400


def test_a_new_procedure_starts_from_a_blank_diagram_named_by_its_owner(
    owner: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    page = get(owner, "/modeler/new?key=water_quality&name=水质投诉")
    assert page.status == 200
    xml = modeler_data(page)["xml"]
    assert 'id="water_quality" name="水质投诉" isExecutable="true"' in xml
    assert "<bpmn:startEvent" in xml and 'bpmnElement="start"' in xml

    saved = send(owner, "save", token_of(owner, "/modeler/new?key=water_quality&name=水质投诉"), xml=xml)
    assert saved.status_code == 200 and saved.json["key"] == "water_quality"
    listing = get(owner, "/processes")
    assert listing.doc.xpath("//tr[@data-key='water_quality']")
    assert modeler_data(get(owner, "/modeler/water_quality"))["xml"] == xml
    assert versions(sessions) == 1


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("key=complaint&name=重复", "已存在"),
        ("key=Bad-Key&name=x", "小写"),
        ("key=water_quality&name=", "名称"),
    ],
)
def test_a_new_procedure_needs_a_free_key_and_a_name(owner: FlaskClient, query: str, says: str) -> None:
    response = owner.get(f"/modeler/new?{query}")
    assert response.status_code == 302
    page = get(owner, response.headers["Location"])
    assert any(says in flash for flash in page.flashes()), page.flashes()


def test_deploying_the_latest_version_again_makes_no_new_version(
    owner: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    response = send(owner, "deploy", token_of(owner), xml=COMPLAINT, comment="再次部署")
    assert response.status_code == 200
    assert response.json["deployed"] is False and response.json["version"] == 1
    assert "版本 1" in response.json["message"] and "相同" in response.json["message"]
    assert versions(sessions) == 1


def test_a_diagram_without_an_executable_process_cannot_be_filed_as_a_draft(
    owner: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    """A draft is kept under its process key; a diagram that names no executable process has none."""
    not_executable = COMPLAINT.replace('isExecutable="true"', 'isExecutable="false"')
    response = send(owner, "save", token_of(owner), xml=not_executable)
    assert response.status_code == 400
    assert response.json["error"] and [p["element_id"] for p in response.json["problems"]] == [None]
    with sessions() as session:
        assert latest_draft(session, "complaint") is None


def test_a_deploy_that_lost_the_race_for_its_version_number_is_a_clear_conflict(
    owner: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = token_of(owner)
    with sessions.begin() as session:
        deploy_version(session, runtime, RENAMED.encode("utf-8"), "rival", "同时部署")
    version_taken_meanwhile(monkeypatch, seen_version=1)
    lost = send(
        owner, "deploy", token, xml=COMPLAINT.replace('name="回访客户"', 'name="回访"'), comment="我的修改"
    )
    assert lost.status_code == 409 and lost.json["reason"] == "version_taken"
    assert "版本 2" in lost.json["error"] and "重新" in lost.json["error"]
    with sessions() as session:
        assert [(v.version, v.deployed_by) for v in list_versions(session, "complaint")] == [
            (2, "rival"),
            (1, "test"),
        ]
        assert (
            session.scalar(
                select(func.count()).select_from(ProcessAudit).where(ProcessAudit.actor == "owner")
            )
            == 0
        )


def test_the_list_offers_every_action_and_counts_running_cases_per_version(
    owner: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    record_case(sessions, runtime)
    with sessions.begin() as session:
        deploy_version(session, runtime, RENAMED.encode("utf-8"), "owner", "派单确认")
    record_case(sessions, runtime)
    record_case(sessions, runtime)
    page = get(owner, "/processes")
    row = page.doc.xpath("//tr[@data-key='complaint']")[0]
    assert [s.text_content() for s in row.xpath(".//span[@class='running-version']")] == ["v2：2", "v1：1"]
    assert "派单确认" in row.xpath(".//td[@class='latest-version']")[0].text_content()
    assert page.by_id("edit-complaint").get("href") == "/modeler/complaint"
    assert page.by_id("migrate-complaint").get("href") == "/processes/complaint/migrate"
    download = owner.get(page.by_id("download-complaint").get("href"))
    assert download.status_code == 200 and download.data.decode("utf-8") == RENAMED
    assert 'filename="complaint-v2.bpmn"' in download.headers["Content-Disposition"]
    assert owner.get("/processes/complaint/versions/9/download").status_code == 404


def open_file(client: FlaskClient, content: bytes, name: str = "diagram.bpmn") -> Any:
    return client.post(
        "/modeler/open",
        data={"file": (BytesIO(content), name), "csrf_token": token_of(client, "/processes")},
        content_type="multipart/form-data",
    )


def test_a_file_uploaded_from_the_list_opens_in_the_modeler_without_being_stored(
    owner: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    page = Page(open_file(owner, RENAMED.encode("utf-8"), "改过的.bpmn"))
    assert page.status == 200
    assert modeler_data(page)["xml"] == RENAMED and modeler_data(page)["key"] == "complaint"
    assert "改过的.bpmn" in page.text("opened-from")
    assert versions(sessions) == 1
    with sessions() as session:
        assert latest_draft(session, "complaint") is None
    refused = open_file(owner, b"<html/>", "page.html")
    assert refused.status_code == 302 and refused.headers["Location"] == "/processes"
    assert any("BPMN" in flash for flash in get(owner, "/processes").flashes())
    no_process = open_file(
        owner, COMPLAINT.replace('isExecutable="true"', 'isExecutable="false"').encode("utf-8")
    )
    assert no_process.status_code == 302 and no_process.headers["Location"] == "/processes"
    assert any("可执行" in flash for flash in get(owner, "/processes").flashes())


def test_the_versions_page_opens_each_version_and_the_draft_in_the_modeler(
    owner: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    with sessions.begin() as session:
        deploy_version(session, runtime, RENAMED.encode("utf-8"), "owner", "派单确认")
        draft = save_draft(
            session, NOBODY_MAY_CALL_BACK.encode("utf-8"), "owner", clock=runtime.clock, zone=runtime.zone
        )
        draft_id = draft.id
    page = get(owner, "/processes/complaint/versions")
    assert page.by_id("to-modeler").get("href") == "/modeler/complaint"
    first = get(owner, page.by_id("edit-version-1").get("href"))
    assert modeler_data(first)["xml"] == COMPLAINT
    opened = get(owner, page.by_id("edit-draft").get("href"))
    assert page.by_id("edit-draft").get("href") == f"/modeler/complaint?draft={draft_id}"
    assert modeler_data(opened)["xml"] == NOBODY_MAY_CALL_BACK
    assert get(owner, f"/modeler/repair?draft={draft_id}").status == 404


# --- timer expressions are tried under the runtime's script limits (issue 14) --------------------------

FREEZING_TIMER = COMPLAINT.replace(">PT3M<", ">${sum([[1]] * 60000, [])}<", 1)


def test_validating_a_timer_that_would_freeze_the_server_stops_at_the_runtimes_limit(
    owner: FlaskClient, runtime: Runtime
) -> None:
    runtime.script_engine.sandbox.limits = Limits(0.3, 64, 1)
    runtime.script_engine.sandbox.pool.warm_up()  # a server starts its sandbox process at start-up
    token = token_of(owner)
    started = time.monotonic()
    checked = send(owner, "validate", token, xml=FREEZING_TIMER).json["problems"]
    assert time.monotonic() - started < 0.3 + 1.5  # the limit, a process started and replaced
    assert any("0.3 s" in p["message"] for p in checked), checked

    # The versions page re-validates the saved draft on every view: under the same limit.
    assert send(owner, "save", token, xml=FREEZING_TIMER).json["saved"] is True
    started = time.monotonic()
    page = owner.get("/processes/complaint/versions")
    assert page.status_code == 200
    assert time.monotonic() - started < 0.3 + 1.5


def test_the_sandboxs_reason_is_said_in_the_users_language(
    owner: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    attribute = COMPLAINT.replace(
        "<bpmn:script>dispatch_overdue = True</bpmn:script>",
        "<bpmn:script>dispatch_overdue = True\nlate = dispatch_overdue.__class__</bpmn:script>",
    )
    token = token_of(owner)
    [checked] = send(owner, "validate", token, xml=attribute).json["problems"]
    assert checked["element_id"] == "record_dispatch_overdue"
    assert "不允许使用属性“__class__”（第 2 行）" in checked["message"]
    assert "is not allowed" not in checked["message"]
    refused = send(owner, "deploy", token, xml=attribute, comment="属性")
    assert "不允许使用属性“__class__”（第 2 行）" in refused.json["problems"][0]["message"]
    owner.post("/lang/en", data={"csrf_token": token})
    [english] = send(owner, "validate", token_of(owner), xml=attribute).json["problems"]
    assert "line 2: attribute '__class__' is not allowed" in english["message"]
    assert versions(sessions) == 1
