"""Every endpoint conforms to the served OpenAPI document: schemathesis generates requests from
/api/v1/openapi.json (valid ones and ones the document refuses) and checks that none answers 500 and
that each answer, problems included, matches the document (status, content type, body, headers).
Bounded in time: 25 examples per endpoint, no shrinking, a few seconds each.

Left out: "a request the document allows is accepted". A procedure's key and a form's values are
checked against the deployed diagrams, which a document made from the code cannot list; such a
request answers 422 with the fields, which the document says."""

from __future__ import annotations

from collections.abc import Callable

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.helpers import intake_form
from tests.web.api.support import Api

EXAMPLES_PER_ENDPOINT = 25


def test_every_endpoint_answers_as_the_served_document_says(
    app: Flask, api_as: Callable[..., Api], every_procedure: None
) -> None:
    api = api_as("operator", "operations")
    assert api.post("/cases", {"procedure": "complaint", "values": intake_form()}).status_code == 201
    auth = {"Authorization": f"Bearer {api.token}"}
    document = app.test_client().get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.") and document["info"]["version"]
    assert document["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    problem = document["components"]["responses"]["DEFAULT_ERROR"]["content"]
    assert list(problem) == ["application/problem+json"]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} >= {
        "GET /api/v1/procedures",
        "GET /api/v1/procedures/{procedure}/start-form",
        "POST /api/v1/cases",
        "GET /api/v1/cases",
        "GET /api/v1/cases/{number}",
        "GET /api/v1/tasks",
        "GET /api/v1/tasks/{task_id}",
        "POST /api/v1/tasks/{task_id}/claim",
        "POST /api/v1/tasks/{task_id}/release",
        "POST /api/v1/tasks/{task_id}/complete",
        "GET /api/v1/notices",
        "GET /api/v1/customers",
        "POST /api/v1/webhooks",
        "POST /api/v1/webhooks/{subscription_id}/pause",
        "GET /api/v1/webhooks/{subscription_id}/deliveries",
    }
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_ENDPOINT,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def conforms(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=auth, excluded_checks=[positive_data_acceptance])

        conforms()
