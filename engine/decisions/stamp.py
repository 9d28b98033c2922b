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

from engine.db import DecisionDefinition

_STAMP_KEY = "hotline_decisions_stamp"
# The transaction that deployed a decision itself: what it reads is not committed, so it is not cached
# by a stamp another transaction could reach with other versions.
_DEPLOYED_KEY = "hotline_decision_deployed"


def decisions_stamp() -> ScalarSelect[int]:
    """SQL: a number that changes with every committed deploy of a decision."""
    return select(func.count()).select_from(DecisionDefinition).scalar_subquery()


def note_decisions_stamp(session: Session, stamp: int) -> None:
    """The stamp as this transaction read it, for the rest of the unit."""
    session.info[_STAMP_KEY] = (session.get_transaction(), stamp)


def noted_decisions_stamp(session: Session) -> int | None:
    """The stamp this transaction noted; None when it noted none or deployed a decision since."""
    transaction = session.get_transaction()
    noted = session.info.get(_STAMP_KEY)
    if noted is None or transaction is None or noted[0] is not transaction:
        return None
    if session.info.get(_DEPLOYED_KEY) is transaction:
        return None
    return int(noted[1])


def decision_deployed(session: Session) -> None:
    """This transaction deploys a decision: its reads of newest versions are its own from now on."""
    session.info[_DEPLOYED_KEY] = session.get_transaction()
