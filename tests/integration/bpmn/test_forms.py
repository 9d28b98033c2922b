"""engine.bpmn.form_fields: form fields come from the diagram (camunda:formData) and every submitted value is
checked on the server against them."""

from __future__ import annotations

import pytest

from engine.bpmn.form_fields import (
    FieldDef,
    FieldError,
    Option,
    initial_values,
    length_toward_minimum,
    validate_form,
)
from engine.bpmn.parser import DefinitionError, parse_definition
from engine.cases.definitions import parsed_definition
from engine.db.models import ProcessDefinition
from engine.runtime import Runtime
from tests.helpers import form_field, linear, user_task

REQUIRED = '<camunda:constraint name="required"/>'


def fields_of(*fields: str) -> dict[str, FieldDef]:
    parsed = parse_definition(linear(user_task("ask", fields="".join(fields))), "form.bpmn")
    return {f.id: f for f in parsed.user_tasks["ask"].fields}


def check(field: FieldDef, raw: object, current: dict | None = None) -> tuple[object, FieldError | None]:
    values, errors = validate_form((field,), {field.id: raw} if raw is not ... else {}, current)
    return values[field.id], errors.get(field.id)


# --- reading fields from the diagram -----------------------------------------------------------------


def test_fields_are_read_with_every_type_and_constraint() -> None:
    fields = fields_of(
        form_field(
            "name",
            "string",
            REQUIRED + '<camunda:constraint name="minlength" config="2"/>'
            '<camunda:constraint name="maxlength" config="5"/>'
            r'<camunda:constraint name="pattern" config="[A-Z]\w+"/>',
            extra='<camunda:properties><camunda:property id="label_en" value="Name"/>'
            '<camunda:property id="multiline" value="true"/></camunda:properties>',
        ),
        form_field(
            "count",
            "long",
            '<camunda:constraint name="min" config="1"/><camunda:constraint name="max" config="9"/>',
        ),
        form_field("agreed", "boolean", attrs=' defaultValue="true"'),
        form_field("day", "date", '<camunda:constraint name="readonly"/>'),
        form_field(
            "colour",
            "enum",
            '<camunda:constraint name="required" config="false"/>',
            extra='<camunda:value id="red" name="红"/><camunda:value id="blue" name="蓝"/>',
        ),
    )
    assert list(fields) == ["name", "count", "agreed", "day", "colour"]
    name = fields["name"]
    assert (name.type, name.required, name.min_length, name.max_length, name.pattern) == (
        "string",
        True,
        2,
        5,
        r"[A-Z]\w+",
    )
    assert (name.label_en, name.multiline) == ("Name", True)
    assert (fields["count"].min_value, fields["count"].max_value, fields["count"].required) == (1, 9, False)
    assert (fields["agreed"].type, fields["agreed"].default) == ("boolean", "true")
    assert (fields["day"].type, fields["day"].readonly) == ("date", True)
    colour = fields["colour"]
    assert colour.required is False  # config="false" switches the constraint off
    assert colour.options == (Option("red", "红"), Option("blue", "蓝"))
    assert colour.option_name("blue") == "蓝"
    assert colour.option_name("green") == "green"
    assert colour.option_name(None) == ""


def test_complaint_intake_form_is_read_from_the_diagram(
    runtime: Runtime, deployed: ProcessDefinition
) -> None:
    intake = parsed_definition(runtime, deployed).user_tasks["intake"]
    fields = {f.id: f for f in intake.fields}
    assert list(fields) == [
        "customer_name",
        "customer_phone",
        "address",
        "occurred_at",
        "description",
        "category",
        "department",
        "assisting_departments",
        "case_source",
        "upstream_reference",
        "upstream_deadline",
        "needs_site_visit",
        "apologised",
        "confidential",
    ]
    assert fields["customer_phone"].required and fields["customer_phone"].pattern
    # 主办/协办: any number of assisting departments, none of them the lead one
    assisting = fields["assisting_departments"]
    assert (assisting.reference, assisting.multiple, assisting.differs_from) == (
        "department",
        True,
        "department",
    )
    assert (fields["category"].reference, fields["category"].required) == ("category", True)
    # C1: the department left empty is the one the routing table gives the category (route_by_category)
    assert (
        fields["department"].reference,
        fields["department"].suggest_from,
        fields["department"].required,
    ) == ("department", "", False)
    assert fields["description"].min_length == 5 and fields["description"].multiline
    assert fields["needs_site_visit"].default == "false"


