"""DMN decision tables: read and checked at deploy, versioned, evaluated by business rule tasks.

The package's public face: other packages import from here, not from its modules."""

from __future__ import annotations

from engine.decisions.feel import FeelUnsupported
from engine.decisions.routing import ROUTING, Route, route, route_pair, routes
from engine.decisions.stamp import decisions_stamp, note_decisions_stamp
from engine.decisions.store import (
    DecisionDeployed,
    decision_evaluator,
    decision_keys,
    decision_problems,
    decision_version,
    decision_versions,
    deploy_decision,
    forget_latest_hashes,
    latest_decision,
    latest_decision_draft,
    table_of,
)
from engine.decisions.tables import (
    HIT_POLICIES,
    DecisionFailed,
    DecisionInvalid,
    DecisionProblem,
    DecisionTable,
    evaluate,
    parse_decision,
)
from engine.decisions.use_cases import deploy_decision_table, save_decision_table_draft

__all__ = [
    "ROUTING",
    "Route",
    "route",
    "route_pair",
    "routes",
    "HIT_POLICIES",
    "DecisionDeployed",
    "DecisionFailed",
    "DecisionInvalid",
    "DecisionProblem",
    "DecisionTable",
    "FeelUnsupported",
    "decision_evaluator",
    "decisions_stamp",
    "forget_latest_hashes",
    "note_decisions_stamp",
    "decision_keys",
    "decision_version",
    "decision_versions",
    "deploy_decision",
    "deploy_decision_table",
    "save_decision_table_draft",
    "decision_problems",
    "latest_decision_draft",
    "evaluate",
    "latest_decision",
    "parse_decision",
    "table_of",
]
