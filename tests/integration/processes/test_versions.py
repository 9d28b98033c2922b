"""engine.processes.versions and engine.processes.diff: drafts (even invalid), deploying a checked diagram as a new
version with author, time, comment and source, the audit log, rollback, and what changed between two
versions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.runner import start_case
from engine.clock import SettableClock
from engine.db.models import ProcessAudit, ProcessDefinition
from engine.errors import Conflict
from engine.processes.diff import diff_diagrams
from engine.processes.versions import (
    InvalidDiagram,
    deploy_version,
    diff_versions,
    edited_version_over,
    get_version,
    latest_draft,
    list_audit,
    list_versions,
    redeploy,
    running_cases_by_version,
    save_draft,
)
from engine.runtime import Runtime
from tests.helpers import (
    COMPLAINT_BPMN,
    OPERATOR,
    edited,
    intake_form,
    remove_element,
    row_counts,
    set_attribute,
    set_text,
    version_taken_meanwhile,
)

V1 = COMPLAINT_BPMN.read_bytes()
# v2: the callback renamed, the site-order deadline 5 minutes, a new field on the summary, a field of the
# site order removed.
V2 = edited(
    COMPLAINT_BPMN,
    set_attribute("//bpmn:userTask[@id='callback']", "name", "电话回访"),
    set_text("//bpmn:boundaryEvent[@id='dispatch_deadline']//bpmn:timeDuration", "PT5M"),
    remove_element("//camunda:formField[@id='visit_window']"),
)
INVALID = edited(
    COMPLAINT_BPMN,
    set_attribute(
        "//bpmn:userTask[@id='callback']", "{http://camunda.org/schema/1.0/bpmn}candidateGroups", None
    ),
)


def test_an_invalid_diagram_is_kept_as_a_draft_but_never_deployed(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, reference_data: None
) -> None:
    with sessions.begin() as session:
        draft = save_draft(session, INVALID, "owner", clock=clock, zone=runtime.zone)
        assert (draft.process_key, draft.problem_count, draft.saved_by, draft.saved_at) == (
            "complaint",
            1,
            "owner",
            clock.now(),
        )
    with pytest.raises(InvalidDiagram) as refused, sessions.begin() as session:
        deploy_version(session, runtime, INVALID, "owner", "try")
    assert [(p.code, p.element_id) for p in refused.value.problems] == [
        ("missing-candidate-group", "callback")
    ]
    with sessions() as session:
        assert session.scalars(select(ProcessDefinition)).all() == []
        assert session.scalars(select(ProcessAudit)).all() == []
        assert latest_draft(session, "complaint").bpmn_xml.encode() == INVALID


def test_the_latest_draft_per_process_is_the_newest(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, reference_data: None
) -> None:
    with sessions.begin() as session:
        save_draft(session, V1, "owner", clock=clock, zone=runtime.zone)
        clock.advance(timedelta(minutes=5))
        save_draft(session, V2, "admin", clock=clock, zone=runtime.zone)
        save_draft(session, b"<broken", "admin", clock=clock, zone=runtime.zone, key="repair")
    with sessions() as session:
        newest = latest_draft(session, "complaint")
        assert (newest.bpmn_xml.encode(), newest.saved_by, newest.problem_count) == (V2, "admin", 0)
        assert latest_draft(session, "repair").problem_count == 1
        assert latest_draft(session, "outage") is None
    with pytest.raises(ValueError, match="give the process key"), sessions.begin() as session:
        save_draft(session, b"<broken", "admin", clock=clock, zone=runtime.zone)


def test_a_draft_over_the_size_cap_is_not_kept(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, reference_data: None
) -> None:
    from engine.bpmn.safe_xml import MAX_BPMN_BYTES

    huge = V1.replace(b"</bpmn:definitions>", b"<!--" + b"x" * MAX_BPMN_BYTES + b"--></bpmn:definitions>")
    with pytest.raises(InvalidDiagram) as refused, sessions.begin() as session:
        save_draft(session, huge, "owner", clock=clock, zone=runtime.zone)
    assert [p.code for p in refused.value.problems] == ["file-too-large"]
    with sessions() as session:
        assert latest_draft(session, "complaint") is None


def test_deploy_records_author_time_comment_and_source_in_the_audit_log(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, reference_data: None
) -> None:
    with sessions.begin() as session:
        v1 = deploy_version(session, runtime, V1, "owner", "first version", source="cli")
    clock.advance(timedelta(hours=1))
    with sessions.begin() as session:
        v2 = deploy_version(session, runtime, V2, "admin", "  callback renamed  ")
        assert (v2.version, v2.deployed_by, v2.deployed_at, v2.comment, v2.source) == (
            2,
            "admin",
            clock.now(),
            "callback renamed",
            "browser",
        )
        same = deploy_version(session, runtime, V2, "owner", "again")
        assert same.id == v2.id  # unchanged content: no new version
    with sessions() as session:
        assert [v.version for v in list_versions(session, "complaint")] == [2, 1]
        assert [
            (a.action, a.actor, a.source, a.version, a.from_version, a.comment) for a in list_audit(session)
        ] == [
            ("deploy", "admin", "browser", 2, 1, "callback renamed"),
            ("deploy", "owner", "cli", 1, None, "first version"),
        ]
        assert list_audit(session)[1].at == v1.deployed_at


def test_rollback_deploys_an_older_version_again_and_new_cases_use_it(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None
) -> None:
    with sessions.begin() as session:
        deploy_version(session, runtime, V1, "owner", "v1")
        deploy_version(session, runtime, V2, "owner", "v2")
        on_v2 = start_case(session, runtime, "complaint", OPERATOR, intake_form(needs_site_visit=True)).id
    with sessions.begin() as session:
        v3 = redeploy(session, runtime, "complaint", 1, "admin", "")
        assert (v3.version, v3.source, v3.comment, v3.content_hash) == (
            3,
            "rollback",
            "rollback to version 1",
            get_version(session, "complaint", 1).content_hash,
        )
        new_case = start_case(session, runtime, "complaint", OPERATOR, intake_form())
        assert new_case.definition.version == 3
    with sessions() as session:
        (audit, *_) = list_audit(session, "complaint")
        assert (
            audit.action,
            audit.source,
            audit.version,
            audit.from_version,
            audit.details["restored_version"],
        ) == ("rollback", "rollback", 3, 2, 1)
        assert running_cases_by_version(session, "complaint") == {2: 1, 3: 1}
        assert session.get(type(new_case), on_v2).definition.version == 2


def test_a_file_deploy_over_a_browser_edit_is_noticed(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None
) -> None:
    with sessions.begin() as session:
        deploy_version(session, runtime, V1, "cli", "", source="file")
        assert edited_version_over(session, V1, "complaint") is None
        deploy_version(session, runtime, V2, "owner", "edited in the modeler")
        assert edited_version_over(session, V1, "complaint").version == 2
        assert edited_version_over(session, V2, "complaint") is None  # the file has the edit already


def test_diff_between_two_versions_names_added_removed_and_changed_elements(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None
) -> None:
    with sessions.begin() as session:
        deploy_version(session, runtime, V1, "owner", "v1")
        deploy_version(session, runtime, V2, "owner", "v2")
        diff = diff_versions(session, "complaint", 1, 2)
    assert (diff.added, diff.removed) == ([], [])
    changed = {c.element_id: (c.element_name, [w.message for w in c.what]) for c in diff.changed}
    assert changed == {
        "callback": ("电话回访", ["name changed from '回访客户' to '电话回访'"]),
        "dispatch_deadline": (
            "派单时限3分钟",
            ["timer changed from 'timeDuration PT3M' to 'timeDuration PT5M'"],
        ),
        "dispatch_site_order": ("派发现场工单", ["form field 'visit_window' removed"]),
    }
    assert diff.markers() == {
        "added": [],
        "changed": ["callback", "dispatch_deadline", "dispatch_site_order"],
        "removed": [],
    }


def test_diff_of_added_and_removed_elements_and_moved_shapes() -> None:
    from tests.helpers import linear, script_task, user_task

    old = linear(user_task("check", fields='<camunda:formField id="ok" type="boolean"/>'))
    new = linear(
        user_task("check", groups="supervisor", fields='<camunda:formField id="ok" type="string"/>'),
        script_task("note", "noted = True", name="记录"),
    )
    diff = diff_diagrams("small", 1, 2, old, new)
    assert [(c.element_id, c.element_name, [w.message for w in c.what]) for c in diff.added] == [
        ("flow_check_note", "", ["sequence flow added"]),
        ("flow_note_end", "", ["sequence flow added"]),
        ("note", "记录", ["script task added"]),
    ]
    assert [(c.element_id, [w.message for w in c.what]) for c in diff.removed] == [
        ("flow_check_end", ["sequence flow removed"])
    ]
    assert [(c.element_id, [w.message for w in c.what]) for c in diff.changed] == [
        ("check", ["candidateGroups changed from 'operator' to 'supervisor'", "form field 'ok' changed"])
    ]
    assert diff_diagrams("small", 1, 1, old, old).unchanged


def test_moving_shapes_is_not_a_change_of_the_process() -> None:
    moved = edited(
        COMPLAINT_BPMN, set_attribute("//bpmndi:BPMNShape[@bpmnElement='callback']/*", "x", "1500")
    )
    assert moved != V1
    assert diff_diagrams("complaint", 1, 2, V1, moved).unchanged


def test_a_deploy_that_loses_the_race_for_its_version_number_writes_nothing(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    with sessions.begin() as session:
        deploy_version(session, runtime, V1, "owner", "first")
        deploy_version(session, runtime, V2, "rival", "回访改名")
    version_taken_meanwhile(monkeypatch, seen_version=1)
    v3 = edited(COMPLAINT_BPMN, set_attribute("//bpmn:userTask[@id='callback']", "name", "回访"))
    with sessions.begin() as session:
        before = row_counts(session, ["process_definition", "process_audit"])
        with pytest.raises(Conflict) as lost:
            deploy_version(session, runtime, v3, "owner", "回访")
        assert (lost.value.reason, lost.value.params) == ("version_taken", {"key": "complaint", "version": 2})
        # The session is still usable and holds nothing of the lost deploy.
        assert row_counts(session, ["process_definition", "process_audit"]) == before
    with sessions() as session:
        assert [(v.version, v.deployed_by) for v in list_versions(session, "complaint")] == [
            (2, "rival"),
            (1, "owner"),
        ]
    with sessions.begin() as session:  # read again, deploy again: it becomes version 3
        assert deploy_version(session, runtime, v3, "owner", "回访").version == 3
