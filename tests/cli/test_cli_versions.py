"""The command line does what the versions pages do: `hotline deploy` validates (exit 1 with the problems),
asks before overwriting a version edited in the browser, `hotline versions KEY` lists and compares,
`hotline rollback`, and `hotline migrate KEY --from V --to W [--dry-run]`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.runner import start_case
from engine.db.models import ProcessAudit, ProcessDefinition, ProcessInstance
from engine.processes.versions import deploy_version
from engine.runtime import Runtime
from hotline.cli import main
from tests.helpers import (
    COMPLAINT_BPMN,
    OPERATOR,
    edited,
    intake_form,
    open_tasks,
    set_attribute,
    version_taken_meanwhile,
)

CALLBACK = "//bpmn:userTask[@id='callback']"
RENAMED = edited(COMPLAINT_BPMN, set_attribute(CALLBACK, "name", "电话回访"))

# The commands open their own database engine: they see only what is really committed.
pytestmark = pytest.mark.real_commits


@pytest.fixture
def cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference_data: None):  # noqa: ANN201
    monkeypatch.setenv("HOTLINE_DATABASE_URL", database_url)
    monkeypatch.setenv("HOTLINE_HOME", str(tmp_path))

    def run(*args: str, answer: str | None = None) -> Result:
        return CliRunner().invoke(main, list(args), input=answer)

    return run


def _versions(sessions: sessionmaker[Session]) -> list[tuple[int, str, str]]:
    with sessions() as session:
        return [
            (d.version, d.source, d.deployed_by)
            for d in session.scalars(select(ProcessDefinition).order_by(ProcessDefinition.version))
        ]


def test_deploy_refuses_an_invalid_file_with_its_problems(
    cli, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    bad = tmp_path / "complaint.bpmn"
    bad.write_bytes(
        edited(
            COMPLAINT_BPMN,
            set_attribute(CALLBACK, "{http://camunda.org/schema/1.0/bpmn}candidateGroups", "nobody"),
        )
    )
    result = cli("deploy", str(bad))
    assert result.exit_code == 1
    assert "refused, 1 problem(s)" in result.output
    assert "callback (回访客户): User task '回访客户' names the candidate group 'nobody'" in result.output
    assert _versions(sessions) == []


def test_deploy_then_versions_lists_and_compares(
    cli, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    first = cli("deploy", str(COMPLAINT_BPMN), "--by", "owner", "--comment", "shipped")
    assert first.exit_code == 0, first.output
    assert "complaint.bpmn: deployed as complaint v1" in first.output
    renamed = tmp_path / "complaint.bpmn"
    renamed.write_bytes(RENAMED)
    second = cli("deploy", str(renamed), "--by", "owner")
    assert "deployed as complaint v2" in second.output
    # renamed in Chinese only: the English name may be stale
    assert "warning: callback (电话回访): '电话回访' was called '回访客户'" in second.output
    assert "unchanged, still complaint v2" in cli("deploy", str(renamed)).output

    listed = cli("versions", "complaint")
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    assert lines[0].startswith("v2") and "(new cases)" in lines[0] and "owner" in lines[0]
    assert lines[1].startswith("v1") and lines[1].rstrip().endswith("shipped")
    diff = cli("versions", "complaint", "--diff", "1", "2")
    assert "changed  callback (电话回访): name changed from '回访客户' to '电话回访'" in diff.output
    assert cli("versions", "nothing").exit_code == 1


def test_deploying_the_shipped_file_over_a_browser_edit_asks_first(
    cli, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    cli("deploy", str(COMPLAINT_BPMN))
    with sessions.begin() as session:
        deploy_version(session, runtime, RENAMED, "owner", "callback renamed in the modeler")
    declined = cli("deploy", str(COMPLAINT_BPMN), answer="n\n")
    assert declined.exit_code == 0
    assert "complaint v2 was changed (browser) by owner" in declined.output
    assert "callback renamed in the modeler" in declined.output
    assert "kept complaint v2 (not overwritten)" in declined.output
    assert "kept complaint v2" in cli("deploy", "--keep-edits", str(COMPLAINT_BPMN)).output
    assert _versions(sessions) == [(1, "cli", "cli"), (2, "browser", "owner")]
    accepted = cli("deploy", str(COMPLAINT_BPMN), answer="y\n")
    assert "deployed as complaint v3" in accepted.output
    assert _versions(sessions)[-1] == (3, "cli", "cli")


def test_rollback_and_migrate_from_the_command_line(
    cli, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    cli("deploy", str(COMPLAINT_BPMN))
    with sessions.begin() as session:
        deploy_version(session, runtime, RENAMED, "owner", "renamed")
        case_number = start_case(session, runtime, "complaint", OPERATOR, intake_form()).case_number
    rolled = cli("rollback", "complaint", "--to", "1", "--by", "owner")
    assert "complaint: v1 deployed again as v3" in rolled.output

    dry = cli("migrate", "complaint", "--from", "2", "--to", "3", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f"{case_number}: can move" in dry.output
    assert (
        "ready    department_handling (调查处理并答复) → department_handling (调查处理并答复)" in dry.output
    )
    assert "dry run: 1 of 1 case(s) can move to v3; nothing changed" in dry.output
    with sessions() as session:
        assert session.scalars(select(ProcessInstance)).one().definition.version == 2

    applied = cli("migrate", "complaint", "--from", "2", "--to", "3", "--by", "owner")
    assert "migrated 1 case(s) to v3; 0 stay on v2" in applied.output
    with sessions() as session:
        instance = session.scalars(select(ProcessInstance)).one()
        assert instance.definition.version == 3
        assert [t.element_id for t in open_tasks(session, instance.id)] == ["department_handling"]
        assert session.scalars(select(ProcessAudit.action).order_by(ProcessAudit.id)).all() == [
            "deploy",
            "deploy",
            "rollback",
            "migrate",
        ]
    assert cli("migrate", "complaint", "--from", "2", "--to", "2").exit_code == 1


def test_deploy_refuses_an_entity_attack_without_reading_the_file(
    cli, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    attack = tmp_path / "attack.bpmn"
    attack.write_text(f"""<?xml version="1.0"?><!DOCTYPE d [ <!ENTITY s SYSTEM "file://{secret}"> ]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">
