"""Property-based fuzzing of the API from its own OpenAPI document (schemathesis +
hypothesis): requests that follow the document and requests that break it, to every
operation, bounded so CI stays fast. Whatever comes in, the answer is never a 5xx,
never slow, and always what the document promises (status codes, content types,
response bodies)."""

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (content_type_conformance, negative_data_rejection, not_a_server_error,
                                 response_schema_conformance, status_code_conformance)

pytestmark = pytest.mark.slow

EXAMPLES = 60  # per operation and mode: about 20 s in all
# Not "schema-valid data is accepted": business rules the document cannot express (at
# least one customer identifier, a phone number that exists) rightly answer 422.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]


def operations(app):  # type: ignore[no-untyped-def]
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app.asgi)
    found = [result.ok() for result in schema.get_all_operations()]
    assert {f"{op.method.upper()} {op.path}" for op in found} >= {
        "POST /api/v1/messages", "GET /api/v1/conversations/{conversation_id}", "GET /api/v1/conversations"}
    return found


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_survives_anything_its_document_allows_and_more(app, token, mode):
    headers = {"Authorization": f"Bearer {token}"}
    for operation in operations(app):
        if mode == GenerationMode.NEGATIVE and not (operation.body or operation.path_parameters
                                                     or operation.query):
            continue  # nothing in the request that could be wrong
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):  # type: ignore[no-untyped-def]
            if case.path == "/api/v1/events" and isinstance(case.query, dict):
                case.query["wait"] = 0  # a long poll holds the line on purpose; its waiting is tested elsewhere
            started = time.monotonic()
            response = case.call(headers={**headers, **(case.headers or {})})
            label = f"{case.method} {case.formatted_path}"
            assert time.monotonic() - started < 5, f"{label} took too long"
            assert response.status_code < 500, f"{label}: {response.status_code} {response.text[:500]}"
            # 413 is a refusal too: a body past the limit is refused before anything else is looked
            # at (the path included), and schemathesis does not count it among rejections.
            case.validate_response(response, checks=CHECKS if response.status_code != 413 else
                                   [c for c in CHECKS if c is not negative_data_rejection])

        check()
