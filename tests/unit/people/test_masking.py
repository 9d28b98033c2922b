"""The masking rule for roles that do not see customers' personal data (C7, M6)."""

from __future__ import annotations

from engine.people.masking import masked


def test_personal_fields_are_masked_and_other_data_is_not() -> None:
    assert masked("customer_phone", "13812345678") == "138****5678"
    assert masked("customer_phone", "12345") == "****"
    assert masked("customer_name", "张伟") == "张*"
    assert masked("address", "金明小区3号楼2单元501") == "金明小区3号…"
    assert masked("description", "室内温度只有14度") == "室内温度只有14度"
    assert masked("customer_name", None) is None
