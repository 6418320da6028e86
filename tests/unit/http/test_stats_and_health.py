"""``/tasks/stats``, ``/health`` and ``/health/ready``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dependency_injector import providers

from tests.support.clock import FakeClock
from tests.unit.http.support import TestClient, bearer, memory_container, serve
from todo_adapters.memory import InMemoryStore
from todo_adapters.sql import upgrade_database
from todo_adapters.sql.schema import DatabaseCheck, DatabaseStatus

ALICE = bearer("alice")


def test_stats_count_every_task_of_the_user_whatever_the_filters(
    client: TestClient, tasks_url: str, fake_clock: FakeClock
) -> None:
    for fields in (
        {"due_date": "2026-01-01"},
        {"due_date": "2026-01-01", "completed": True},
        {"status": "in_progress", "priority": "high"},
        {"priority": "low", "due_date": "2099-01-01"},
    ):
        client.post("/api/tasks", json={"title": "t", **fields}, headers=ALICE)
    client.post("/api/tasks", json={"title": "bob's"}, headers=bearer("bob"))

    response = client.get(f"{tasks_url}/stats", params={"status": "completed"}, headers=ALICE)

    assert response.json() == {
        "total": 4,
        "pending": 2,
        "in_progress": 1,
        "completed": 1,
        "overdue": 1,
        "by_priority": {"low": 1, "medium": 2, "high": 1},
        "by_tag": {},
    }


def test_stats_of_another_user_are_403(client: TestClient) -> None:
    assert client.get("/api/bob/tasks/stats", headers=ALICE).status_code == 403


def test_health_answers_ok_without_touching_anything(client: TestClient) -> None:
    response = client.get("/health")

    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_ready_answers_ok_when_the_database_answers(client: TestClient) -> None:
    response = client.get("/health/ready")

    assert (response.status_code, response.json()) == (200, {"status": "ok", "database": "ok"})


@pytest.fixture
def unready_client() -> Iterator[TestClient]:
    container = memory_container(InMemoryStore())
    unreachable = DatabaseCheck(DatabaseStatus.UNREACHABLE, cause="OperationalError: refused")
    container.database_check.override(providers.Object(unreachable))
    with serve(container) as client:
        yield client


def test_ready_answers_503_when_the_database_does_not(unready_client: TestClient) -> None:
    response = unready_client.get("/health/ready")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}
    assert response.headers["Retry-After"] == "5"


def test_ready_really_asks_the_configured_database() -> None:
    container = memory_container(InMemoryStore())
    container.database_check.reset_override()
    upgrade_database(container.engine())

    with serve(container) as client:
        response = client.get("/health/ready")

    assert response.status_code == 200
