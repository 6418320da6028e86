"""Idempotency-Key on POST .../tasks and PATCH .../complete (API.md section 11), in memory."""

from __future__ import annotations

import pytest

from tests.unit.http.support import ALLOWED_ORIGIN, SHAPES, TestClient, bearer


def _key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


def test_a_retried_post_replays_the_first_answer_and_creates_one_task(
    client: TestClient, alice: dict[str, str]
) -> None:
    first = client.post(SHAPES["long"], json={"title": "x"}, headers={**alice, **_key('"k-1"')})
    again = client.post(SHAPES["short"], json={"title": "x"}, headers={**alice, **_key("k-1")})

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert len(client.get("/api/tasks", headers=alice).json()) == 1


def test_the_same_key_with_another_body_is_a_422_naming_the_header(
    client: TestClient, alice: dict[str, str]
) -> None:
    client.post("/api/tasks", json={"title": "x"}, headers={**alice, **_key("k")})

    answer = client.post("/api/tasks", json={"title": "y"}, headers={**alice, **_key("k")})

    assert answer.status_code == 422
    assert answer.json() == {
        "detail": [
            {
                "loc": ["header", "Idempotency-Key"],
                "msg": "Idempotency-Key was used for another request",
                "type": "value_error",
            }
        ]
    }


def test_two_users_keys_never_collide(client: TestClient, alice: dict[str, str]) -> None:
    bob = bearer("bob")

    a = client.post("/api/tasks", json={"title": "a"}, headers={**alice, **_key("same")})
    b = client.post("/api/tasks", json={"title": "b"}, headers={**bob, **_key("same")})

    assert (a.status_code, b.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in b.headers
    assert b.json()["user_id"] == "bob"


def test_a_retried_toggle_leaves_the_task_completed(
    client: TestClient, alice: dict[str, str]
) -> None:
    task = client.post("/api/tasks", json={"title": "x"}, headers=alice).json()
    url = f"/api/tasks/{task['id']}/complete"

    answers = [client.patch(url, headers={**alice, **_key("toggle")}) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.json()["completed"] for a in answers] == [True, True, True]
    assert client.get(f"/api/tasks/{task['id']}", headers=alice).json()["completed"] is True


@pytest.mark.parametrize("value", ["", '""', "x" * 256, "tab\there", '"a"b"'])
def test_a_key_that_is_not_1_to_255_printable_ascii_is_a_422_naming_the_header(
    client: TestClient, alice: dict[str, str], value: str
) -> None:
    answer = client.post("/api/tasks", json={"title": "x"}, headers={**alice, **_key(value)})

    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    assert client.get("/api/tasks", headers=alice).json() == []


def test_requests_without_the_header_behave_as_before(
    client: TestClient, alice: dict[str, str]
) -> None:
    first = client.post("/api/tasks", json={"title": "x"}, headers=alice)
    second = client.post("/api/tasks", json={"title": "x"}, headers=alice)

    assert first.json()["id"] != second.json()["id"]


def test_cors_allows_the_header(client: TestClient) -> None:
    answer = client.options(
        "/api/tasks",
        headers={
            "Origin": ALLOWED_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type, Idempotency-Key",
        },
    )

    assert answer.status_code == 200
    assert "idempotency-key" in answer.headers["Access-Control-Allow-Headers"].lower()
