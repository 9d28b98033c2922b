"""Personal data is declared with the field in the diagram (form-field property `personal`, C7, M6):
parsed with the field, declared on every personal field of the shipped diagrams, and a field that looks
personal but is not declared is warned about (a warning: the diagram still deploys)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.bpmn import parse_definition
from engine.bpmn.form_fields import FormDefinitionError
from engine.bpmn.parser import DefinitionError
from engine.processes import diagram_warnings
from tests.helpers import COMPLAINT_BPMN, PROCESSES, edited, remove_element, set_attribute
from tests.integration.processes.test_validation import validate_diagram

CONSULTATION = PROCESSES / "consultation.bpmn"
REPAIR = PROCESSES / "repair.bpmn"
PHONE_PROPERTY = "//camunda:formField[@id='customer_phone']//camunda:property[@id='personal']"

# Every field of the shipped diagrams that holds who the customer is or how to reach them.
EXPECTED = {
    "callback": {"customer_name": "name", "customer_phone": "phone"},
    "complaint": {"customer_name": "name", "customer_phone": "phone", "address": "address"},
    "connection": {"customer_name": "name", "customer_phone": "phone", "address": "address"},
    "consultation": {"customer_name": "name", "customer_phone": "phone", "contact": "phone"},
    "liaison": {"customer_name": "name", "customer_phone": "phone", "address": "address"},
    "outage": {},
    "repair": {
        "customer_name": "name",
        "customer_phone": "phone",
        "address": "address",
        "signer_name": "name",
    },
}


def parsed(xml: bytes, name: str = "test.bpmn") -> dict[str, str]:
    return parse_definition(xml, name).personal_fields


def test_the_property_is_parsed_with_the_field() -> None:
    repair = parse_definition(REPAIR.read_bytes(), "repair.bpmn")
    assert repair.fields["signer_name"].personal == "name"
    assert repair.fields["diagnosis"].personal == ""
    assert parsed(CONSULTATION.read_bytes())["contact"] == "phone"


def test_an_unknown_kind_is_refused() -> None:
    xml = edited(COMPLAINT_BPMN, set_attribute(PHONE_PROPERTY, "value", "secret"))
    with pytest.raises((DefinitionError, FormDefinitionError)) as refused:
        parse_definition(xml, "complaint.bpmn")
    assert "personal 'secret' must be one of phone, name, address, text" in str(refused.value)


@pytest.mark.parametrize("path", sorted(PROCESSES.glob("*.bpmn")), ids=lambda p: p.stem)
def test_the_shipped_diagrams_declare_their_personal_fields(path: Path) -> None:
    xml = path.read_bytes()
    assert parsed(xml, path.name) == EXPECTED[path.stem]
    assert diagram_warnings(xml) == []


def test_an_undeclared_personal_field_is_warned_about_but_not_refused(
    sessions: sessionmaker[Session], reference_data: None
) -> None:
    xml = edited(COMPLAINT_BPMN, remove_element(PHONE_PROPERTY))
    (warning,) = diagram_warnings(xml)
    assert (warning.code, warning.element_id, dict(warning.params)["field"]) == (
        "undeclared-personal-field",
        "intake",
        "customer_phone",
    )
    assert (
        "customer_phone" in warning.message and "personal = phone, name, address or text" in warning.message
    )
    with sessions() as session:
        assert validate_diagram(session, xml) == []  # it deploys: a warning, not a problem
    assert "customer_phone" not in parsed(xml)


@pytest.mark.parametrize(
    ("field_id", "label"),
    [("guardian_mobile", "监护人"), ("notes", "家属联系方式"), ("site", "现场地址"), ("who", "姓名")],
)
def test_a_field_is_suspected_by_its_id_or_its_label(field_id: str, label: str) -> None:
    xml = edited(
        COMPLAINT_BPMN,
        set_attribute("//camunda:formField[@id='investigation']", "id", field_id),
        set_attribute(f"//camunda:formField[@id='{field_id}']", "label", label),
    )
    assert [dict(w.params)["field"] for w in diagram_warnings(xml)] == [field_id]


def test_the_steps_that_reach_the_customer_say_what_they_need_m6() -> None:
    """M6: whoever must visit or call the customer for a step sees what the step declares in full."""
    complaint = parse_definition(COMPLAINT_BPMN.read_bytes(), "complaint.bpmn")
    assert complaint.user_tasks["department_handling"].customer_contact == {"phone", "address"}
    assert complaint.user_tasks["summarise_and_close"].customer_contact == frozenset()
    liaison = parse_definition((PROCESSES / "liaison.bpmn").read_bytes(), "liaison.bpmn")
    contact = {element for element, info in liaison.user_tasks.items() if info.customer_contact}
    assert contact == {"collect_info", "investigate", "solve_on_site", "callback"}
    repair = parse_definition(REPAIR.read_bytes(), "repair.bpmn")
    assert repair.user_tasks["onsite_report"].customer_contact == {"name", "phone", "address"}
