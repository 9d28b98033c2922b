"""An administrator puts a new department into service: adds the department, adds a handler to it with
an initial password; the handler signs in, is made to choose their own password first, and finds a case
of that department in their tasklist."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session, sessionmaker

from engine.runtime import Runtime
from tests.browser.support import Page, expect, shot, sign_in, sign_out
from tests.web.support import record_case

INITIAL = "Copper-kettle-Maple-9"
OWN = "violet tundra harbour 42"


def test_an_administrator_adds_a_handler_to_a_new_department_who_then_finds_its_case(
    page: Page, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    sign_in(page, "admin")
    page.click("#nav-admin")
    page.fill("#department-new input[name='code']", "heat_supply")
    page.fill("#department-new input[name='name']", "供热站")
    page.fill("#department-new input[name='name_en']", "Heat supply")
    page.click("#add-department")
    expect(page.locator(".flash.success")).to_contain_text("heat_supply")
    expect(page.locator("#department-heat_supply")).to_be_visible()

    page.click("#nav-accounts")
    page.click("#add-account")
    page.fill("#username", "sun_hao")
    page.fill("#display_name", "孙浩")
    page.fill("#phone", "13800007777")
    page.fill("#password", "sunhao123")  # too weak: refused, what was typed stays
    page.check("#department-heat_supply")
    page.click("#save-account")
    expect(page.locator("#err-password")).to_be_visible()
    expect(page.locator("#display_name")).to_have_value("孙浩")
    expect(page.locator("#department-heat_supply")).to_be_checked()
    page.fill("#password", INITIAL)
    page.click("#save-account")
    expect(page.locator("#account-sun_hao")).to_contain_text("供热站")
    expect(page.locator("#account-sun_hao")).to_contain_text("须修改密码")
    shot(page, "accounts-01-handler-added")
    sign_out(page)

    number, _case_id = record_case(sessions, runtime, department="heat_supply")

    page.goto("/login")
    page.fill("#username", "sun_hao")
    page.fill("#password", INITIAL)
    page.click("#sign-in")
    expect(page).to_have_url(re.compile(r"/account/password$"))
    expect(page.locator("#must-change")).to_be_visible()
    page.goto("/tasks")  # nothing else opens before the password is changed
    expect(page).to_have_url(re.compile(r"/account/password$"))
    shot(page, "accounts-02-must-change-password")
    page.fill("#current", INITIAL)
    page.fill("#new", OWN)
    page.fill("#repeated", OWN)
    page.click("#change-password")
    expect(page.locator(".flash.success")).to_contain_text("密码已修改")
    expect(page.locator("#tasklist")).to_contain_text(number)
    shot(page, "accounts-03-handler-tasklist")

    sign_out(page)
    page.fill("#username", "sun_hao")
    page.fill("#password", OWN)
    page.click("#sign-in")
    expect(page.locator("#tasklist")).to_contain_text(number)
