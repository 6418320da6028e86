"""Failures: an unexpected error is a bare 500; an unreachable database is 503 + Retry-After."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from types import TracebackType
from typing import Self

import pytest
from dependency_injector import providers

from tests.unit.http.support import TestClient, bearer, memory_container, serve
from todo_adapters.memory import InMemoryStore
from todo_core.errors import StorageUnavailable

ALICE = bearer("alice")
TASK = f"/api/tasks/{uuid.uuid4()}"
EVERY_ROUTE = [
    ("GET", "/api/tasks", None),
    ("POST", "/api/tasks", {"title": "t"}),
    ("GET", "/api/tasks/stats", None),
    ("GET", TASK, None),
    ("PUT", TASK, {"title": "t"}),
    ("PATCH", TASK, {"title": "t"}),
    ("PATCH", f"{TASK}/complete", None),
    ("DELETE", TASK, None),
    ("GET", "/api/alice/tasks", None),
]


class _BrokenUnitOfWork:
    """A unit of work whose storage fails the way a bug or an outage would."""

    def __init__(self, error: Exception) -> None:
        self._error = error

    @property
    def tasks(self) -> None:
        raise self._error

    def __enter__(self) -> Self:
        raise self._error

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None

    def commit(self) -> None:
        raise self._error

    def rollback(self) -> None:
        return None


def _client_failing_with(error: Exception) -> Iterator[TestClient]:
    container = memory_container(InMemoryStore())
    container.unit_of_work.override(providers.Factory(_BrokenUnitOfWork, error))
    with serve(container, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def buggy_client() -> Iterator[TestClient]:
    yield from _client_failing_with(RuntimeError('SELECT "secret" FROM tasks -- boom'))


@pytest.fixture
def offline_client() -> Iterator[TestClient]:
    yield from _client_failing_with(StorageUnavailable())


@pytest.mark.parametrize(("method", "path", "body"), EVERY_ROUTE)
def test_an_unexpected_error_is_a_bare_500(
    buggy_client: TestClient, method: str, path: str, body: object
) -> None:
    response = buggy_client.request(method, path, json=body, headers=ALICE)

    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error"}


def test_a_500_is_logged_with_the_error_but_without_the_token(
    buggy_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    token = ALICE["Authorization"].split()[1]

    with caplog.at_level(logging.ERROR, logger="todo_http"):
        response = buggy_client.get("/api/tasks", headers=ALICE)

    assert "secret" not in response.text
    assert "Traceback" not in response.text
    assert any("GET /api/tasks" in record.getMessage() for record in caplog.records)
    assert any(record.exc_info for record in caplog.records)
    assert token not in caplog.text


@pytest.mark.parametrize(("method", "path", "body"), EVERY_ROUTE)
def test_an_unreachable_database_is_503_with_retry_after(
    offline_client: TestClient, method: str, path: str, body: object
) -> None:
    response = offline_client.request(method, path, json=body, headers=ALICE)

    assert response.status_code == 503
    assert response.json() == {"detail": "Service temporarily unavailable"}
    assert response.headers["Retry-After"] == "5"


def test_authentication_still_comes_first_when_the_database_is_down(
    offline_client: TestClient,
) -> None:
    assert offline_client.get("/api/tasks").status_code == 401
