"""The customer register imported from the billing system (issue 17 item 5, M5): each row checked and a
rejected one named by line and reason, upsert by account, the same file twice changes nothing, XLSX as
CSV, an audit event per import, the export masked for a masked role."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db import AdminAudit, Customer
from engine.people import ImportRefused, export_customers, import_customers, read_rows

HEADER = "account,name,phone,other_phones,district,building,unit,room,heated_area,meter_no,service\n"
ROWS = [
    "A1001,王建国,138 0000 1111,13900002222,金明小区,3号楼,2单元,501,88.5,M-1,供暖",
    "A1002,李芳,13800003333,,金明小区,3号楼,2单元,502,,M-2,water",
    "A1003,赵强,010-62345678,,翠湖小区,1号楼,1单元,101,120,,heating",
    "A1004,钱多,,,翠湖小区,1号楼,1单元,102,90,,供暖",  # line 5: no phone
    "A1005,孙红,13800004444,,翠湖小区,1号楼,1单元,103,90,,gas",  # line 6: no such service
    "A1001,王建国,13800001111,,金明小区,3号楼,2单元,501,88.5,M-1,供暖",  # line 7: account again
    "A1006,周平,13800005555,,翠湖小区,1号楼,1单元,104,ninety,,供暖",  # line 8: area not a number
    "bad account!,吴,13800006666,,,,,,,,供暖",  # line 9
]


def _file(tmp_path: Path, rows: list[str], name: str = "register.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8-sig")
    return path


def _register(session: Session) -> dict[str, tuple[object, ...]]:
    return {
        c.account_no: (
            c.name,
            c.phone,
            c.other_phones,
            c.district,
            c.room,
            c.heated_area,
            c.meter_no,
            c.service,
        )
        for c in session.scalars(select(Customer))
    }


def _import(sessions: sessionmaker[Session], clock: SettableClock, path: Path):  # noqa: ANN202
    with sessions.begin() as session:
        return import_customers(session, clock, "admin", read_rows(path), path.name)


def test_rows_are_checked_upserted_and_a_second_import_changes_nothing(
    sessions: sessionmaker[Session], clock: SettableClock, tmp_path: Path
) -> None:
    path = _file(tmp_path, ROWS)
    first = _import(sessions, clock, path)
    assert (first.added, first.updated, first.unchanged) == (3, 0, 0)
    assert [(r.line, r.account, r.reason) for r in first.rejected] == [
        (5, "A1004", "phone missing"),
        (6, "A1005", "service must be heating or water (供暖 / 供水)"),
        (7, "A1001", "account already given on an earlier line"),
        (8, "A1006", "heated area not a number"),
        (9, "bad account!", "account missing or not letters, digits and dashes (at most 30)"),
    ]
    with sessions() as session:
        register = _register(session)
    assert register["A1001"] == (
        "王建国",
        "13800001111",
        "13900002222",
        "金明小区",
        "501",
        88.5,
        "M-1",
        "heating",
    )
    assert register["A1003"][1] == "01062345678"

    again = _import(sessions, clock, path)
    assert (again.added, again.updated, again.unchanged, len(again.rejected)) == (0, 0, 3, 5)
    with sessions() as session:
        assert _register(session) == register, "the same file twice changes nothing"

    changed = _file(
        tmp_path,
        [ROWS[0].replace("13800001111", "13811112222").replace("138 0000 1111", "13811112222"), ROWS[1]],
    )
    third = _import(sessions, clock, changed)
    assert (third.added, third.updated, third.unchanged) == (0, 1, 1)
    with sessions() as session:
        assert _register(session)["A1001"][1] == "13811112222"
        audits = session.scalars(
            select(AdminAudit).where(AdminAudit.subject_kind == "customer_register").order_by(AdminAudit.id)
        ).all()
    assert [(a.actor, a.action, a.subject, a.changes) for a in audits] == [
        ("admin", "import", "register.csv", {"added": 3, "updated": 0, "unchanged": 0, "rejected": 5}),
        ("admin", "import", "register.csv", {"added": 0, "updated": 0, "unchanged": 3, "rejected": 5}),
        ("admin", "import", "register.csv", {"added": 0, "updated": 1, "unchanged": 1, "rejected": 0}),
    ]


def test_an_xlsx_with_chinese_headers_imports_like_a_csv(
    sessions: sessionmaker[Session], clock: SettableClock, tmp_path: Path
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["户号", "姓名", "电话", "小区", "楼号", "单元", "房号", "供暖面积", "服务", "备注"])
    sheet.append([20001, "郑敏", 13800007777, "金明小区", "5号楼", "1单元", "301", 75, "供暖", "ignored"])
    sheet.append([20002, "冯涛", "", "金明小区", "5号楼", "1单元", "302", 75, "供暖", ""])
    path = tmp_path / "register.xlsx"
    book.save(path)
    result = _import(sessions, clock, path)
    assert (result.added, [(r.line, r.reason) for r in result.rejected]) == (1, [(3, "phone missing")])
    with sessions() as session:
        assert _register(session)["20001"] == (
            "郑敏",
            "13800007777",
            "",
            "金明小区",
            "301",
            75.0,
            "",
            "heating",
        )


def test_a_file_without_an_account_column_is_refused_whole(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("name,phone\n张三,13800000000\n", encoding="utf-8")
    with pytest.raises(ImportRefused, match="account"):
        list(read_rows(path))
    with pytest.raises(ImportRefused, match="csv and .xlsx"):
        list(read_rows(tmp_path / "x.pdf"))


def test_the_export_is_masked_for_a_masked_role(
    sessions: sessionmaker[Session], clock: SettableClock, tmp_path: Path
) -> None:
    _import(sessions, clock, _file(tmp_path, ROWS[:2]))
    with sessions() as session:
        full = list(export_customers(session, masked=False))
        masked = list(export_customers(session, masked=True))
    assert full[0] == masked[0] and full[0][:3] == ["account", "name", "phone"]
    assert full[1][:4] == ["A1001", "王建国", "13800001111", "13900002222"]
    assert masked[1][:4] == ["A1001", "王**", "138****1111", "139****2222"]
    assert "13800001111" not in str(masked) and "建国" not in str(masked)


def test_the_no_sms_flag_and_message_language_come_from_their_columns_and_are_audited_o1(
    sessions: sessionmaker[Session], clock: SettableClock, tmp_path: Path
) -> None:
    """O1/O2: a file with 不发短信 / 消息语言 sets how each customer is told; a file without those columns
    leaves the choices as they are; each change of a choice is an audit event of its own."""
    header = "户号,姓名,电话,服务,不发短信,消息语言\n"
    first = tmp_path / "choices.csv"
    first.write_text(
        header
        + "A2001,王五,13800007777,供暖,是,英文\nA2002,赵六,13800008888,供暖,,\nA2003,钱七,13800009999,供暖,也许,\n",
        encoding="utf-8",
    )
    result = _import(sessions, clock, first)
    assert (result.added, [(r.line, r.reason) for r in result.rejected]) == (
        2,
        [(4, "no_sms must be yes or no (是 / 否)")],
    )
    plain = _file(tmp_path, ["A2001,王五,13800007777,,,,,,,,供暖"], "plain.csv")
    assert _import(sessions, clock, plain).unchanged == 1
    with sessions() as session:
        choices = {c.account_no: (c.no_sms, c.language) for c in session.scalars(select(Customer))}
    assert choices == {"A2001": (True, "en"), "A2002": (False, "zh_CN")}

    second = tmp_path / "choices2.csv"
    second.write_text(header + "A2001,王五,13800007777,供暖,否,中文\n", encoding="utf-8")
    assert _import(sessions, clock, second).updated == 1
    with sessions() as session:
        customer = session.scalars(select(Customer).where(Customer.account_no == "A2001")).one()
        assert (customer.no_sms, customer.language) == (False, "zh_CN")
        audit = session.scalars(select(AdminAudit).where(AdminAudit.subject_kind == "customer")).all()
    assert [(a.action, a.subject, a.changes) for a in audit] == [
        ("customer_messages_changed", "A2001", {"no_sms": [True, False], "language": ["en", "zh_CN"]})
    ]
