"""The files from other modelers and from nowhere (tests/fixtures/foreign) through the pages a process
owner uses: the modeler's upload and its deploy, and a file opened from the list of procedures. Each is
read or refused as the engine says (tests/integration/processes/test_foreign_files.py), never with a 500,
and every message is the catalog's sentence in the page's language: Chinese by default, English on
request, never the XML parser's or the schema's English inside a Chinese sentence."""

from __future__ import annotations

from functools import lru_cache
from io import BytesIO
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from engine.bpmn import UnsafeXml
from engine.processes import MESSAGES
from tests.helpers import PROJECT_ROOT
from tests.integration.processes.test_foreign_files import EXPECTED, FOREIGN, REFUSED, RUNS
from tests.integration.processes.test_validation import validate_diagram
from tests.web.support import get, login
from tests.web.test_modeler import send, token_of, upload
from webforms.processes.bpmn_files import checked_diagram

ZH_CN_PO = PROJECT_ROOT / "webforms" / "translations" / "zh_CN" / "LC_MESSAGES" / "messages.po"


@lru_cache(maxsize=1)
def _catalog() -> Catalog:
    with ZH_CN_PO.open("rb") as po:
        return read_po(po)


def chinese(template: str) -> str:
    message = _catalog().get(template)
    assert message is not None and message.string, template
    return str(message.string)


def chinese_or_as_is(value: str) -> str:
    """A parameter said in the user's language: a template of the catalog, or a value quoted as it is."""
    message = _catalog().get(value)
    return str(message.string) if message is not None and message.string else value


@pytest.fixture
def owner(client: FlaskClient, reference_data: None) -> FlaskClient:
    login(client, "owner")
    return client


def unreadable(xml: bytes) -> UnsafeXml | None:
    """Why the pages do not read the file as a diagram (as they check an upload), if they do not."""
    try:
        checked_diagram(xml)
    except UnsafeXml as err:
        return err
    return None


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_each_file_is_read_or_refused_in_the_pages_language(
    owner: FlaskClient, sessions: sessionmaker[Session], language: str
) -> None:
    owner.post(f"/lang/{language}", data={"csrf_token": token_of(owner)})
    say = chinese if language == "zh_CN" else str
    say_param = chinese_or_as_is if language == "zh_CN" else str
    for name, (problems, warnings, _words) in EXPECTED.items():
        xml = (FOREIGN / f"{name}.bpmn").read_bytes()
        answer = upload(owner, xml, f"{name}.bpmn")
        refused = unreadable(xml)
        if refused is not None:  # not read as a diagram: said at once, nothing opens
            assert answer.status_code == 400, name
            assert answer.json["reason"] == problems[0][0] == refused.code, name
            assert answer.json["error"] == say(MESSAGES[refused.code]) % refused.params, name
            continue
        assert answer.status_code == 200, name
        assert [(p["code"], p["element_id"]) for p in answer.json["problems"]] == problems, name
        assert [(w["code"], w["element_id"]) for w in answer.json["warnings"]] == warnings, name
        with sessions() as session:
            expected = validate_diagram(session, xml)
        for shown, problem in zip(answer.json["problems"], expected, strict=True):
            params = dict(problem.params)
            if problem.code in problem.TRANSLATED_PARAMS:
                params.update(
                    {k: say_param(params[k]) for k in problem.TRANSLATED_PARAMS[problem.code] if params[k]}
                )
            assert shown["message"] == say(MESSAGES[problem.code]) % params, name


def test_what_runs_deploys_from_the_modeler_and_what_does_not_is_refused_never_a_500(
    owner: FlaskClient,
) -> None:
    token = token_of(owner)
    for name in [*RUNS, *REFUSED]:
        xml = (FOREIGN / f"{name}.bpmn").read_bytes()
        try:
            text = xml.decode("utf-8")
        except UnicodeDecodeError:  # UTF-16, a ZIP: the modeler only ever sends text it has read
            continue
        answer = send(owner, "deploy", token, xml=text, comment="外来流程图")
        problems = EXPECTED[name][0]
        if not problems:
            assert answer.status_code == 200 and answer.json["version"] == 1, name
        elif unreadable(xml) is not None:
            assert answer.status_code == 400 and answer.json["reason"] == problems[0][0], name
        else:
            assert answer.status_code == 422, name
            assert [(p["code"], p["element_id"]) for p in answer.json["problems"]] == problems, name


def open_from_the_list(client: FlaskClient, content: bytes, name: str) -> Any:
    return client.post(
        "/modeler/open",
        data={"file": (BytesIO(content), name), "csrf_token": token_of(client, "/processes")},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("refused_too_deep", "元素嵌套超过 256 层"),
        ("refused_zip_archive", "文件是 ZIP 压缩包"),
        ("refused_html_page", "文件是网页（HTML）"),
        ("refused_long_key", "的标识有 251 个字符"),
        ("refused_no_executable_process", "一个流程图必须正好包含一个可执行流程"),
    ],
)
def test_a_file_opened_from_the_list_that_cannot_be_opened_says_why_in_chinese(
    owner: FlaskClient, name: str, words: str
) -> None:
    answer = open_from_the_list(owner, (FOREIGN / f"{name}.bpmn").read_bytes(), f"{name}.bpmn")
    assert answer.status_code == 302 and answer.headers["Location"] == "/processes"
    flashes = get(owner, "/processes").flashes()
    assert any(words in flash for flash in flashes), flashes


def test_a_draft_with_a_key_too_long_to_keep_is_not_filed(owner: FlaskClient) -> None:
    text = (FOREIGN / "refused_long_key.bpmn").read_text(encoding="utf-8")
    answer = send(owner, "save", token_of(owner), xml=text)
    assert answer.status_code == 400
    assert "的标识有 251 个字符" in answer.json["error"]
