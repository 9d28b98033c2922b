"""Whether a decision was deployed, without asking for its newest version: the number of stored versions.

Deploying a decision adds a version (engine.decisions.store.deploy_decision); nothing changes or removes
one, so the count changes with every committed deploy, in whichever process it was made. A unit of work
reads it with a statement it sends anyway (the case's lock, engine.cases.store; the newest definition as
a case opens) and notes it on its session; a business rule task then asks for its decision's newest
version only when this process has not asked at that stamp (engine.decisions.store).
"""

from __future__ import annotations

from sqlalchemy import ScalarSelect, func, select
from sqlalchemy.orm import Session

from engine.db import DecisionDefinition, note_for_transaction, noted_in_transaction

_STAMP_KEY = "hotline_decisions_stamp"
# The transaction that deployed a decision itself: what it reads is not committed, so it is not cached
# by a stamp another transaction could reach with other versions.
_DEPLOYED_KEY = "hotline_decision_deployed"


def decisions_stamp() -> ScalarSelect[int]:
    """SQL: a number that changes with every committed deploy of a decision."""
    return select(func.count()).select_from(DecisionDefinition).scalar_subquery()


def note_decisions_stamp(session: Session, stamp: int) -> None:
    """The stamp as this transaction read it, for the rest of the unit."""
    note_for_transaction(session, _STAMP_KEY, stamp)


def noted_decisions_stamp(session: Session) -> int | None:
    """The stamp this transaction noted; None when it noted none or deployed a decision since."""
    noted = noted_in_transaction(session, _STAMP_KEY)
    if noted is None or session.info.get(_DEPLOYED_KEY) is session.get_transaction():
        return None
    return int(noted)


def decision_deployed(session: Session) -> None:
    """This transaction deploys a decision: its reads of newest versions are its own from now on."""
    session.info[_DEPLOYED_KEY] = session.get_transaction()
