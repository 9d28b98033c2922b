"""Commands for the administrator: departments (`hotline departments …`), as on the reference data page.
A department's code is the candidate group of its handlers: diagrams name it, accounts hold it."""

from __future__ import annotations

import click
from sqlalchemy import select

from engine.db import Department
from engine.errors import NotFound
from engine.reference import add_department_form, department_uses, save_department_form
from engine.unit_of_work import UnitOfWork
from hotline.cli.accounts import administrative_change, by_option
from hotline.cli.services import command_services


@click.group("departments", help="Departments: list, add, rename, retire (refused while in use), restore.")
def departments() -> None:
    pass


@departments.command("list", help="Every department, with its open tasks and active categories.")
def list_cmd() -> None:
    with command_services().unit_of_work(read_only=True) as uow:
        for row in uow.session.scalars(select(Department).order_by(Department.sort_order, Department.code)):
            tasks, categories = department_uses(uow.session, row.code, uow.runtime.router)
            state = "active" if row.active else "retired"
            click.echo(
                f"{row.code:<20} {row.name:<10} {row.name_en:<20} {state:<8} "
                f"{len(tasks)} open task(s), {len(categories)} active categor(ies)"
            )


@departments.command("add", help="Add a department; its code becomes a group diagrams may name.")
@click.argument("code")
@click.option("--name", required=True, help="The name staff see (Chinese).")
@click.option("--name-en", default="", help="The English name.")
@by_option
def add(code: str, name: str, name_en: str, actor: str) -> None:
    with administrative_change() as uow:
        add_department_form(uow, actor, {"code": code, "name": name, "name_en": name_en})
    click.echo(f"added department {code}")


def _save(
    uow: UnitOfWork, actor: str, code: str, *, name: str | None, name_en: str | None, active: bool
) -> None:
    row = uow.session.get(Department, code)
    if row is None:
        raise NotFound(f"no department {code!r}")
    submitted = {
        "name": row.name if name is None else name,
        "name_en": row.name_en if name_en is None else name_en,
        "active": "on" if active else "",
    }
    save_department_form(uow, actor, code, submitted)


@departments.command("rename", help="Change a department's names (its code stays).")
@click.argument("code")
@click.option("--name", default=None)
@click.option("--name-en", default=None)
@by_option
def rename(code: str, name: str | None, name_en: str | None, actor: str) -> None:
    with administrative_change() as uow:
        active = (row := uow.session.get(Department, code)) is not None and row.active
        _save(uow, actor, code, name=name, name_en=name_en, active=active)
    click.echo(f"renamed department {code}")


@departments.command(
    "retire", help="Retire a department; refused while open tasks or active categories use it."
)
@click.argument("code")
@by_option
def retire(code: str, actor: str) -> None:
    with administrative_change() as uow:
        _save(uow, actor, code, name=None, name_en=None, active=False)
    click.echo(f"retired department {code}")


@departments.command("restore", help="Bring a retired department back.")
@click.argument("code")
@by_option
def restore(code: str, actor: str) -> None:
    with administrative_change() as uow:
        _save(uow, actor, code, name=None, name_en=None, active=True)
    click.echo(f"department {code} is active again")


COMMANDS = (departments,)
