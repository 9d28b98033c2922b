"""The process owners' list of procedures: each with its newest version, a draft saved since, and its
running cases per version. Procedures saved only as a draft (never deployed) are listed too."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases import latest_definition
from engine.db import ProcessDefinition, ProcessDraft
from engine.processes import latest_draft, running_cases_by_version
from webforms.diagram_names import process_label


@dataclass(frozen=True)
class Procedure:
    key: str
    latest: ProcessDefinition | None
    draft: ProcessDraft | None
    running: dict[int, int]

    @property
    def name(self) -> str:
        return process_label(self.latest) if self.latest else self.key

    @property
    def running_total(self) -> int:
        return sum(self.running.values())

    @property
    def running_by_version(self) -> list[tuple[int, int]]:
        """(version, cases), newest version first; versions without running cases are left out."""
        return sorted(((v, n) for v, n in self.running.items() if n), reverse=True)


def list_procedures(session: Session) -> list[Procedure]:
    keys = set(session.scalars(select(ProcessDefinition.key).distinct()))
    keys |= set(session.scalars(select(ProcessDraft.process_key).distinct()))
    procedures = []
    for key in sorted(keys):
        latest = latest_definition(session, key, required=False)
        procedures.append(
            Procedure(
                key,
                latest,
                latest_draft(session, key),
                running_cases_by_version(session, key) if latest else {},
            )
        )
    return procedures
