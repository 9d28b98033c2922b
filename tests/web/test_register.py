"""The customer register on the web (issue 17 item 5, M5, M6): an administrator imports the billing
system's file and sees what was added, updated, unchanged and rejected, fetches the rejected rows later,
and a file that cannot be read keeps the page and says why (never a 500); the import is an audit
event; the export is masked for the roles that see customers masked and, in full, recorded as a view of
every customer."""

from __future__ import annotations

import csv
import io

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from engine.db import Customer, CustomerImport, PersonalDataAccess
from engine.people import IMPORT_LIMIT_MB
from tests.web.support import Page, get, login, post

REGISTER = (
    "户号,姓名,电话,小区,楼号,单元,房号,供暖面积,表号,服务,备注\n"
    "W3001,欧阳明,13600001234,翠湖小区,2号楼,1单元,201,80,M-31,供暖,x\n"
    "W3002,司马兰,,翠湖小区,2号楼,1单元,202,80,M-32,供暖,\n"
    "W3003,诸葛亮,13600005678,翠湖小区,2号楼,1单元,203,,M-33,供水,\n"
)


def _import(client: FlaskClient, content: bytes, name: str = "billing.csv", follow: bool = False):  # noqa: ANN202
    token = get(client, "/register").csrf_token()
    return post(client, "/register/import", {"file": (io.BytesIO(content), name)}, token, follow=follow)


def _cells(page: Page, row_id: str) -> list[str]:
    return [" ".join(cell.text_content().split()) for cell in page.by_id(row_id).xpath("./td")]


def _accesses(sessions: sessionmaker[Session], view: str) -> int:
    with sessions() as session:
        return (
            session.scalar(
                select(func.count()).select_from(PersonalDataAccess).where(PersonalDataAccess.view == view)
            )
            or 0
        )


def test_an_administrator_imports_sees_the_counts_and_fetches_the_rejected_rows_later_m5(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "admin")
    page = _import(client, REGISTER.encode("utf-8"))
    assert page.status == 200, page.html[:2000]
    counts = [page.text(f"count-{what}") for what in ("added", "updated", "unchanged", "rejected")]
    assert counts == ["2", "0", "0", "1"]
    assert _cells(page, "rejected-3") == ["3", "W3002", "缺少电话"]

    with sessions() as session:
        kept = session.scalars(select(CustomerImport)).one()
    later = client.get(f"/register/imports/{kept.id}/rejected.csv")
    assert later.status_code == 200 and later.mimetype == "text/csv"
    rows = list(csv.reader(later.get_data(as_text=True).lstrip("\ufeff").splitlines()))
    assert rows[0][:4] == ["line", "reason", "account", "name"]
    assert rows[1] == [
        "3",
        "缺少电话",
        "W3002",
        "司马兰",
        "",
        "翠湖小区",
        "2号楼",
        "1单元",
        "202",
        "80",
        "M-32",
        "供暖",
    ]
    assert get(client, "/register").has(f"import-{kept.id}")

    again = _import(client, REGISTER.encode("utf-8"))
    assert [again.text(f"count-{w}") for w in ("added", "updated", "unchanged", "rejected")] == [
        "0",
        "0",
        "2",
        "1",
    ]

    audit = get(client, "/admin/audit?kind=customer_register")
    events = audit.doc.xpath("//tr[@data-action='import']")
    assert len(events) == 2 and "billing.csv" in events[0].text_content()
    assert "未导入: 1" in " ".join(events[0].text_content().split()).replace("：", ": ")


def test_the_result_page_and_the_rejected_rows_speak_english_too(client: FlaskClient) -> None:
    login(client, "admin")
    client.post("/lang/en", data={"csrf_token": get(client, "/tasks").csrf_token()})
    page = _import(client, REGISTER.encode("utf-8"))
    assert _cells(page, "rejected-3") == ["3", "W3002", "phone missing"]


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("billing.csv", b"", "文件为空"),
        ("billing.csv", "姓名,电话\n张三,13800000000\n".encode(), "表头中没有户号列"),
        ("billing.csv", bytes(range(256)) * 40, "不是 CSV 文本"),
        ("billing.xlsx", b"PK\x03\x04" + bytes(range(256)) * 40, "无法读取表格"),
        ("billing.xlsx", b"account,name\n", "不是 XLSX 表格"),
        ("billing.pdf", b"%PDF-1.4", "只能导入 .csv 和 .xlsx 文件"),
        # csv.Error (a field over the reader's 128 KB) was raised while the rows were imported: a 500.
        ("billing.csv", REGISTER.encode() + b"W3004," + b"x" * 200_000 + b"\n", "第 5 行无法按 CSV 读取"),
        ("billing.csv", b"account," + b"y" * 200_000 + b"\n", "第 1 行无法按 CSV 读取"),
    ],
)
def test_a_file_that_cannot_be_read_keeps_the_page_and_says_why(
    client: FlaskClient, sessions: sessionmaker[Session], name: str, content: bytes, says: str
) -> None:
    login(client, "admin")
    page = _import(client, content, name)
    assert page.status == 400
    assert says in page.text("import-error") and page.has("import-form")
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(CustomerImport)) == 0


