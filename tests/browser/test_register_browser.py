"""The customer register in a browser (issue 17 item 5, M5): an administrator imports the billing
system's file with one bad row, sees what was added and rejected, downloads the rejected rows, and finds
an imported customer by name in the register."""

from __future__ import annotations

import csv
from pathlib import Path

from tests.browser.support import PHONE, Page, expect, shot, sign_in
from tests.browser.test_phone_lists_browser import check_cards

REGISTER = (
    "户号,姓名,电话,小区,楼号,单元,房号,供暖面积,表号,服务\n"
    "K5001,慕容秋,13500001111,金明小区,9号楼,2单元,601,95,M-51,供暖\n"
    "K5002,上官云,13500002222,金明小区,9号楼,2单元,602,abc,M-52,供暖\n"
    "K5003,东方白,13500003333,金明小区,9号楼,2单元,603,95,M-53,供水\n"
)


def test_an_administrator_imports_the_register_downloads_the_rejected_row_and_finds_a_customer(
    page: Page, tmp_path: Path
) -> None:
    source = tmp_path / "billing.csv"
    source.write_text(REGISTER, encoding="utf-8")
    sign_in(page, "admin")
    page.click("#nav-register")
    expect(page.locator("#register-import")).to_be_visible()
    page.set_input_files("#file", str(source))
    page.click("#import")
    expect(page.locator("#count-added")).to_have_text("2")
    expect(page.locator("#count-rejected")).to_have_text("1")
    expect(page.locator("#rejected-3")).to_contain_text("供暖面积不是数字")
    shot(page, "register-01-import-result")

    with page.expect_download() as download:
        page.click("#download-rejected")
    saved = tmp_path / "rejected.csv"
    download.value.save_as(saved)
    rows = list(csv.reader(saved.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[1][:4] == ["3", "供暖面积不是数字", "K5002", "上官云"]

    page.click("#back-to-register")
    page.fill("#q", "东方白")
    page.click("#search")
    expect(page.locator("#customer-K5003")).to_contain_text("13500003333")
    expect(page.locator("#customer-K5003")).to_contain_text("金明小区9号楼2单元603")
    expect(page.locator("#imports tr")).to_have_count(2)  # the header and the import
    shot(page, "register-02-customer-found")

    page.set_viewport_size(PHONE)
    page.reload()
    check_cards(page, "#customers", "register")
