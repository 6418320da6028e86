"""API.md section 6: CORS for the configured origins only, with credentials."""

from __future__ import annotations

import pytest

from tests.unit.http.support import ALLOWED_ORIGIN, TestClient, bearer

PREFLIGHT = {
    "Origin": ALLOWED_ORIGIN,
    "Access-Control-Request-Method": "PATCH",
    "Access-Control-Request-Headers": "Authorization, Content-Type, If-Match, If-None-Match",
}


def _split(value: str) -> set[str]:
    return {item.strip().lower() for item in value.split(",")}


def test_a_preflight_from_an_allowed_origin_is_granted_exactly(client: TestClient) -> None:
    response = client.options("/api/tasks/123", headers=PREFLIGHT)

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert _split(response.headers["Access-Control-Allow-Methods"]) == {
        "get",
        "post",
        "put",
        "patch",
        "delete",
    }
    assert {"authorization", "content-type", "if-match", "if-none-match"} <= _split(
        response.headers["Access-Control-Allow-Headers"]
    )


@pytest.mark.parametrize("origin", ["https://evil.example", "http://localhost:3001", "null"])
def test_a_preflight_from_another_origin_is_not_granted(client: TestClient, origin: str) -> None:
    response = client.options("/api/tasks", headers={**PREFLIGHT, "Origin": origin})

    assert response.status_code == 400
    assert "Access-Control-Allow-Origin" not in response.headers


def test_a_preflight_for_another_header_is_not_granted(client: TestClient) -> None:
    headers = {**PREFLIGHT, "Access-Control-Request-Headers": "X-Custom"}

    response = client.options("/api/tasks", headers=headers)

    assert response.status_code == 400


def test_a_second_configured_origin_is_allowed_too(client: TestClient) -> None:
    response = client.options(
        "/api/tasks", headers={**PREFLIGHT, "Origin": "https://app.example.com"}
    )

    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"


def test_responses_to_an_allowed_origin_expose_the_api_headers(client: TestClient) -> None:
    response = client.post(
        "/api/tasks", json={"title": "t"}, headers={**bearer("alice"), "Origin": ALLOWED_ORIGIN}
    )

    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert _split(response.headers["Access-Control-Expose-Headers"]) == {
        "etag",
        "location",
        "link",
        "x-total-count",
        "idempotent-replayed",
        "retry-after",
        "ratelimit-limit",
        "ratelimit-remaining",
        "ratelimit-reset",
    }
    assert "Origin" in response.headers["Vary"]


def test_errors_carry_cors_headers_so_the_browser_can_read_them(client: TestClient) -> None:
    response = client.get("/api/tasks", headers={"Origin": ALLOWED_ORIGIN})

    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN


def test_another_origin_is_never_given_an_allow_origin(client: TestClient) -> None:
    response = client.get(
        "/api/tasks", headers={**bearer("alice"), "Origin": "https://evil.example"}
    )

    assert "Access-Control-Allow-Origin" not in response.headers