def test_no_file_and_a_file_over_the_limit_keep_the_page(client: FlaskClient) -> None:
    login(client, "admin")
    token = get(client, "/register").csrf_token()
    none = post(client, "/register/import", {}, token)
    assert none.status == 400 and "请选择" in none.text("import-error")
    huge = b"account\n" + b"1\n" * ((IMPORT_LIMIT_MB + 1) * 1024 * 1024 // 2 + 10)
    # The body built here, not by the test client (whose spooled file the refused request never reads).
    body = (
        b'--B\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
        + token.encode()
        + b'\r\n--B\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
        + b"Content-Type: text/csv\r\n\r\n"
        + huge
        + b"\r\n--B--\r\n"
    )
    over = Page(client.post("/register/import", data=body, content_type="multipart/form-data; boundary=B"))
    assert over.status == 413 and f"{IMPORT_LIMIT_MB} MB" in over.text("import-error")
    assert over.has("import-form")


def test_only_administrators_import_and_handlers_do_not_open_the_register(client: FlaskClient) -> None:
    login(client, "supervisor")
    token = get(client, "/register").csrf_token()
    refused = post(client, "/register/import", {"file": (io.BytesIO(REGISTER.encode()), "r.csv")}, token)
    assert refused.status == 403 and not get(client, "/register").has("import-form")
    client.post("/logout", data={"csrf_token": token})
    login(client, "repair_handler")
    assert get(client, "/register").status == 403
    assert client.get("/register/export.csv").status_code == 403


def _imported(client: FlaskClient) -> None:
    login(client, "admin")
    assert _import(client, REGISTER.encode("utf-8")).status == 200
    client.post("/logout", data={"csrf_token": get(client, "/tasks").csrf_token()})


def test_an_operator_finds_a_customer_by_name_in_full_and_the_view_is_recorded_m6(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    _imported(client)
    login(client, "operator")
    page = get(client, "/register?q=欧阳明")
    assert _cells(page, "customer-W3001")[:4] == ["W3001", "欧阳明", "13600001234", "翠湖小区2号楼1单元201"]
    assert _accesses(sessions, "register_search") == 1


def test_a_department_head_sees_the_register_masked_and_searches_by_account_only_m6(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    _imported(client)
    login(client, "ops_head")
    assert get(client, "/register?q=欧阳明").has("no-customer")
    page = get(client, "/register?q=W300")
    assert _cells(page, "customer-W3001")[:3] == ["W3001", "欧**", "136****1234"]
    assert "13600001234" not in page.html and "欧阳明" not in page.html
    assert _accesses(sessions, "register_search") == 0


def test_the_export_is_masked_for_a_masked_role_and_in_full_recorded_for_every_customer_m6(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    _imported(client)
    login(client, "ops_head")
    masked = client.get("/register/export.csv")
    assert masked.status_code == 200
    text = masked.get_data(as_text=True)
    assert "136****1234" in text and "13600001234" not in text and "欧阳明" not in text
    assert _accesses(sessions, "register_export") == 0
    client.post("/logout", data={"csrf_token": get(client, "/tasks").csrf_token()})

    login(client, "supervisor")
    full = client.get("/register/export.xlsx")
    assert full.status_code == 200
    sheet = load_workbook(io.BytesIO(full.data), read_only=True).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][:3] == ["account", "name", "phone"]
    assert ["W3001", "欧阳明", "13600001234"] in [r[:3] for r in rows]
    with sessions() as session:
        customers = session.scalar(select(func.count()).select_from(Customer))
    assert _accesses(sessions, "register_export") == customers
    assert client.get("/register/export.pdf").status_code == 404
