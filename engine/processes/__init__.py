"""Process owners: deployment, versions, diff, migration, traceability.

The package's public face: other packages import from here, not from its modules."""

from __future__ import annotations

from engine.processes.deployed_roles import DeployedRoles, deployed_roles, intake_kinds, of_elements
from engine.processes.deployment import deploy
from engine.processes.english_names import stale_english_names
from engine.processes.migration import CasePlan, apply_migration, plan_migration
from engine.processes.rules import RULE_LIST
from engine.processes.traceability import as_markdown, as_text, trace, untraced
from engine.processes.use_cases import (
    deploy_diagram,
    deploy_latest_draft,
    migrate_cases,
    roll_back_to,
    save_diagram_draft,
)
from engine.processes.validation import (
    MAX_ID_LENGTH,
    MESSAGES,
    WARNING_MESSAGES,
    DiagramProblem,
    DiagramWarning,
    InvalidDiagram,
    callees_first,
    diagram_key,
    diagram_warnings,
    validate_diagram,
)
from engine.processes.versions import (
    VersionDiff,
    deploy_checked,
    diff_versions,
    edited_version_over,
    get_version,
    latest_draft,
    list_audit,
    list_versions,
    redeploy,
    running_cases_by_version,
)

__all__ = [
    "MAX_ID_LENGTH",
    "CasePlan",
    "DeployedRoles",
    "DiagramProblem",
    "DiagramWarning",
    "InvalidDiagram",
    "MESSAGES",
    "WARNING_MESSAGES",
    "RULE_LIST",
    "VersionDiff",
    "apply_migration",
    "as_markdown",
    "as_text",
    "deploy",
    "deploy_checked",
    "deploy_diagram",
    "deploy_latest_draft",
    "deployed_roles",
    "callees_first",
    "diagram_key",
    "diff_versions",
    "edited_version_over",
    "get_version",
    "intake_kinds",
    "latest_draft",
    "list_audit",
    "list_versions",
    "migrate_cases",
    "of_elements",
    "plan_migration",
    "redeploy",
    "roll_back_to",
    "running_cases_by_version",
    "save_diagram_draft",
    "trace",
    "untraced",
    "validate_diagram",
    "diagram_warnings",
    "stale_english_names",
]