@pytest.mark.parametrize(
    ("field", "reason"),
    [
        (form_field("x", "money"), "type 'money' is not one of string, long, boolean, date, datetime, enum"),
        (form_field("x", "string", '<camunda:constraint name="shout"/>'), "unknown constraint 'shout'"),
        (
            form_field("x", "string", '<camunda:constraint name="maxlength" config="ten"/>'),
            "constraint maxlength needs a whole number, got 'ten'",
        ),
        (
            form_field("x", "long", '<camunda:constraint name="min" config=""/>'),
            "constraint min needs a whole number",
        ),
        (
            form_field("x", "string", '<camunda:constraint name="pattern" config="(a"/>'),
            "pattern '(a' is not a valid expression",
        ),
        (form_field("x", "enum"), "an enum field needs at least one value"),
        (form_field("2x", "string"), "must be a name of letters, digits and '_'"),
        (form_field("x") + form_field("x"), "two form fields share an id"),
    ],
)
def test_bad_field_definitions_refuse_the_diagram(field: str, reason: str) -> None:
    with pytest.raises(DefinitionError) as refused:
        fields_of(field)
    assert refused.value.problems[0].element_id == "ask"
    assert reason in str(refused.value)


# --- validating submitted values ---------------------------------------------------------------------


def test_required_fields_must_be_filled() -> None:
    field = FieldDef("name", "string", "Name", required=True)
    for blank in (..., None, "", "   "):
        assert check(field, blank) == (None, FieldError("required"))
    assert check(field, "  张伟 ") == ("张伟", None)


def test_optional_blank_fields_become_none_and_unticked_boxes_false() -> None:
    fields = (
        FieldDef("note", "string", "Note", min_length=5),
        FieldDef("count", "long", "Count", min_value=1),
        FieldDef("ok", "boolean", "OK"),
        FieldDef("day", "date", "Day"),
    )
    values, errors = validate_form(fields, {})
    assert errors == {}
    assert values == {"note": None, "count": None, "ok": False, "day": None}


def test_string_length_limits() -> None:
    field = FieldDef("code", "string", "Code", min_length=2, max_length=4)
    assert check(field, "a") == (None, FieldError("min_length", {"min": 2}))
    assert check(field, "abcde") == (None, FieldError("max_length", {"max": 4}))
    assert check(field, "ab") == ("ab", None)
    assert check(field, "abcd") == ("abcd", None)
    assert check(field, "  ab  ") == ("ab", None)  # measured after trimming


def test_string_pattern_must_match_the_whole_value() -> None:
    field = FieldDef("phone", "string", "Phone", pattern=r"1[3-9]\d{9}")
    assert check(field, "13800001111") == ("13800001111", None)
    assert check(field, "1380000111") == (None, FieldError("pattern"))
    assert check(field, "13800001111x") == (None, FieldError("pattern"))
    assert check(field, "x13800001111") == (None, FieldError("pattern"))


def test_long_values_and_their_limits() -> None:
    field = FieldDef("count", "long", "Count", min_value=-2, max_value=10)
    assert check(field, "7") == (7, None)
    assert check(field, " +3 ") == (3, None)
    assert check(field, 10) == (10, None)
    assert check(field, "-2") == (-2, None)
    assert check(field, "11") == (None, FieldError("max_value", {"max": 10}))
    assert check(field, "-3") == (None, FieldError("min_value", {"min": -2}))
    for bad in ("1.5", "ten", "1e3", "0x10"):
        assert check(field, bad) == (None, FieldError("not_integer"))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (True, True),
        (False, False),
        ("true", True),
        ("on", True),
        ("1", True),
        ("yes", True),
        ("Y", True),
        ("false", False),
        ("off", False),
        ("0", False),
        ("no", False),
        ("N", False),
    ],
)
def test_boolean_values(raw: object, expected: bool) -> None:
    assert check(FieldDef("ok", "boolean", "OK"), raw) == (expected, None)


def test_boolean_garbage_and_required_box() -> None:
    assert check(FieldDef("ok", "boolean", "OK"), "maybe") == (None, FieldError("not_boolean"))
    required = FieldDef("ok", "boolean", "OK", required=True)
    assert check(required, ...) == (False, FieldError("required"))
    assert check(required, "") == (False, FieldError("required"))
    assert check(required, "on") == (True, None)


