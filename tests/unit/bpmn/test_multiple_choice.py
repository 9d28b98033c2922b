"""An enum with property multiple=true (assisting departments): the value is the list of chosen ids in
the options' order, checked one by one on the server."""

from __future__ import annotations

from engine.bpmn.form_fields import FieldDef, FieldError, Option, validate_form

DEPARTMENTS = (Option("operations", "生产运行"), Option("technical", "技术"), Option("billing", "收费"))
LEAD = FieldDef("department", "enum", "责任部门", options=DEPARTMENTS)
ASSISTING = FieldDef(
    "assisting_departments", "enum", "协办部门", options=DEPARTMENTS, multiple=True, differs_from="department"
)


def check(values: dict[str, object], *fields: FieldDef) -> tuple[dict[str, object], dict[str, FieldError]]:
    return validate_form(fields or (LEAD, ASSISTING), values)


def test_the_chosen_ids_come_back_as_a_list_in_the_options_order_without_repeats() -> None:
    values, errors = check(
        {"department": "operations", "assisting_departments": ["billing", "technical", "billing"]}
    )
    assert errors == {} and values["assisting_departments"] == ["technical", "billing"]
    values, errors = check({"department": "operations", "assisting_departments": "billing, technical"})
    assert errors == {} and values["assisting_departments"] == ["technical", "billing"]


def test_none_chosen_is_an_empty_list_unless_the_field_is_required() -> None:
    assert check({"department": "operations"}) == (
        {"department": "operations", "assisting_departments": []},
        {},
    )
    required = FieldDef("teams", "enum", "班组", options=DEPARTMENTS, multiple=True, required=True)
    assert check({"teams": ""}, required)[1] == {"teams": FieldError("required")}


def test_an_unknown_id_or_the_other_fields_value_is_refused() -> None:
    assert check({"department": "operations", "assisting_departments": ["billing", "x"]})[1] == {
        "assisting_departments": FieldError("not_option")
    }
    errors = check({"department": "billing", "assisting_departments": ["billing"]})[1]
    assert errors["assisting_departments"].code == "same_as_other"


def test_a_plain_field_sent_twice_takes_its_first_value() -> None:
    values, errors = check({"department": ["x", "operations"]}, LEAD)
    assert errors == {"department": FieldError("not_option")}
