"""Property-based: requests generated from the app's own OpenAPI document, run in process.

Every response must be a non-5xx and conform to the documented schema
(status code, headers, body). A valid bearer token for ``alice`` is sent
with every request and ``{user_id}`` is pinned to ``alice`` so that the
long route shape reaches the use cases instead of stopping at 403.

The schema is loaded when the module is collected (schemathesis parametrizes
at collection time); the autouse fixture re-wires this module's container
before the test, since other tests' apps re-wire the shared route modules.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.unit.http.support import bearer, memory_container
from todo_adapters.memory import InMemoryStore
from todo_http.app import create_app

MAX_EXAMPLES = 25

CONTAINER = memory_container(InMemoryStore())
APP = create_app(CONTAINER)

schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
schema.config.update(
    headers=bearer("alice", ttl_seconds=3600), parameters={"path.user_id": "alice"}
)
schema.config.generation.update(max_examples=MAX_EXAMPLES)


@pytest.fixture(autouse=True)
def _wired_to_this_modules_container() -> None:
    CONTAINER.wire(warn_unresolved=True)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_generated_requests_get_documented_answers_and_never_a_server_error(
    case: schemathesis.Case[Any],
) -> None:
    case.call_and_validate(
        checks=[
            not_a_server_error,
            status_code_conformance,
            response_headers_conformance,
            response_schema_conformance,
        ]
    )