def test_date_values_are_iso_dates() -> None:
    field = FieldDef("day", "date", "Day")
    assert check(field, "2026-11-23") == ("2026-11-23", None)
    assert check(field, " 2026-02-28 ") == ("2026-02-28", None)
    for bad in ("2026-02-30", "23/11/2026", "tomorrow"):
        assert check(field, bad) == (None, FieldError("not_date"))


def test_enum_values_must_be_an_option_id() -> None:
    field = FieldDef("colour", "enum", "Colour", options=(Option("red", "红"), Option("blue", "蓝")))
    assert check(field, "red") == ("red", None)
    assert check(field, "红") == (None, FieldError("not_option"))
    assert check(field, "green") == (None, FieldError("not_option"))


def test_readonly_fields_keep_the_case_value_whatever_is_submitted() -> None:
    field = FieldDef(
        "department",
        "enum",
        "Dept",
        readonly=True,
        required=True,
        options=(Option("operations", "运行"), Option("billing", "收费")),
    )
    assert check(field, "billing", {"department": "operations"}) == ("operations", None)
    assert check(field, ..., {"department": "operations"}) == ("operations", None)


def test_valid_values_are_kept_when_other_fields_fail() -> None:
    fields = (
        FieldDef("name", "string", "Name", required=True),
        FieldDef("count", "long", "Count"),
        FieldDef("phone", "string", "Phone", pattern=r"\d{11}"),
    )
    values, errors = validate_form(fields, {"name": "张伟", "count": "x", "phone": "123"})
    assert errors == {"count": FieldError("not_integer"), "phone": FieldError("pattern")}
    assert values["name"] == "张伟"


def test_fields_not_in_the_form_are_ignored() -> None:
    values, errors = validate_form(
        (FieldDef("note", "string", "Note"),), {"note": "hi", "department": "billing"}
    )
    assert (values, errors) == ({"note": "hi"}, {})


def test_initial_values_prefer_case_data_then_default() -> None:
    fields = (
        FieldDef("name", "string", "Name", default="匿名"),
        FieldDef("ok", "boolean", "OK", default="true"),
        FieldDef("off", "boolean", "Off", default="false"),
        FieldDef("note", "string", "Note"),
    )
    assert initial_values(fields, {}) == {"name": "匿名", "ok": True, "off": False, "note": None}
    assert initial_values(fields, {"name": "张伟", "ok": False, "note": "x"}) == {
        "name": "张伟",
        "ok": False,
        "off": False,
        "note": "x",
    }


def test_required_when_another_field_has_a_value_c3() -> None:
    """C3: the reason becomes required only when the department asks for an extension."""
    outcome = FieldDef(
        "outcome", "enum", "处理结果", options=(Option("resolved", "已处理"), Option("extension", "需延期"))
    )
    reason = FieldDef("extension_reason", "string", "延期原因", required_when=("outcome", "extension"))
    approved = FieldDef("approved", "boolean", "批准")
    until = FieldDef("until", "date", "延期至", required_when=("approved", "true"))
    fields = (outcome, reason, approved, until)
    _values, errors = validate_form(fields, {"outcome": "extension", "extension_reason": " "})
    assert errors == {"extension_reason": FieldError("required")}
    _values, errors = validate_form(fields, {"outcome": "resolved"})
    assert errors == {}
    _values, errors = validate_form(fields, {"outcome": "resolved", "approved": "on"})
    assert errors == {"until": FieldError("required")}
    values, errors = validate_form(
        fields,
        {"outcome": "extension", "extension_reason": "换阀门", "approved": "on", "until": "2026-11-25"},
    )
    assert errors == {} and values["until"] == "2026-11-25"


def test_required_when_must_name_a_field_of_the_form() -> None:
    field = form_field(
        "note",
        extra='<camunda:properties><camunda:property id="requiredWhen" value="nothing=1" /></camunda:properties>',
    )
    with pytest.raises(DefinitionError, match="requiredWhen names 'nothing'"):
        parse_definition(linear(user_task("ask", fields=field)), "when.bpmn")


