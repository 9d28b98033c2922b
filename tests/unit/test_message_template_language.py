"""The administrator's template language: only the kind's variables, braces balanced, nothing reaching
into objects; and the SMS length as the network counts it."""

from __future__ import annotations

from engine.messaging import render, sms_length
from engine.messaging.texts.template_language import from_shipped, template_problems

ALLOWED = ("case", "task")


def codes(template: str) -> list[str]:
    return [problem.code for problem in template_problems(template, ALLOWED)]


def test_a_template_with_the_kinds_variables_is_accepted_and_filled() -> None:
    assert codes("工单 {case}：{task} {{注意}}") == []
    assert (
        render("工单 {case}：{task} {{注意}}", {"case": "WX-1", "task": "维修"}) == "工单 WX-1：维修 {注意}"
    )


def test_unknown_variables_and_unbalanced_braces_are_refused() -> None:
    assert codes("工单 {case} {customer}") == ["unknown"]
    assert template_problems("{customer}", ALLOWED)[0].params == {"name": "customer", "allowed": "case, task"}
    assert codes("工单 {case") == ["unbalanced"]
    assert codes("工单 case}") == ["unbalanced"]
    assert codes("{}") == ["empty_name"]


def test_no_attribute_index_conversion_or_format_spec_reaches_a_value() -> None:
    assert codes("{case.__class__}") == ["not_plain"]
    assert codes("{case[0]}") == ["not_plain"]
    assert codes("{case!r}") == ["not_plain"]
    assert codes("{case:>999999999}") == ["not_plain"]


def test_the_shipped_texts_read_in_the_administrators_form() -> None:
    assert from_shipped("Overdue: case %(case)s {x} 100%%") == "Overdue: case {case} {{x}} 100%"


def test_sms_length_70_chinese_characters_per_message_67_per_part() -> None:
    assert sms_length("停" * 70) == sms_length("停" * 70).__class__("UCS-2", 70, 1, 70)
    longer = sms_length("停" * 71)
    assert (longer.segments, longer.per_segment) == (2, 67)
    assert sms_length("停" * 134).segments == 2 and sms_length("停" * 135).segments == 3


def test_sms_length_160_gsm_characters_153_per_part_extended_ones_count_twice() -> None:
    assert (sms_length("a" * 160).encoding, sms_length("a" * 160).segments) == ("GSM-7", 1)
    assert sms_length("a" * 161).segments == 2 and sms_length("a" * 161).per_segment == 153
    assert sms_length("{}").characters == 4
    assert sms_length("a" * 159 + "é").encoding == "GSM-7"
    assert sms_length("a" * 100 + "ł").encoding == "UCS-2" and sms_length("a" * 100 + "ł").segments == 2
    assert sms_length("").segments == 0
