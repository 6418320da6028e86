"""GET .../tasks/changes (API.md section 10) over the in-memory adapter."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from tests.support.clock import FakeClock
from tests.unit.http.support import TestClient, bearer
from todo_bootstrap.container import Container


def test_without_since_the_feed_gives_every_task_and_a_token(
    client: TestClient, alice: dict[str, str], tasks_url: str
) -> None:
    first = client.post(tasks_url, json={"title": "one"}, headers=alice).json()
    second = client.post(tasks_url, json={"title": "two"}, headers=alice).json()

    answer = client.get(f"{tasks_url}/changes", headers=alice)

    assert answer.status_code == 200
    body = answer.json()
    assert [task["id"] for task in body["changed"]] == [first["id"], second["id"]]
    assert body["changed"][0] == first
    assert body["deleted"] == []
    assert body["more"] is False
    assert isinstance(body["next"], str)


def test_after_a_token_the_feed_gives_the_changes_and_the_deletions(
    client: TestClient, alice: dict[str, str], tasks_url: str
) -> None:
    kept = client.post(tasks_url, json={"title": "kept"}, headers=alice).json()
    doomed = client.post(tasks_url, json={"title": "doomed"}, headers=alice).json()
    token = client.get(f"{tasks_url}/changes", headers=alice).json()["next"]
    client.patch(f"{tasks_url}/{kept['id']}", json={"title": "renamed"}, headers=alice)
    client.delete(f"{tasks_url}/{doomed['id']}", headers=alice)

    body = client.get(f"{tasks_url}/changes", params={"since": token}, headers=alice).json()

    assert [(t["id"], t["title"]) for t in body["changed"]] == [(kept["id"], "renamed")]
    assert [d["id"] for d in body["deleted"]] == [doomed["id"]]
    assert body["deleted"][0]["deleted_at"].endswith("Z")
    again = client.get(f"{tasks_url}/changes", params={"since": body["next"]}, headers=alice)
    assert again.json() == {"changed": [], "deleted": [], "next": body["next"], "more": False}


def test_a_page_of_limit_changes_sets_more(
    client: TestClient, alice: dict[str, str], tasks_url: str
) -> None:
    for n in range(3):
        client.post(tasks_url, json={"title": f"t{n}"}, headers=alice)

    first = client.get(f"{tasks_url}/changes", params={"limit": 2}, headers=alice).json()
    rest = client.get(
        f"{tasks_url}/changes", params={"limit": "2", "since": first["next"]}, headers=alice
    ).json()

    assert (len(first["changed"]), first["more"]) == (2, True)
    assert (len(rest["changed"]), rest["more"]) == (1, False)


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"since": "garbage"}, "since"),
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"limit": "x"}, "limit"),
        ({"wait": "31"}, "wait"),
        ({"wait": "-1"}, "wait"),
        ({"wait": "nan"}, "wait"),
    ],
)
def test_bad_parameters_are_a_422_naming_them(
    client: TestClient, alice: dict[str, str], params: dict[str, str], name: str
) -> None:
    answer = client.get("/api/tasks/changes", params=params, headers=alice)

    assert answer.status_code == 422
    assert [item["loc"] for item in answer.json()["detail"]] == [["query", name]]


def test_a_token_of_another_user_is_a_422_naming_since(
    client: TestClient, alice: dict[str, str]
) -> None:
    bobs = client.get("/api/tasks/changes", headers=bearer("bob")).json()["next"]

    answer = client.get("/api/tasks/changes", params={"since": bobs}, headers=alice)

    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["query", "since"]


def test_empty_parameters_are_ignored(client: TestClient, alice: dict[str, str]) -> None:
    answer = client.get("/api/tasks/changes?since=&limit=&wait=", headers=alice)

    assert answer.status_code == 200


def test_another_users_feed_is_403_and_no_token_is_401(
    client: TestClient, alice: dict[str, str]
) -> None:
    assert client.get("/api/bob/tasks/changes", headers=alice).status_code == 403
    assert client.get("/api/alice/tasks/changes").status_code == 401


def test_a_token_older_than_the_pruned_deletions_is_410(
    client: TestClient, alice: dict[str, str], container: Container, fake_clock: FakeClock
) -> None:
    task = client.post("/api/tasks", json={"title": "x"}, headers=alice).json()
    token = client.get("/api/tasks/changes", headers=alice).json()["next"]
    client.delete(f"/api/tasks/{task['id']}", headers=alice)
    fake_clock.advance(timedelta(days=31))
    container.task_service().prune_changes()

    answer = client.get("/api/tasks/changes", params={"since": token}, headers=alice)

    assert answer.status_code == 410
    assert answer.json() == {"detail": "Sync token expired; fetch everything again"}


def test_a_change_made_while_a_request_waits_answers_it_within_a_second(
    client: TestClient, alice: dict[str, str]
) -> None:
    token = client.get("/api/tasks/changes", headers=alice).json()["next"]
    answers: list[tuple[float, dict[str, object]]] = []

    def wait() -> None:
        body = client.get(
            "/api/tasks/changes", params={"since": token, "wait": 10}, headers=alice
        ).json()
        answers.append((time.monotonic(), body))

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.5)
    written_at = time.monotonic()
    task = client.post("/api/tasks", json={"title": "news"}, headers=alice).json()
    waiter.join(timeout=10)

    answered_at, body = answers[0]
    assert answered_at - written_at < 1
    assert [t["id"] for t in body["changed"]] == [task["id"]]  # type: ignore[index]


def test_a_wait_with_nothing_new_ends_empty_with_the_same_token(
    client: TestClient, alice: dict[str, str]
) -> None:
    token = client.get("/api/tasks/changes", headers=alice).json()["next"]
    started = time.monotonic()

    body = client.get(
        "/api/tasks/changes", params={"since": token, "wait": 0.6}, headers=alice
    ).json()

    assert time.monotonic() - started >= 0.6
    assert body == {"changed": [], "deleted": [], "next": token, "more": False}
