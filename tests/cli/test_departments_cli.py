"""`hotline departments …`: the administrator adds, renames, retires (refused while in use, naming what
uses it) and restores departments from the command line, each change an audit event."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.db import AdminAudit, Department

# The commands open their own database engine: they see only what is really committed.
pytestmark = pytest.mark.real_commits


def test_departments_are_added_renamed_retired_and_restored(cli, sessions: sessionmaker[Session]) -> None:
    assert cli("init-db").exit_code == 0
    added = cli(
        "departments", "add", "heat_supply", "--name", "供热站", "--name-en", "Heat supply", "--by", "root"
    )
    assert added.exit_code == 0, added.output
    assert (
        cli("departments", "add", "operator", "--name", "x").exit_code == 1
    )  # a role's name is no department
    assert cli("departments", "rename", "heat_supply", "--name", "供热所").exit_code == 0
    assert cli("departments", "retire", "heat_supply").exit_code == 0
    listed = cli("departments", "list")
    assert "heat_supply" in listed.output and "retired" in listed.output
    assert cli("departments", "restore", "heat_supply").exit_code == 0
    with sessions() as session:
        row = session.get(Department, "heat_supply")
        assert row is not None and (row.name, row.active) == ("供热所", True)
        actions = list(
            session.scalars(
                select(AdminAudit.action).where(AdminAudit.subject == "heat_supply").order_by(AdminAudit.id)
            )
        )
    assert actions == ["department_added", "department_changed", "department_retired", "department_restored"]
    assert cli("departments", "retire", "nowhere").exit_code == 1


def test_retiring_a_department_that_categories_route_to_is_refused_naming_them(
    cli, sessions: sessionmaker[Session]
) -> None:
    assert cli("init-db").exit_code == 0
    refused = cli("departments", "retire", "billing")
    assert refused.exit_code == 1
    assert "Still in use" in refused.output and "收费 (billing)" in refused.output
    assert "nothing was changed" in refused.output
    with sessions() as session:
        assert session.get(Department, "billing").active  # type: ignore[union-attr]
