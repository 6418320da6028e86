"""API.md section 4: every route, in both route shapes (``tasks_url`` runs each test twice)."""

from __future__ import annotations

import uuid
from typing import Any

from tests.unit.http.support import TestClient, bearer

ALICE = bearer("alice")


def _create(client: TestClient, tasks_url: str, **fields: Any) -> dict[str, Any]:
    response = client.post(tasks_url, json={"title": "Write the report", **fields}, headers=ALICE)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_creating_a_task_answers_201_with_the_task_its_etag_and_its_location(
    client: TestClient, tasks_url: str
) -> None:
    response = client.post(tasks_url, json={"title": "  Write the report  "}, headers=ALICE)

    task = response.json()
    assert response.status_code == 201
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"] == f"{tasks_url}/{task['id']}"
    assert uuid.UUID(task["id"]).version == 4
    assert task["id"] == str(uuid.UUID(task["id"]))
    assert task["user_id"] == "alice"
    assert task["title"] == "Write the report"
    assert (task["status"], task["priority"], task["completed"]) == ("pending", "medium", False)
    assert (task["description"], task["due_date"], task["completed_at"]) == (None, None, None)
    assert task["created_at"] == task["updated_at"]
    assert task["version"] == 1


def test_the_location_of_a_new_task_serves_it(client: TestClient, tasks_url: str) -> None:
    created = client.post(tasks_url, json={"title": "x"}, headers=ALICE)

    fetched = client.get(created.headers["Location"], headers=ALICE)

    assert fetched.status_code == 200
    assert fetched.json() == created.json()
    assert fetched.headers["ETag"] == '"1"'


def test_creating_a_completed_task_sets_completed_at(client: TestClient, tasks_url: str) -> None:
    task = _create(client, tasks_url, completed=True)

    assert (task["status"], task["completed"]) == ("completed", True)
    assert task["completed_at"] == task["created_at"]


def test_creating_with_completed_and_status_disagreeing_is_422(
    client: TestClient, tasks_url: str
) -> None:
    response = client.post(
        tasks_url, json={"title": "x", "status": "pending", "completed": True}, headers=ALICE
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "completed"]


def test_listing_returns_the_users_tasks_with_the_total_count(
    client: TestClient, tasks_url: str
) -> None:
    first = _create(client, tasks_url)
    client.post("/api/tasks", json={"title": "bob's"}, headers=bearer("bob"))

    response = client.get(tasks_url, headers=ALICE)

    assert response.status_code == 200
    assert response.json() == [first]
    assert response.headers["X-Total-Count"] == "1"
    assert "Link" not in response.headers


def test_getting_a_task_answers_it_with_its_etag(client: TestClient, tasks_url: str) -> None:
    task = _create(client, tasks_url)

    response = client.get(f"{tasks_url}/{task['id']}", headers=ALICE)

    assert response.status_code == 200
    assert response.json() == task
    assert response.headers["ETag"] == '"1"'


def test_another_users_task_is_not_found(client: TestClient, tasks_url: str) -> None:
    bobs = client.post("/api/tasks", json={"title": "bob's"}, headers=bearer("bob")).json()

    responses = [
        client.get(f"{tasks_url}/{bobs['id']}", headers=ALICE),
        client.patch(f"{tasks_url}/{bobs['id']}", json={"title": "mine"}, headers=ALICE),
        client.patch(f"{tasks_url}/{bobs['id']}/complete", headers=ALICE),
        client.delete(f"{tasks_url}/{bobs['id']}", headers=ALICE),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404, 404]
    assert {r.json()["detail"] for r in responses} == {"Task not found"}
    assert client.get(f"/api/tasks/{bobs['id']}", headers=bearer("bob")).json() == bobs


def test_a_task_id_that_is_not_a_uuid_is_422_naming_it(client: TestClient, tasks_url: str) -> None:
    response = client.get(f"{tasks_url}/12345", headers=ALICE)

    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "loc": ["path", "task_id"],
                "msg": "Input should be a valid UUID",
                "type": "uuid_parsing",
            }
        ]
    }


def test_put_and_patch_change_only_the_fields_present(client: TestClient, tasks_url: str) -> None:
    task = _create(client, tasks_url, description="keep me", priority="high")

    put = client.put(f"{tasks_url}/{task['id']}", json={"title": "Renamed"}, headers=ALICE)
    patched = client.patch(
        f"{tasks_url}/{task['id']}", json={"status": "in_progress"}, headers=ALICE
    )

    assert put.status_code == 200
    assert put.json()["title"] == "Renamed"
    assert put.json()["description"] == "keep me"
    assert put.headers["ETag"] == '"2"'
    assert patched.status_code == 200
    assert patched.json()["title"] == "Renamed"
    assert patched.json()["priority"] == "high"
    assert patched.json()["status"] == "in_progress"
    assert patched.json()["version"] == 3


def test_put_and_patch_without_a_body_are_422(client: TestClient, tasks_url: str) -> None:
    task = _create(client, tasks_url)

    put = client.put(f"{tasks_url}/{task['id']}", headers=ALICE)
    patch = client.patch(f"{tasks_url}/{task['id']}", headers=ALICE)
    post = client.post(tasks_url, headers=ALICE)

    expected = {"detail": [{"loc": ["body"], "msg": "Field required", "type": "missing"}]}
    assert (put.status_code, put.json()) == (422, expected)
    assert (patch.status_code, patch.json()) == (422, expected)
    assert (post.status_code, post.json()) == (422, expected)


