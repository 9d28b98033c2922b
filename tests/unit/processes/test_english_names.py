"""A step renamed while its English name (name_en) stays as it was is warned about, never refused."""

from __future__ import annotations

from engine.processes import stale_english_names
from tests.helpers import COMPLAINT_BPMN

ORIGINAL = COMPLAINT_BPMN.read_bytes()


def test_a_renamed_step_with_the_old_english_name_is_warned_about() -> None:
    renamed = ORIGINAL.replace('name="回访客户"'.encode(), 'name="回访客户(当日)"'.encode())
    warnings = stale_english_names(renamed, ORIGINAL, "complaint")
    assert [(w.element_id, w.code) for w in warnings] == [("callback", "stale-english-name")]
    assert warnings[0].message == (
        "'回访客户(当日)' was called '回访客户' in the deployed version, but its English name is still "
        "'Call back the customer': check the English name (extension property name_en)."
    )


def test_a_step_renamed_in_both_languages_or_not_at_all_is_fine() -> None:
    both = ORIGINAL.replace('name="回访客户"'.encode(), 'name="回访客户(当日)"'.encode()).replace(
        b'value="Call back the customer"', b'value="Call back the customer the same day"'
    )
    assert stale_english_names(both, ORIGINAL, "complaint") == []
    assert stale_english_names(ORIGINAL, ORIGINAL, "complaint") == []
    # Chinese punctuation for ASCII changes no word: 是否需要上门? became 是否需要上门？
    ascii_punctuation = ORIGINAL.replace('name="是否需要上门？"'.encode(), 'name="是否需要上门?"'.encode())
    assert ascii_punctuation != ORIGINAL
    assert stale_english_names(ORIGINAL, ascii_punctuation, "complaint") == []
    assert stale_english_names(ORIGINAL, None, "complaint") == []