<bpmn:process id="leak" name="&s;" isExecutable="true"/></bpmn:definitions>""")
    result = cli("deploy", str(attack))
    assert result.exit_code == 1
    assert "declares a DOCTYPE or entities" in result.output and "TOP-SECRET-CONTENT" not in result.output
    assert _versions(sessions) == []


def test_deploy_says_when_someone_else_took_the_version_number_meanwhile(
    cli, sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("deploy", str(COMPLAINT_BPMN), "--by", "owner").exit_code == 0
    renamed = tmp_path / "complaint.bpmn"
    renamed.write_bytes(RENAMED)
    assert cli("deploy", str(renamed), "--by", "rival").exit_code == 0
    version_taken_meanwhile(monkeypatch, seen_version=1)
    mine = tmp_path / "mine" / "complaint.bpmn"
    mine.parent.mkdir()
    mine.write_bytes(edited(COMPLAINT_BPMN, set_attribute(CALLBACK, "name", "回访")))
    lost = cli("deploy", str(mine), "--by", "owner")
    assert lost.exit_code == 1
    assert "not deployed: someone deployed complaint v2 meanwhile; reload and deploy again" in lost.output
    assert _versions(sessions) == [(1, "cli", "owner"), (2, "cli", "rival")]


def test_an_engine_error_no_command_answers_is_said_once_and_exits_1(cli) -> None:
    """The command group says every engine error a command lets through (hotline.errors): one line on
    stderr, exit code 1, no traceback."""
    rolled = cli("rollback", "complaint", "--to", "7")
    assert rolled.exit_code == 1
    assert rolled.output == "process 'complaint' has no version 7\n"
    assert "Traceback" not in rolled.output
    versions = cli("versions", "nothing-like-it", "--diff", "1", "2")
    assert versions.exit_code == 1
    assert versions.output == "process 'nothing-like-it' has no version 1\n"
