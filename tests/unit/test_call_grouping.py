"""The building of an address and whether an outage's area covers it (likely duplicates, outage calls,
group alerts), and the settings of the call grouping read from the environment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.cases import Outage
from engine.db.models import Notice
from engine.work import building_of
from engine.work.duplicates import covers
from hotline.settings import Settings


@pytest.mark.parametrize(
    ("address", "building"),
    [
        ("金明小区3号楼2单元501", "金明小区3号楼"),
        ("幸福里8栋1单元", "幸福里8栋"),
        ("锦绣花园A座1201", "锦绣花园A座"),
        ("金明区换热站", ""),
        ("", ""),
    ],
)
def test_the_building_of_an_address(address: str, building: str) -> None:
    assert building_of(address) == building


def _outage(district: str, building: str = "", unit: str = "") -> Outage:
    at = datetime(2026, 11, 23, tzinfo=UTC)
    notice = Notice(
        instance_id=1,
        case_number="TS-1",
        kind="outage",
        service="heating",
        outage_type="fault",
        district=district,
        building=building,
        unit=unit,
        published_at=at,
    )
    return Outage("TS-1", notice, None, (notice,))


def test_an_outage_covers_the_addresses_of_its_district_building_and_unit_o1() -> None:
    address = "金明小区3号楼2单元501"
    assert covers(_outage("金明区"), address)
    assert covers(_outage("金明区", "3号楼"), address)
    assert covers(_outage("金明区", "3号楼", "2单元"), address)
    assert not covers(_outage("金明区", "3号楼", "1单元"), address)
    assert not covers(_outage("金明区", "4号楼"), address)
    assert not covers(_outage("幸福区"), address)
    assert not covers(_outage("金明区"), "")


def test_the_call_grouping_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_DUPLICATE_WINDOW_HOURS", "24")
    monkeypatch.setenv("HOTLINE_GROUP_ALERT_CALLS", "8")
    monkeypatch.setenv("HOTLINE_GROUP_ALERT_WINDOW_HOURS", "1.5")
    grouping = Settings.from_env(with_directory=False).call_grouping()
    assert grouping.duplicate_window == timedelta(hours=24)
    assert (grouping.alert_calls, grouping.alert_window) == (8, timedelta(hours=1.5))