def test_a_required_field_may_be_left_empty_when_another_has_a_value_r1() -> None:
    """R1: a repair's caller is required, except on a maintenance order the utility opens itself from
    the hot spots (optionalWhen = case_source=hot_spot): no customer called."""
    name = FieldDef(
        "customer_name", "string", "报修人姓名", required=True, optional_when=("case_source", "hot_spot")
    )
    source = FieldDef(
        "case_source", "enum", "工单来源", options=(Option("hotline", "热线"), Option("hot_spot", "热点"))
    )
    _values, errors = validate_form((name, source), {"case_source": "hotline"})
    assert errors == {"customer_name": FieldError("required")}
    _values, errors = validate_form((name, source), {})
    assert errors == {"customer_name": FieldError("required")}
    values, errors = validate_form((name, source), {"case_source": "hot_spot"})
    assert errors == {} and values["customer_name"] is None
    values, errors = validate_form((name, source), {"case_source": "hot_spot", "customer_name": "王五"})
    assert errors == {} and values["customer_name"] == "王五"


def test_optional_when_must_name_a_field_of_the_form() -> None:
    field = form_field(
        "note",
        extra='<camunda:properties><camunda:property id="optionalWhen" value="nothing=1" /></camunda:properties>',
    )
    with pytest.raises(DefinitionError, match="optionalWhen names 'nothing'"):
        parse_definition(linear(user_task("ask", fields=field)), "when.bpmn")


def test_a_time_may_not_be_earlier_than_the_one_it_follows_o2() -> None:
    """O2: a restoration reported before the outage started is refused (notBefore), against the same
    form's value or the case's; the same moment is allowed."""
    starts = FieldDef("starts_at", "datetime", "停止开始时间", label_en="Starts at")
    restored = FieldDef("restored_at", "datetime", "实际恢复时间", not_before="starts_at")
    _values, errors = validate_form(
        (starts, restored), {"starts_at": "2026-11-23 09:00", "restored_at": "2026-11-23 08:59"}
    )
    assert errors == {
        "restored_at": FieldError("before_other", {"other": "停止开始时间", "other_en": "Starts at"})
    }
    case = {"starts_at": "2026-11-23T09:00:00+08:00"}
    _values, errors = validate_form((restored,), {"restored_at": "2026-11-23 08:00"}, case)
    assert errors["restored_at"].code == "before_other"
    values, errors = validate_form((restored,), {"restored_at": "2026-11-23 09:00"}, case)
    assert errors == {} and values["restored_at"] == "2026-11-23T09:00:00+08:00"
    _values, errors = validate_form((restored,), {"restored_at": "2026-11-23 08:00"}, {})
    assert errors == {}  # nothing to compare with


def test_not_before_is_for_times_and_must_name_a_form_field() -> None:
    order = '<camunda:properties><camunda:property id="notBefore" value="{}" /></camunda:properties>'
    with pytest.raises(DefinitionError, match="notBefore is for a date or datetime field"):
        fields_of(form_field("note", "string", extra=order.format("day")))
    with pytest.raises(DefinitionError, match="notBefore names 'nothing', which is no form field"):
        fields_of(form_field("day", "date", extra=order.format("nothing")))
    fields = fields_of(form_field("first", "date"), form_field("later", "date", extra=order.format("first")))
    assert fields["later"].not_before == "first"


# --- issue 14: values no field takes, whatever the browser sends ----------------------------------------


@pytest.mark.parametrize(
    ("raw", "multiline"),
    [
        ("a\x00b", True),
        ("a\x0bb", True),
        ("\x1b[31m", True),
        ("a\x7f", True),
        ("a\nb", False),
        ("a\rb", False),
    ],
)
def test_control_characters_are_refused_in_every_text(raw: str, multiline: bool) -> None:
    """NUL cannot be stored on PostgreSQL and a vertical tab breaks the XLSX export: refused with a
    field error naming the character; a text area keeps its tabs and line breaks."""
    field = FieldDef("note", "string", "Note", multiline=multiline)
    value, error = check(field, raw)
    assert value is None and error is not None and error.code == "control_character"
    assert error.params["code"].startswith("U+")


def test_a_text_area_keeps_tabs_and_line_breaks_and_a_line_its_tabs() -> None:
    assert check(FieldDef("note", "string", "Note", multiline=True), "a\tb\r\nc") == ("a\tb\r\nc", None)
    assert check(FieldDef("note", "string", "Note"), "a\tb") == ("a\tb", None)


