"""`hotline api-clients add|list|revoke`: the token printed once and kept only hashed, refusals said
field by field, a revoked client's token refused; each change in the administrative audit."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db import AdminAudit, ApiClient
from engine.people import client_for_token

pytestmark = pytest.mark.real_commits


def test_a_client_is_added_listed_and_revoked_from_the_command_line(
    cli, sessions: sessionmaker[Session], clock: SettableClock, reference_data: None
) -> None:
    added = cli(
        "api-clients", "add", "phone-system", "--role", "operator", "--scope", "cases:create",
        "--scope", "cases:read", "--department", "operations", "--days", "90", "--by", "root",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    token = added.output.strip().splitlines()[-1]
    assert token.startswith("hfl_") and len(token) > 40
    with sessions() as session:
        client = session.scalars(select(ApiClient)).one()
        assert token not in (client.token_hash, client.scopes) and client.token_prefix == token[:10]
        assert client.scope_set == {"cases:create", "cases:read"}
        assert client_for_token(session, token, clock.now()) is not None
    listed = cli("api-clients", "list")
    assert "phone-system" in listed.output and "active" in listed.output and token not in listed.output
    refused = cli("api-clients", "add", "phone-system", "--role", "nobody")
    assert refused.exit_code == 1 and "name:" in refused.output and "role:" in refused.output
    assert "nothing was changed" in refused.output
    assert cli("api-clients", "revoke", "phone-system", "--by", "root").exit_code == 0
    assert "revoked" in cli("api-clients", "list").output
    with sessions() as session:
        assert client_for_token(session, token, clock.now()) is None
        audit = [
            (a.actor, a.action)
            for a in session.scalars(
                select(AdminAudit).where(AdminAudit.subject_kind == "api_client").order_by(AdminAudit.id)
            )
        ]
    assert audit == [("root", "api_client_added"), ("root", "api_client_revoked")]
