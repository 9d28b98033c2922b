"""A complaint can never be deleted, only closed with a reason (C7): the app has no route that
deletes or removes a case, whoever asks, and every attempt leaves the case as it was."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from engine.runtime import Runtime
from tests.web.support import get, login, record_case, snapshot

# An address the reports are mailed to is configuration, not a record of the hotline's work; taking it
# off the list is an audited administrative change.
# So is a webhook subscription (issue 19): removed (soft), its deliveries kept on record.
CONFIGURATION_REMOVALS = {
    "/admin/report-recipients/<int:recipient_id>/remove",
    "/admin/api-clients/<name>/webhooks/<int:subscription_id>/remove",
    "/api/v1/webhooks/<int(min=1, max=2147483647):subscription_id>/remove",
}


def test_no_route_can_delete_anything(app: Flask) -> None:
    """C7: checked on the route table itself, so a later view cannot add a delete unnoticed."""
    for rule in app.url_map.iter_rules():
        methods = rule.methods or set()
        assert not methods & {"DELETE", "PUT", "PATCH"}, f"{rule.rule} allows {sorted(methods)}"
        assert rule.rule in CONFIGURATION_REMOVALS or not any(
            word in rule.rule.lower() or word in rule.endpoint.lower()
            for word in ("delete", "remove", "destroy", "purge")
        ), rule.rule
    posts = sorted(rule.rule for rule in app.url_map.iter_rules() if "POST" in (rule.methods or set()))
    assert posts == sorted(
        [
            "/account/messages",
            "/account/password",
            "/admin/api-clients",
            "/admin/api-clients/<name>/revoke",
            "/admin/api-clients/<name>/webhooks",
            "/admin/api-clients/<name>/webhooks/<int:subscription_id>/pause",
            "/admin/api-clients/<name>/webhooks/<int:subscription_id>/remove",
            "/admin/api-clients/<name>/webhooks/<int:subscription_id>/resume",
            "/admin/messages/<kind>/<language>",
            "/admin/platform-endpoints/<code>",
            "/admin/reference/category",
            "/admin/reference/department",
            "/admin/reference/department/<code>",
            "/admin/reference/source",
            "/admin/reference/source/<code>",
            "/admin/report-recipients",
            "/admin/report-recipients/<int:recipient_id>/remove",
            "/admin/users/<username>",
            "/admin/users/<username>/active",
            "/admin/users/<username>/password",
            "/admin/users/new",
            "/api/v1/cases",
            "/api/v1/external-tasks/<int(min=1, max=2147483647):task_id>/complete",
            "/api/v1/external-tasks/<int(min=1, max=2147483647):task_id>/extend-lock",
            "/api/v1/external-tasks/<int(min=1, max=2147483647):task_id>/failure",
            "/api/v1/external-tasks/<int(min=1, max=2147483647):task_id>/unlock",
            "/api/v1/external-tasks/fetch-and-lock",
            "/api/v1/messages",
            "/api/v1/signals",
            "/api/v1/tasks/<int(min=1, max=2147483647):task_id>/claim",
            "/api/v1/tasks/<int(min=1, max=2147483647):task_id>/complete",
            "/api/v1/tasks/<int(min=1, max=2147483647):task_id>/release",
            "/api/v1/webhooks",
            "/api/v1/webhooks/<int(min=1, max=2147483647):subscription_id>/pause",
            "/api/v1/webhooks/<int(min=1, max=2147483647):subscription_id>/remove",
            "/api/v1/webhooks/<int(min=1, max=2147483647):subscription_id>/resume",
            "/assessment/weights",
            "/cases/<case_number>/link",
            "/cases/<case_number>/merge",
            "/cases/<case_number>/notes",
            "/cases/<case_number>/outage-calls",
            "/cases/new/<process_key>",
            "/cases/new/<process_key>/switch",
            "/customers/messages",
            "/decisions/<key>/check",
            "/decisions/<key>/deploy",
            "/decisions/<key>/save",
            "/field/<int:task_id>/now",
            "/handover/records/<int:record_id>/acknowledge",
            "/handover/records/<int:record_id>/hand-over",
            "/hotspots/maintenance",
            "/incidents/<int:timer_id>/retry",
            "/incidents/calls/<int:link_id>/retry",
            "/incidents/external/<int:task_id>/retry",
            "/incidents/messages/<int:message_id>/retry",
            "/knowledge/<int:entry_id>/edit",
            "/knowledge/<int:entry_id>/review",
            "/knowledge/new",
            "/lang/<code>",
            "/login",
            "/logout",
            "/modeler/deploy",
            "/modeler/open",
            "/modeler/save",
            "/modeler/upload",
            "/modeler/validate",
            "/notifications/<int:notification_id>/read",
            "/notifications/read-all",
            "/outbox/receipts/<any(generic, tencent):provider>",
            "/processes/<key>/migrate",
            "/processes/<key>/versions/<int:version>/rollback",
            "/processes/<key>/versions/deploy-draft",
            "/register/import",
            "/reports/<int:report_id>/notable",
            "/tasks/<int:task_id>",
            "/tasks/<int:task_id>/attachments",
            "/tasks/<int:task_id>/claim",
            "/tasks/<int:task_id>/draft",
            "/tasks/<int:task_id>/pause",
            "/tasks/<int:task_id>/reassign",
            "/tasks/<int:task_id>/release",
            "/tasks/<int:task_id>/resume",
            "/track",
        ]
    )


@pytest.mark.parametrize("username", ["operator", "supervisor", "admin"])
def test_delete_requests_fail_and_the_case_remains(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, username: str
) -> None:
    """C7: neither the operator who recorded it, nor the supervisor, nor the administrator can delete it."""
    number, case_id = record_case(sessions, runtime)
    before = snapshot(sessions, case_id)
    login(client, username)
    token = get(client, "/tasks").csrf_token()
    with_token = {"csrf_token": token}
    case_url = f"/cases/{number}"

    attempts = {
        ("DELETE", case_url): 405,
        ("POST", case_url): 405,
        ("PUT", case_url): 405,
        ("GET", f"{case_url}/delete"): 404,
        ("POST", f"{case_url}/delete"): 404,
        ("DELETE", f"{case_url}/delete"): 404,
        ("POST", f"{case_url}/close"): 404,
        ("DELETE", "/cases"): 405,
    }
    for (method, url), status in attempts.items():
        response = client.open(url, method=method, data=with_token)
        assert response.status_code == status, f"{method} {url}"

    assert snapshot(sessions, case_id) == before
    page = get(client, case_url)
    assert page.status == 200 and page.text("case-number") == number
