"""engine.bpmn.parser: parsing and checking BPMN files. A bad file is refused as a whole, naming the
file, the element and the reason; nothing is stored when a deploy fails."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from engine.bpmn.parser import (
    DefinitionError,
    candidate_groups_for,
    content_hash,
    normalise_timer_expression,
    parse_definition,
)
from engine.cases.runner import complete_task, start_case
from engine.clock import SettableClock
from engine.db.models import ProcessDefinition
from engine.processes.deployment import deploy
from engine.runtime import Runtime
from tests.helpers import (
    COMPLAINT_BPMN,
    OPERATOR,
    boundary_timer,
    diagram,
    end_event,
    flow,
    form_field,
    linear,
    open_tasks,
    script_task,
    start_event,
    timers_of,
    user_task,
)

# --- timers as Camunda Modeler writes them -----------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("PT2H", "'PT2H'"),
        ("  PT3M\n", "'PT3M'"),
        ("P1D", "'P1D'"),
        ("P1DT12H", "'P1DT12H'"),
        ("P2W", "'P2W'"),
        ("R3/PT10M", "'R3/PT10M'"),
        ("2026-11-23T18:00:00+08:00", "'2026-11-23T18:00:00+08:00'"),
        ("2026-11-23", "'2026-11-23'"),
        ("${x}", "x"),
        ("${ reply_due }", "reply_due"),
        ("#{reply_due}", "reply_due"),
        ("'PT2H'", "'PT2H'"),
        ("end_of_day()", "end_of_day()"),
        ("reply_due", "reply_due"),
    ],
)
def test_timer_expressions_are_normalised(written: str, normalised: str) -> None:
    assert normalise_timer_expression(written) == normalised


def test_parsed_timers_carry_the_normalised_expression() -> None:
    parsed = parse_definition(
        linear(
            user_task("u1"),
            extra=(
                boundary_timer("in_two_hours", "u1", "timeDuration", "PT2H"),
                boundary_timer("at_due", "u1", "timeDate", "${x}"),
            ),
        ),
        "timers.bpmn",
    )
    assert parsed.spec.task_specs["in_two_hours"].event_definition.expression == "'PT2H'"
    assert parsed.spec.task_specs["at_due"].event_definition.expression == "x"


def test_camunda_style_timers_run(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    """PT2H and ${x} from the desktop modeler give timers due at the right time."""
    xml = linear(
        script_task("set_due", "x = '2026-11-25T18:00:00+08:00'"),
        user_task("u1"),
        extra=(
            boundary_timer("in_two_hours", "u1", "timeDuration", "PT2H"),
            boundary_timer("at_due", "u1", "timeDate", "${x}"),
        ),
    )
    with sessions.begin() as session:
        deploy(session, runtime, xml, "timers.bpmn", "test")
        instance = start_case(session, runtime, "small", OPERATOR)
        due = {t.element_id: t.due_at for t in timers_of(session, instance.id)}
    assert due == {
        "in_two_hours": clock.now() + timedelta(hours=2),
        "at_due": clock.now().replace(day=25, hour=10),
    }


# --- what a good file gives --------------------------------------------------------------------------


def test_complaint_diagram_is_described() -> None:
    xml = COMPLAINT_BPMN.read_bytes()
    parsed = parse_definition(xml, str(COMPLAINT_BPMN))
    assert (parsed.key, parsed.name, parsed.case_prefix) == ("complaint", "投诉处理", "TS")
    assert parsed.content_hash == content_hash(xml)
    assert set(parsed.user_tasks) == {
        "intake",
        "dispatch_site_order",
        "assist",
        "department_handling",
        "approve_extension",
        "review_sendback",
        "callback",
        "reply_on_platform",
        "send_platform_reply",
        "summarise_and_close",
    }
    handling = parsed.user_tasks["department_handling"]
    assert handling.candidate_groups == "${department}"
    assert handling.name_en == "Investigate, handle and reply"
    assert "C3" in handling.documentation
    assert parsed.element_names["reply_deadline"] == "当日答复时限"
    assert parsed.multi_instance_steps == ("assist",)
    assert parsed.user_tasks["assist"].candidate_groups == "${assisting_department}"


def test_case_prefix_defaults_to_the_key() -> None:
    assert parse_definition(linear(user_task("u1"), key="repair"), "r.bpmn").case_prefix == "RE"
    assert parse_definition(diagram(start_event(), case_prefix="bx"), "b.bpmn").case_prefix == "BX"


def test_candidate_groups_are_evaluated_against_case_data() -> None:
    parsed = parse_definition(linear(user_task("u1", groups="${department}, supervisor")), "g.bpmn")
    info = parsed.user_tasks["u1"]
    assert candidate_groups_for(info, {"department": "billing"}) == ["billing", "supervisor"]
    assert candidate_groups_for(info, {}) == ["supervisor"]


# --- bad files: file, element and reason ---------------------------------------------------------------

BAD_FILES = {
    "malformed XML": (
        linear(user_task("u1")).replace(b"</bpmn:process>", b"</bpmn:proces>"),
        "",
        "not well-formed XML: Opening and ending tag mismatch",
        9,
    ),
    "empty file": (b"", "", "not well-formed XML", 1),
    "not BPMN": (b"<?xml version='1.0'?><html/>", "", "the root element is not bpmn:definitions", None),
    "flow to a missing element": (
        diagram(
            start_event(), user_task("u1"), flow("start", "u1"), flow("u1", "nowhere", flow_id="to_nowhere")
        ),
        "to_nowhere",
        "targetRef 'nowhere' names no element in this file",
        7,
    ),
    "flow from a missing element": (
        diagram(start_event(), end_event(), flow("start", "end"), flow("ghost", "end", flow_id="from_ghost")),
        "from_ghost",
        "sourceRef 'ghost' names no element in this file",
        7,
    ),
    "timer on a missing task": (
        linear(user_task("u1"), extra=(boundary_timer("late", "nowhere", "timeDuration", "PT1H"),)),
        "late",
        "attached to 'nowhere', which is not in this file",
        9,
    ),
    "user task without candidateGroups": (
        linear(user_task("nobody", groups=None)),
        "nobody",
        "a user task needs camunda:candidateGroups",
        5,
    ),
    "enum without values": (
        linear(user_task("ask", fields=form_field("colour", "enum"))),
        "ask",
        "field 'colour': an enum field needs at least one value",
        5,
    ),
    "bad pattern": (
        linear(
            user_task(
                "ask",
                fields=form_field("code", "string", '<camunda:constraint name="pattern" config="[0-9"/>'),
            )
        ),
        "ask",
        "field 'code': pattern '[0-9' is not a valid expression",
        5,
    ),
    "script with an import": (
        linear(script_task("sneaky", "x = 1\nimport os")),
        "sneaky",
        "line 2: imports are not allowed",
        5,
    ),
    "condition with a dunder": (
        diagram(
            start_event(),
            '<bpmn:exclusiveGateway id="gw" default="f_other"/>',
            end_event("e1"),
            end_event("e2"),
            flow("start", "gw"),
            flow("gw", "e1", condition="x.__class__", flow_id="f_bad"),
            flow("gw", "e2", flow_id="f_other"),
        ),
        "f_bad",
        "attribute '__class__' is not allowed",
        9,
    ),
    "timer with a broken expression": (
        linear(user_task("u1"), extra=(boundary_timer("late", "u1", "timeDuration", "PT2H +"),)),
        "late",
        "syntax error",
        9,
    ),
    "empty timer": (
        linear(user_task("u1"), extra=(boundary_timer("late", "u1", "timeDate", " "),)),
        "late",
        "the timer's timeDate is empty",
        9,
    ),
    "no start event": (
        diagram(user_task("u1"), end_event(), flow("u1", "end")),
        "small",
        "No start event found",
        None,
    ),
    "two executable processes": (
        diagram(start_event()).replace(
            b"</bpmn:definitions>", b'<bpmn:process id="p2" isExecutable="true"/></bpmn:definitions>'
        ),
        "",
        "a file must hold exactly one executable process; found 2",
        None,
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_files_are_refused_naming_file_element_and_reason(case: str) -> None:
    xml, element_id, reason, line = BAD_FILES[case]
    with pytest.raises(DefinitionError) as refused:
        parse_definition(xml, "processes/bad.bpmn")
    error = refused.value
    assert error.file_name == "processes/bad.bpmn"
    problem = error.problems[0]
    assert problem.element_id == element_id
    assert reason in problem.reason
    assert problem.line == line
    message = str(error)
    assert message.startswith("processes/bad.bpmn: ")
    assert reason in message
    if element_id:
        assert f"element '{element_id}'" in message
    if line:
        assert f"(line {line})" in message


def test_every_problem_of_a_file_is_reported() -> None:
    xml = diagram(
        start_event(),
        user_task("nobody", groups=None),
        script_task("sneaky", "import os"),
        flow("start", "nobody"),
        flow("nobody", "missing", flow_id="f_missing"),
    )
    with pytest.raises(DefinitionError) as refused:
        parse_definition(xml, "many.bpmn")
    # reference and script problems are collected together, before Spiff parses the file
    assert {p.element_id for p in refused.value.problems} == {"f_missing", "sneaky"}


def test_schema_violation_names_the_element() -> None:
    xml = linear(user_task("u1").replace("<bpmn:userTask ", '<bpmn:userTask bogus="1" '))
    with pytest.raises(DefinitionError) as refused:
        parse_definition(xml, "schema.bpmn")
    assert refused.value.problems[0].line == 5
    assert refused.value.problems[0].element_id == "u1"


@pytest.mark.parametrize(
    "case",
    [
        "malformed XML",
        "flow to a missing element",
        "user task without candidateGroups",
        "enum without values",
        "bad pattern",
        "script with an import",
    ],
)
def test_nothing_is_stored_when_deploy_fails(
    sessions: sessionmaker[Session], runtime: Runtime, case: str
) -> None:
    xml = BAD_FILES[case][0]
    with pytest.raises(DefinitionError), sessions.begin() as session:
        deploy(session, runtime, xml, "bad.bpmn", "test")
    with sessions() as session:
        assert session.scalar(select(func.count(ProcessDefinition.id))) == 0
    # the refused content was not cached either: a good file deploys as version 1
    with sessions.begin() as session:
        result = deploy(session, runtime, linear(user_task("u1")), "good.bpmn", "test")
    assert (result.created, result.definition.version) == (True, 1)


def test_a_refused_file_leaves_running_versions_alone(
    sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    good = linear(user_task("u1"))
    with sessions.begin() as session:
        deploy(session, runtime, good, "small.bpmn", "test")
        instance = start_case(session, runtime, "small", OPERATOR)
    with pytest.raises(DefinitionError), sessions.begin() as session:
        deploy(session, runtime, linear(user_task("u1", groups=None)), "small.bpmn", "test")
    with sessions() as session:
        assert session.scalars(select(ProcessDefinition.version)).all() == [1]
        assert [t.element_id for t in open_tasks(session, instance.id)] == ["u1"]


def test_a_gbk_encoded_diagram_is_refused_clearly(sessions: sessionmaker[Session], runtime: Runtime) -> None:
    """Diagrams are stored as text: a GBK file is refused, naming the file and what to do, and nothing is stored."""
    xml = (
        linear(user_task("u1", name="登记投诉"))
        .decode("utf-8")
        .replace('encoding="UTF-8"', 'encoding="GBK"')
        .encode("gbk")
    )
    with pytest.raises(DefinitionError) as refused, sessions.begin() as session:
        deploy(session, runtime, xml, "gbk.bpmn", "test")
    assert refused.value.file_name == "gbk.bpmn"
    assert "not UTF-8" in str(refused.value) and "save it as UTF-8" in str(refused.value)
    with sessions() as session:
        assert session.scalars(select(ProcessDefinition.version)).all() == []


def test_form_field_named_like_a_script_function_is_refused(
    sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    xml = linear(
        user_task("ask", fields=form_field("today", "date")), script_task("after", "x = 1"), user_task("next")
    )
    with sessions.begin() as session:
        try:
            deploy(session, runtime, xml, "shadow.bpmn", "test")
        except DefinitionError as refused:
            assert refused.problems[0].element_id == "ask" and "today" in refused.problems[0].reason
            return
        instance = start_case(session, runtime, "small", OPERATOR)
        task_id = open_tasks(session, instance.id)[0].id
    with sessions.begin() as session:
        complete_task(session, runtime, task_id, OPERATOR, {"today": "2026-11-23"})


@pytest.mark.parametrize(
    ("field", "kind"),
    [
        (form_field("decide", "string"), "form field id 'decide'"),
        (
            form_field("choice", "enum", extra='<camunda:value id="after" name="之后"/>'),
            "enum value id 'after'",
        ),
    ],
)
def test_a_form_id_that_is_also_an_element_id_is_refused_by_name(field: str, kind: str) -> None:
    """SpiffWorkflow would report the element as an unsupported task type; say what is wrong instead."""
    xml = linear(user_task("decide", fields=field), user_task("after"))
    with pytest.raises(DefinitionError) as refused:
        parse_definition(xml, "clash.bpmn")
    assert refused.value.problems[0].element_id == "decide"
    assert (
        f"{kind} is also the id of a diagram element; rename one of them" in refused.value.problems[0].reason
    )