@pytest.mark.parametrize("field_type", ["long", "date", "datetime", "enum"])
def test_nul_in_a_typed_field_is_refused_as_a_control_character(field_type: str) -> None:
    field = FieldDef("x", field_type, "X", options=(Option("a", "A"),))
    assert check(field, "a\x00")[1] == FieldError("control_character", {"code": "U+0000"})


def test_text_fields_have_a_maximum_length_that_a_diagram_may_lower_but_not_raise() -> None:
    fields = fields_of(
        form_field("line"),
        form_field(
            "area",
            extra='<camunda:properties><camunda:property id="multiline" value="true"/></camunda:properties>',
        ),
        form_field("short", constraints='<camunda:constraint name="maxlength" config="30"/>'),
    )
    assert [fields[f].max_length for f in ("line", "area", "short")] == [2000, 10000, 30]
    assert check(fields["line"], "x" * 2001) == (None, FieldError("max_length", {"max": 2000}))
    assert check(fields["area"], "x" * 100_000) == (None, FieldError("max_length", {"max": 10000}))
    assert check(fields["area"], "x" * 10_000) == ("x" * 10_000, None)
    # A field made without the diagram still has the limit.
    assert check(FieldDef("raw", "string", "Raw"), "x" * 2001) == (
        None,
        FieldError("max_length", {"max": 2000}),
    )
    with pytest.raises(DefinitionError) as refused:
        fields_of(form_field("big", constraints='<camunda:constraint name="maxlength" config="5000"/>'))
    assert "maxlength 5000 is more than the 2000 characters" in str(refused.value)


def test_a_label_longer_than_200_characters_refuses_the_diagram() -> None:
    with pytest.raises(DefinitionError) as refused:
        fields_of(form_field("x", attrs="").replace('label="x"', f'label="{"长" * 201}"'))
    assert "a label may be at most 200 characters long" in str(refused.value)


@pytest.mark.parametrize(
    "raw",
    [
        "9999-12-31T23:59-12:00",
        "0001-01-01T00:00+14:00",
        "0001-01-01T00:00",
        "1899-12-31T23:59",
        "2201-01-01T00:00",
    ],
)
def test_date_times_outside_1900_to_2200_are_refused_not_crashing(raw: str) -> None:
    """OverflowError in parse_local_datetime before; year 1 was taken and crashed later."""
    assert check(FieldDef("at", "datetime", "At"), raw) == (
        None,
        FieldError("year_out_of_range", {"first": 1900, "last": 2200}),
    )


def test_dates_outside_1900_to_2200_are_refused() -> None:
    field = FieldDef("day", "date", "Day")
    for raw in ("0001-01-01", "9999-12-31"):
        assert check(field, raw) == (None, FieldError("year_out_of_range", {"first": 1900, "last": 2200}))
    assert check(field, "0000-00-00") == (None, FieldError("not_date"))
    assert check(FieldDef("at", "datetime", "At"), "2200-12-31T23:59+14:00")[1] is None


@pytest.mark.parametrize("raw", ["9" * 5000, "9" * 20, str(2**53), "١٢٣"])
def test_whole_numbers_beyond_what_json_and_a_64_bit_column_keep_are_refused(raw: str) -> None:
    """int() of 5,000 digits raised ValueError (a 500); Arabic-Indic digits matched \\d."""
    assert check(FieldDef("count", "long", "Count"), raw) == (None, FieldError("not_integer"))


def test_a_chinese_character_counts_as_two_toward_a_minimum_length() -> None:
    """暖气不热 (4 characters) says what is wrong: it meets a minimum of 5; 停水 and "leak" do not."""
    assert length_toward_minimum("暖气不热") == 8 and length_toward_minimum("leak") == 4
    assert length_toward_minimum("ＡＢ") == 4  # full-width letters are wide too
    field = FieldDef("description", "string", "Description", min_length=5)
    assert check(field, "暖气不热") == ("暖气不热", None)
    assert check(field, "停水了") == ("停水了", None)
    assert check(field, "停水") == (None, FieldError("min_length", {"min": 5}))
    assert check(field, "leak") == (None, FieldError("min_length", {"min": 5}))
    assert check(field, "no heat") == ("no heat", None)
