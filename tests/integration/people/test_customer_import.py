"""The customer register imported from the billing system (issue 17 item 5, M5): each row checked and a
rejected one named by line and reason, upsert by account, the same file twice changes nothing, XLSX as
CSV, an audit event per import, the export masked for a masked role."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import event, select
from sqlalchemy.engine import Engine as SqlEngine
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db import AdminAudit, Customer, CustomerImport
from engine.people import (
    IMPORT_LIMIT_MB,
    ImportRefused,
    export_customers,
    import_customers,
    read_rows,
    rejected_of,
    rejected_rows_csv,
)
from engine.people.customer_files import rows_of

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


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("r.csv", b"", "import_empty"),
        ("r.csv", b" \r\n", "import_empty"),
        ("r.csv", b"name,phone\n\xe5\xbc\xa0,1\n", "import_no_account"),
        ("r.csv", b"\x00\x01\x02binary junk\xff\xfe", "import_not_text"),
        ("r.xlsx", b"account,name\n", "import_not_xlsx"),
        ("r.xlsx", b"PK\x03\x04 not really a zip", "import_damaged"),
        ("r.ods", b"account\n", "import_wrong_kind"),
        ("r.csv", b"account\n" + b"x" * (IMPORT_LIMIT_MB * 1024 * 1024), "import_too_large"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole_with_its_reason(
    name: str, content: bytes, code: str
) -> None:
    with pytest.raises(ImportRefused) as refused:
        rows_of(name, content)
    assert refused.value.code == code
    assert refused.value.say() != code, "each refusal has a sentence"


def test_a_gb18030_csv_from_a_chinese_spreadsheet_program_is_read() -> None:
    content = "户号,姓名,电话,服务\nG1,郑敏,13800007777,供暖\n".encode("gb18030")
    assert list(rows_of("register.csv", content)) == [
        (2, {"account": "G1", "name": "郑敏", "phone": "13800007777", "service": "供暖"})
    ]


def test_the_rejected_rows_are_kept_with_their_values_and_said_in_the_reader_s_language(
    sessions: sessionmaker[Session], clock: SettableClock, tmp_path: Path
) -> None:
    result = _import(sessions, clock, _file(tmp_path, ROWS))
    with sessions() as session:
        kept = session.get(CustomerImport, result.import_id)
        assert kept is not None
        assert (kept.actor, kept.source, kept.added, kept.rejected_count) == ("admin", "register.csv", 3, 5)
        rejected = rejected_of(kept)
    assert rejected == result.rejected
    lines = rejected_rows_csv(
        rejected, lambda text: {"phone missing": "缺少电话"}.get(text, text)
    ).splitlines()
    assert (
        lines[0]
        == "line,reason,account,name,phone,other_phones,district,building,unit,room,heated_area,meter_no,service"
    )
    assert lines[1] == "5,缺少电话,A1004,钱多,,,翠湖小区,1号楼,1单元,102,90,,供暖"


def test_the_import_is_set_based_its_statements_do_not_grow_with_the_rows(
    sessions: sessionmaker[Session], clock: SettableClock, tmp_path: Path, db_engine: SqlEngine
) -> None:
    """Checked rows go to a staging table a batch at a time and one statement writes them; an unchanged
    row is not written (the second import updates nothing)."""
    rows = [f"S{n:05d},客户{n},138{n:08d},,小区,1号楼,1单元,{n},,,供暖" for n in range(2500)]
    path = _file(tmp_path, rows)
    seen: list[str] = []

    def remember(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        seen.append(statement)

    event.listen(db_engine, "before_cursor_execute", remember)
    try:
        first = _import(sessions, clock, path)
        first_statements = len(seen)
        seen.clear()
        again = _import(sessions, clock, path)
    finally:
        event.remove(db_engine, "before_cursor_execute", remember)
    assert (first.added, again.unchanged, again.updated) == (2500, 2500, 0)
    assert first_statements < 30 and len(seen) < 30, seen


def test_the_no_sms_and_language_columns_are_read_in_either_language_and_checked_per_row(
    sessions: sessionmaker[Session], clock: SettableClock, tmp_path: Path
) -> None:
    """The "no SMS" and language columns (English or Chinese headers) set how each customer is told; an
    empty cell, or a file without the column, leaves what the register has; a bad value rejects the row
    with its line and reason, like the other columns."""
    header = "户号,姓名,电话,服务,不发短信,语言\n"
    rows = [
        "B1,甲,13800000001,供暖,是,English",
        "B2,乙,13800000002,供暖,否,中文",
        "B3,丙,13800000003,供暖,,",
        "B4,丁,13800000004,供暖,maybe,en",  # line 5: no SMS not yes or no
        "B5,戊,13800000005,供暖,no,klingon",  # line 6: no such language
    ]
    path = tmp_path / "prefs.csv"
    path.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    first = _import(sessions, clock, path)
    assert (first.added, first.updated, first.unchanged) == (3, 0, 0)
    assert [(r.line, r.account, r.why) for r in first.rejected] == [
        (5, "B4", "no_sms"),
        (6, "B5", "language"),
    ]
    assert first.rejected[1].reason.startswith("language must be zh_CN or en")

    def preferences() -> dict[str, tuple[bool, str]]:
        with sessions() as session:
            return {c.account_no: (c.no_sms, c.language) for c in session.scalars(select(Customer))}

    assert preferences() == {"B1": (True, "en"), "B2": (False, "zh_CN"), "B3": (False, "zh_CN")}
    # the page's own choice for B3, then a file without the columns and one with empty cells keep it
    with sessions.begin() as session:
        b3 = session.scalars(select(Customer).where(Customer.account_no == "B3")).one()
        b3.no_sms, b3.language = True, "en"
    plain = tmp_path / "plain.csv"
    plain.write_text("account,name,phone,service\nB3,丙,13800000003,heating\n", encoding="utf-8")
    again = _import(sessions, clock, plain)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 1)
    assert preferences()["B3"] == (True, "en")
    english = tmp_path / "english.csv"
    english.write_text(
        "account,name,phone,service,no_sms,language\nB1,甲,13800000001,heating,no,\nB3,丙,13800000003,heating,,\n",
        encoding="utf-8",
    )
    changed = _import(sessions, clock, english)
    assert (changed.added, changed.updated, changed.unchanged) == (0, 1, 1)
    assert preferences() == {"B1": (False, "en"), "B2": (False, "zh_CN"), "B3": (True, "en")}
