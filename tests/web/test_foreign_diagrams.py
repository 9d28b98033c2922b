"""Diagrams from other modelers in the browser (issue 21): every file of the construct corpus is read
by the modeler's upload, checked and refused at deploy with one line per problem in the user's language,
never with a 500; what runs deploys (JUEL translated, with a notice), and what is ignored deploys with
its warning."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.definitions import latest_definition
from engine.processes.deployment import deploy
from engine.runtime import Runtime
from tests.integration.processes.test_foreign_constructs import CORPUS, EXPECTED, IGNORED, REFUSED, RUNS

# A notice beside a diagram that runs (JUEL translated) and a warning of what is ignored are both listed
# with the warnings.
from tests.web.test_modeler import send, token_of, upload


@pytest.fixture
def owner(client: FlaskClient) -> FlaskClient:
    from tests.web.support import login

    login(client, "owner")
    return client


def test_every_refused_diagram_is_read_and_refused_with_its_problems_never_a_500(
    owner: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    with sessions.begin() as session:  # what the refused call activities misspell or miss a version of
        deploy(session, runtime, (CORPUS / "runs_user_task.bpmn").read_bytes(), "runs_user_task.bpmn", "test")
    token = token_of(owner)
    for name, (support, expected, _words) in EXPECTED.items():
        if support is not REFUSED:
            continue
        content = (CORPUS / f"{name}.bpmn").read_bytes()
        uploaded = upload(owner, content, f"{name}.bpmn")
        assert uploaded.status_code == 200, name
        assert [(p["code"], p["element_id"]) for p in uploaded.json["problems"]] == expected, name
        refused = send(owner, "deploy", token, xml=content.decode(), comment="外来流程图")
        assert refused.status_code == 422, name
        assert [(p["code"], p["element_id"]) for p in refused.json["problems"]] == expected, name


def test_a_refusal_is_said_in_chinese_by_default_and_in_english_on_request(owner: FlaskClient) -> None:
    content = (CORPUS / "refused_service_class.bpmn").read_text(encoding="utf-8")
    (chinese,) = send(owner, "validate", token_of(owner), xml=content).json["problems"]
    assert "服务任务" in chinese["message"] and "脚本任务" in chinese["message"]
    owner.post("/lang/en", data={"csrf_token": token_of(owner)})
    (english,) = send(owner, "validate", token_of(owner), xml=content).json["problems"]
    assert "is a service task" in english["message"]


def test_what_runs_deploys_and_what_is_ignored_deploys_with_its_warning(
    owner: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    token = token_of(owner)
    for name, (support, expected, _words) in EXPECTED.items():
        if support is REFUSED:
            continue
        content = (CORPUS / f"{name}.bpmn").read_text(encoding="utf-8")
        checked = send(owner, "validate", token, xml=content).json
        assert checked["problems"] == [], name
        assert [(w["code"], w["element_id"]) for w in checked["warnings"]] == expected, name
        deployed = send(owner, "deploy", token, xml=content, comment="外来流程图")
        assert deployed.status_code == 200, name
        assert [w["code"] for w in deployed.json["warnings"]] == [code for code, _element in expected], name
        assert support in (RUNS, IGNORED)
    with sessions() as session:
        assert latest_definition(session, "runs_legacy_activiti").version == 1
