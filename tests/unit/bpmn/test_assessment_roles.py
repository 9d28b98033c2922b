"""engine.bpmn.roles as the assessments read them from the diagrams shipped: the department steps and
the timers on their deadlines, the liaisons' feedback steps, the consultation's on-the-spot fields."""

from __future__ import annotations

from engine.bpmn import CONSULTATION, DEPARTMENT_TASK, LIAISON_FEEDBACK, LIAISON_REPORT, roles_of_xml
from tests.helpers import PROCESSES


def roles(key: str):  # type: ignore[no-untyped-def]
    return roles_of_xml((PROCESSES / f"{key}.bpmn").read_bytes())


def test_department_steps_and_their_deadline_timers() -> None:
    complaint = roles("complaint")
    assert complaint.element_ids(DEPARTMENT_TASK) == ("department_handling",)
    assert complaint.deadline_timers["reply_deadline"] == "department_handling"
    assert set(roles("repair").element_ids(DEPARTMENT_TASK)) == {"arrive_on_site", "onsite_report"}
    assert set(roles("liaison").element_ids(DEPARTMENT_TASK)) == {
        "investigate",
        "solve_on_site",
        "make_plan",
        "report_progress",
    }
    assert roles("callback").element_ids(DEPARTMENT_TASK) == ("department_rework",)


def test_liaison_forms_and_feedback_steps_m9() -> None:
    liaison = roles("liaison")
    assert LIAISON_REPORT in liaison.process_roles
    assert set(liaison.element_ids(LIAISON_FEEDBACK)) == {"written_report", "submit_to_department"}


def test_the_consultation_declares_its_on_the_spot_fields_q1() -> None:
    consultation = roles("consultation")
    assert CONSULTATION in consultation.process_roles
    assert (consultation.answered_field, consultation.entry_field) == ("answered_now", "answered_from")