def test_an_empty_object_changes_nothing(client: TestClient, tasks_url: str) -> None:
    task = _create(client, tasks_url)

    response = client.patch(f"{tasks_url}/{task['id']}", json={}, headers=ALICE)

    assert response.status_code == 200
    assert response.json() == task


def test_sending_back_a_fetched_task_unchanged_changes_nothing(
    client: TestClient, tasks_url: str
) -> None:
    task = _create(client, tasks_url, due_date="2026-12-01", description="d")

    response = client.put(f"{tasks_url}/{task['id']}", json=task, headers=ALICE)

    assert response.status_code == 200
    assert response.json() == task


def test_server_owned_and_unknown_fields_are_ignored(client: TestClient, tasks_url: str) -> None:
    task = _create(client, tasks_url)
    sent = {
        **task,
        "id": str(uuid.uuid4()),
        "user_id": "mallory",
        "version": 99,
        "created_at": "2000-01-01T00:00:00Z",
        "completed_at": "2000-01-01T00:00:00Z",
        "colour": "red",
        "title": "Changed",
    }

    response = client.patch(f"{tasks_url}/{task['id']}", json=sent, headers=ALICE)

    assert response.status_code == 200
    assert response.json() == {**task, "title": "Changed", "version": 2}


def test_a_fetched_task_with_only_its_checkbox_changed_gets_completed(
    client: TestClient, tasks_url: str
) -> None:
    task = _create(client, tasks_url)

    response = client.put(
        f"{tasks_url}/{task['id']}", json={**task, "completed": True}, headers=ALICE
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["completed"]) == ("completed", True)
    assert response.json()["completed_at"] is not None


def test_a_fetched_task_with_only_its_status_changed_gets_that_status(
    client: TestClient, tasks_url: str
) -> None:
    task = _create(client, tasks_url, completed=True)

    response = client.put(
        f"{tasks_url}/{task['id']}", json={**task, "status": "in_progress"}, headers=ALICE
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["completed"]) == ("in_progress", False)
    assert response.json()["completed_at"] is None


def test_completed_false_reopens_only_a_completed_task(client: TestClient, tasks_url: str) -> None:
    started = _create(client, tasks_url, status="in_progress")
    done = _create(client, tasks_url, completed=True)

    kept = client.patch(f"{tasks_url}/{started['id']}", json={"completed": False}, headers=ALICE)
    reopened = client.patch(f"{tasks_url}/{done['id']}", json={"completed": False}, headers=ALICE)

    assert kept.json()["status"] == "in_progress"
    assert kept.json()["version"] == 1
    assert reopened.json()["status"] == "pending"


def test_null_clears_the_description_and_null_or_empty_clears_the_due_date(
    client: TestClient, tasks_url: str
) -> None:
    first = _create(client, tasks_url, description="d", due_date="2026-12-01")
    second = _create(client, tasks_url, due_date="2026-12-01")

    cleared = client.patch(
        f"{tasks_url}/{first['id']}", json={"description": None, "due_date": None}, headers=ALICE
    )
    emptied = client.patch(f"{tasks_url}/{second['id']}", json={"due_date": ""}, headers=ALICE)

    assert (cleared.json()["description"], cleared.json()["due_date"]) == (None, None)
    assert emptied.json()["due_date"] is None


def test_complete_without_a_body_or_with_an_empty_object_toggles(
    client: TestClient, tasks_url: str
) -> None:
    task = _create(client, tasks_url)
    url = f"{tasks_url}/{task['id']}/complete"

    completed = client.patch(url, headers=ALICE)
    reopened = client.patch(url, json={}, headers=ALICE)

    assert completed.status_code == 200
    assert (completed.json()["status"], completed.json()["completed"]) == ("completed", True)
    assert completed.json()["completed_at"] is not None
    assert completed.headers["ETag"] == '"2"'
    assert (reopened.json()["status"], reopened.json()["completed_at"]) == ("pending", None)


def test_complete_with_an_explicit_value_sets_it(client: TestClient, tasks_url: str) -> None:
    task = _create(client, tasks_url, status="in_progress")
    url = f"{tasks_url}/{task['id']}/complete"

    not_reopened = client.patch(url, json={"completed": False}, headers=ALICE)
    completed = client.patch(url, json={"completed": True}, headers=ALICE)
    again = client.patch(url, json={"completed": True}, headers=ALICE)

    assert not_reopened.json()["status"] == "in_progress"
    assert completed.json()["status"] == "completed"
    assert again.json()["completed_at"] == completed.json()["completed_at"]
    assert again.json()["version"] == completed.json()["version"]


def test_deleting_answers_204_and_a_second_delete_404(client: TestClient, tasks_url: str) -> None:
    task = _create(client, tasks_url)

    first = client.delete(f"{tasks_url}/{task['id']}", headers=ALICE)
    second = client.delete(f"{tasks_url}/{task['id']}", headers=ALICE)

    assert (first.status_code, first.content) == (204, b"")
    assert second.status_code == 404
    assert second.json() == {"detail": "Task not found"}
    assert client.get(f"{tasks_url}/{task['id']}", headers=ALICE).status_code == 404


def test_stats_is_a_route_of_its_own_not_a_task_id(client: TestClient, tasks_url: str) -> None:
    _create(client, tasks_url, priority="high")
    _create(client, tasks_url, completed=True, priority="low")
    _create(client, tasks_url, status="in_progress")

    response = client.get(f"{tasks_url}/stats", headers=ALICE)

    assert response.status_code == 200
    assert response.json() == {
        "total": 3,
        "pending": 1,
        "in_progress": 1,
        "completed": 1,
        "overdue": 0,
        "by_priority": {"low": 1, "medium": 1, "high": 1},
        "by_tag": {},
    }
