"""API.md section 4: 401, then 403, 413, 415, 422, 404, 412; the completion conflict last."""

from __future__ import annotations

import uuid

import pytest

from tests.unit.http.support import TestClient, bearer

TOO_BIG = b'{"title": "' + b"x" * 70_000 + b'"}'
MISSING = uuid.UUID(int=1)


def _create(client: TestClient) -> dict[str, object]:
    response = client.post("/api/tasks", json={"title": "stored"}, headers=bearer("alice"))
    assert response.status_code == 201
    return dict(response.json())


@pytest.mark.parametrize("path", ["/api/tasks", "/api/bob/tasks"])
def test_no_valid_token_is_401_whatever_else_is_wrong(client: TestClient, path: str) -> None:
    response = client.post(
        path, content=TOO_BIG, headers={"Content-Type": "text/plain", "Authorization": "Bearer x"}
    )

    assert response.status_code == 401


def test_another_users_path_is_403_even_with_invalid_json(client: TestClient) -> None:
    response = client.post(
        "/api/bob/tasks",
        content=b"{not json",
        headers={**bearer("alice"), "Content-Type": "application/json"},
    )

    assert response.status_code == 403


def test_another_users_path_is_403_before_an_oversized_body(client: TestClient) -> None:
    response = client.post(
        "/api/bob/tasks", content=TOO_BIG, headers={**bearer("alice"), "Content-Type": "text/plain"}
    )

    assert response.status_code == 403


def test_an_oversized_body_is_413_before_its_content_type_is_looked_at(client: TestClient) -> None:
    response = client.post(
        "/api/tasks", content=TOO_BIG, headers={**bearer("alice"), "Content-Type": "text/plain"}
    )

    assert response.status_code == 413


def test_a_non_json_content_type_is_415_before_the_body_is_parsed(client: TestClient) -> None:
    response = client.post(
        "/api/tasks",
        content=b"{not json",
        headers={**bearer("alice"), "Content-Type": "text/plain"},
    )

    assert response.status_code == 415


def test_a_non_json_content_type_is_415_before_a_bad_task_id(client: TestClient) -> None:
    response = client.patch(
        "/api/tasks/not-a-uuid",
        content=b"{}",
        headers={**bearer("alice"), "Content-Type": "text/plain"},
    )

    assert response.status_code == 415


def test_invalid_input_is_422_before_a_missing_task_is_404(client: TestClient) -> None:
    response = client.patch(
        f"/api/tasks/{MISSING}",
        json={"title": ""},
        headers={**bearer("alice"), "If-Match": '"9"'},
    )

    assert response.status_code == 422


def test_a_missing_task_is_404_before_a_stale_if_match_is_412(client: TestClient) -> None:
    response = client.patch(
        f"/api/tasks/{MISSING}", json={"title": "x"}, headers={**bearer("alice"), "If-Match": '"9"'}
    )

    assert response.status_code == 404


def test_a_missing_task_is_404_before_a_completion_conflict(client: TestClient) -> None:
    response = client.patch(
        f"/api/tasks/{MISSING}",
        json={"status": "in_progress", "completed": True},
        headers=bearer("alice"),
    )

    assert response.status_code == 404


def test_a_stale_if_match_is_412_before_a_completion_conflict(client: TestClient) -> None:
    task = _create(client)

    response = client.patch(
        f"/api/tasks/{task['id']}",
        json={"status": "in_progress", "completed": True},
        headers={**bearer("alice"), "If-Match": '"7"'},
    )

    assert response.status_code == 412


def test_the_completion_conflict_is_a_422_decided_against_the_stored_task(
    client: TestClient,
) -> None:
    task = _create(client)

    response = client.patch(
        f"/api/tasks/{task['id']}",
        json={"status": "in_progress", "completed": True},
        headers={**bearer("alice"), "If-Match": '"1"'},
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "completed"]
    assert client.get(f"/api/tasks/{task['id']}", headers=bearer("alice")).json() == task


def test_no_token_is_401_before_a_bad_task_id(client: TestClient) -> None:
    assert client.get("/api/tasks/not-a-uuid").status_code == 401


def test_another_users_path_is_403_before_a_bad_task_id(client: TestClient) -> None:
    response = client.get("/api/bob/tasks/not-a-uuid", headers=bearer("alice"))

    assert response.status_code == 403


def test_a_bad_listing_parameter_is_422_only_after_authentication(client: TestClient) -> None:
    unauthenticated = client.get("/api/tasks?limit=0")
    forbidden = client.get("/api/bob/tasks?limit=0", headers=bearer("alice"))

    assert (unauthenticated.status_code, forbidden.status_code) == (401, 403)
