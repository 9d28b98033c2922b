"""A diagram's message with the case's values put in (engine.cases.effects.fill_placeholders): what
someone typed ends its own sentence, so the template's full stop after it is not doubled (L2's notice)."""

from __future__ import annotations

import pytest

from engine.cases.effects import fill_placeholders

TEMPLATE = "紧急:{customer_name}反映:{feedback}。请立即组织处理。"


@pytest.mark.parametrize(
    "feedback,expected",
    [
        ("楼道有燃气味", "紧急:周老师反映:楼道有燃气味。请立即组织处理。"),
        ("楼道有燃气味,有爆炸的危险。", "紧急:周老师反映:楼道有燃气味,有爆炸的危险。请立即组织处理。"),
        ("着火了!", "紧急:周老师反映:着火了!请立即组织处理。"),
        ("暖气漏水?  ", "紧急:周老师反映:暖气漏水?请立即组织处理。"),
        ("", "紧急:周老师反映:。请立即组织处理。"),
    ],
)
def test_a_typed_sentence_end_replaces_the_templates_full_stop_l2(feedback: str, expected: str) -> None:
    assert fill_placeholders(TEMPLATE, {"customer_name": "周老师", "feedback": feedback}) == expected


def test_unknown_names_stay_as_written_and_other_text_is_untouched() -> None:
    assert fill_placeholders("{nobody}。{name}:好", {"name": "王芳。"}) == "{nobody}。王芳。:好"
