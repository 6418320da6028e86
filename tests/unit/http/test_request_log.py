"""One log line per request, with the route template and a request id; never the token."""

from __future__ import annotations

import json
import logging

import pytest

from tests.unit.http.support import TestClient
from todo_http.logs import JsonFormatter


@pytest.fixture
def access_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="todo_http.access")
    return caplog


def lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "todo_http.access"]


def test_each_request_logs_method_route_template_status_duration_and_request_id(
    client: TestClient, alice: dict[str, str], access_log: pytest.LogCaptureFixture
) -> None:
    created = client.post("/api/tasks", json={"title": "Secret plans"}, headers=alice)
    task_id = created.json()["id"]

    fetched = client.get(f"/api/tasks/{task_id}?q=hidden", headers=alice)

    [_, record] = lines(access_log)
    fields = record.http  # type: ignore[attr-defined]
    assert fields["method"] == "GET"
    assert fields["route"] == "/api/tasks/{task_id}"
    assert fields["status"] == 200
    assert fields["duration_ms"] >= 0
    assert fields["request_id"] == fetched.headers["x-request-id"]
    message = record.getMessage()
    assert task_id not in message
    assert "hidden" not in message


def test_a_clients_request_id_is_used_and_echoed_back(
    client: TestClient, alice: dict[str, str], access_log: pytest.LogCaptureFixture
) -> None:
    response = client.get("/api/tasks", headers={**alice, "X-Request-ID": "trace-42"})

    assert response.headers["x-request-id"] == "trace-42"
    assert lines(access_log)[0].http["request_id"] == "trace-42"  # type: ignore[attr-defined]


def test_an_unusable_request_id_is_replaced_by_a_generated_one(client: TestClient) -> None:
    response = client.get("/health", headers={"X-Request-ID": "x" * 500})

    assert len(response.headers["x-request-id"]) == 32


def test_the_token_and_the_body_never_reach_the_log(
    client: TestClient, alice: dict[str, str], access_log: pytest.LogCaptureFixture
) -> None:
    client.post("/api/tasks", json={"title": "Body text"}, headers=alice)
    client.get("/api/tasks", headers={"Authorization": "Bearer not.a.token"})

    logged = access_log.text
    assert alice["Authorization"].split()[1] not in logged
    assert "not.a.token" not in logged
    assert "Body text" not in logged
    assert [r.http["status"] for r in lines(access_log)] == [201, 401]  # type: ignore[attr-defined]


def test_json_log_lines_carry_the_request_fields(
    client: TestClient, access_log: pytest.LogCaptureFixture
) -> None:
    client.get("/health")

    entry = json.loads(JsonFormatter().format(lines(access_log)[0]))

    assert entry["route"] == "/health"
    assert entry["status"] == 200
    assert entry["level"] == "INFO"


def test_the_long_route_shape_is_logged_with_its_user_id_placeholder(
    client: TestClient, alice: dict[str, str], access_log: pytest.LogCaptureFixture
) -> None:
    client.get("/api/alice/tasks/stats", headers=alice)
    client.get("/nowhere")

    routes = [r.http["route"] for r in lines(access_log)]  # type: ignore[attr-defined]
    assert routes == ["/api/{user_id}/tasks/stats", "<unmatched>"]
