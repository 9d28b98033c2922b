"""Masking by the kind of personal data a field declares (C7, M6): a short value is never shown in full."""

from __future__ import annotations

import pytest

from engine.people import masked, masked_as


@pytest.mark.parametrize(
    ("kind", "value", "shown"),
    [
        ("phone", "13812345678", "138****5678"),
        ("phone", "0951-5012345", "095****2345"),
        ("phone", "5012345", "****45"),
        ("phone", "12345", "****"),
        ("phone", "wang@example.com", "w***@example.com"),
        ("name", "马强", "马*"),
        ("name", "欧阳明月", "欧***"),
        ("address", "金明小区3号楼2单元501", "金明小区3号…"),
        ("address", "兴华苑1号", "兴华…"),
        ("address", "3号楼", "3…"),
        ("address", "5", "…"),
        ("text", "孩子在家,请下午来", "***"),
    ],
)
def test_a_masked_value_keeps_a_part_by_its_kind_and_never_all(kind: str, value: str, shown: str) -> None:
    assert masked_as(kind, value) == shown
    assert shown != value


def test_fields_are_masked_by_what_the_diagram_declares() -> None:
    declared = {"signer_name": "name", "contact": "phone"}
    assert masked("signer_name", "马强", declared) == "马*"
    assert masked("contact", "13912345678", declared) == "139****5678"
    assert masked("contact", "13912345678") == "13912345678"  # not declared: not personal
    assert masked("customer_phone", "13812345678") == "138****5678"  # the case's customer columns
    assert masked("address", None) is None and masked("address", "") == ""
