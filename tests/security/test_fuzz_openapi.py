"""Schemathesis against /api/v1/openapi.json: valid and invalid requests to every documented
operation get no 5xx and no response outside the document (status, content type, body, headers).

Driven from hypothesis directly: schemathesis's pytest plugin does not run under pytest 9.
"""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from consent_service.extensions import db

CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
EXAMPLES = 40


@pytest.fixture
def app_config():
    return {"RATELIMIT_CONSENT": "100000 per minute", "RATELIMIT_SIGN_IN": "100000 per minute"}


def operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_answers_within_its_document(app, mode):
    found = operations(app)
    assert {op.label for op in found} >= {"POST /api/v1/consents", "GET /api/v1/consent-state"}
    tested = set()
    for operation in found:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def answers_within_document(case):
            case.call_and_validate(checks=CHECKS)

        try:
            answers_within_document()
        except Unsatisfiable:
            # Nothing to make invalid: no parameters and no body.
            assert mode is GenerationMode.NEGATIVE and not (operation.body or operation.query or operation.headers)
            continue
        tested.add(operation.label)
    assert {"POST /api/v1/consents", "POST /api/v1/consent-state/verify"} <= tested
    with app.app_context():
        db.session.remove()
