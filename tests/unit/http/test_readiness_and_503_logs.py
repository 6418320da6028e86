"""``/health/ready`` knows the schema, and every 503 says why in the log, without flooding it."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import pytest
from dependency_injector import providers

from tests.unit.http.support import TestClient, bearer, make_settings, memory_container, serve
from todo_adapters.memory import InMemoryStore
from todo_adapters.sql import downgrade_database, upgrade_database
from todo_adapters.sql.migrations import head_revision
from todo_bootstrap.container import Container
from todo_core.errors import StorageUnavailable
from todo_http.unavailable import MAX_CAUSES, REPEAT_AFTER_SECONDS, UnavailableLog

ALICE = bearer("alice")
OUT_OF_DATE = {"status": "unavailable", "database": "schema out of date"}


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class _Unavailable:
    """A unit of work whose storage is down for a given reason."""

    def __init__(self, cause: str | None) -> None:
        self._cause = cause

    def __enter__(self) -> _Unavailable:
        raise StorageUnavailable(cause=self._cause)

    def __exit__(self, *_: object) -> None:
        return None


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "todo_http" and record.levelno == logging.WARNING
    ]


@pytest.fixture
def sql_container() -> Container:
    """The real SQL adapter on a private in-memory SQLite database, never migrated."""
    container = Container()
    container.settings.override(providers.Object(make_settings(database_url="sqlite://")))
    return container


@pytest.fixture
def down_client(caplog: pytest.LogCaptureFixture) -> Iterator[TestClient]:
    container = memory_container(InMemoryStore())
    container.unit_of_work.override(
        providers.Factory(_Unavailable, "OperationalError: connection refused")
    )
    caplog.set_level(logging.WARNING, logger="todo_http")
    with serve(container) as client:
        yield client


# --- readiness --------------------------------------------------------------------------


def test_ready_reports_a_schema_out_of_date_on_an_unmigrated_database(
    sql_container: Container,
) -> None:
    with serve(sql_container) as client:
        response = client.get("/health/ready")

    assert response.status_code == 503
    assert response.json() == OUT_OF_DATE
    assert response.headers["Retry-After"] == "5"


def test_ready_turns_503_when_the_schema_is_migrated_down_underneath(
    sql_container: Container,
) -> None:
    upgrade_database(sql_container.engine())

    with serve(sql_container) as client:
        before = client.get("/health/ready")
        downgrade_database(sql_container.engine(), "base")
        after = client.get("/health/ready")

    assert (before.status_code, before.json()) == (200, {"status": "ok", "database": "ok"})
    assert (after.status_code, after.json()) == (503, OUT_OF_DATE)


def test_ready_reports_an_unreachable_database_as_503_never_500() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    container = memory_container(
        InMemoryStore(),
        settings=make_settings(database_url=f"postgresql://app:pw@127.0.0.1:{port}/db"),
    )
    container.database_check.reset_override()

    with serve(container) as client:
        response = client.get("/health/ready")

    assert (response.status_code, response.json()) == (
        503,
        {"status": "unavailable", "database": "unreachable"},
    )


def test_an_out_of_date_readiness_logs_the_one_line_fix_once(
    sql_container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="todo_http")

    with serve(sql_container) as client:
        for _ in range(3):
            client.get("/health/ready")

    assert _warnings(caplog) == [
        "503 on GET /health/ready: database schema is at none, this version needs "
        f"{head_revision()}: run 'todo db upgrade'"
    ]


def test_the_openapi_readiness_schema_allows_schema_out_of_date(
    sql_container: Container,
) -> None:
    with serve(sql_container) as client:
        schema = client.get("/openapi.json").json()["components"]["schemas"]["Readiness"]

    assert schema["properties"]["database"]["enum"] == ["ok", "unreachable", "schema out of date"]


# --- 503 from the task routes -----------------------------------------------------------


def test_a_503_logs_its_cause_at_warning_with_method_and_path_but_no_token(
    down_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = down_client.get("/api/tasks", headers=ALICE)

    assert response.status_code == 503
    assert response.json() == {"detail": "Service temporarily unavailable"}
    assert _warnings(caplog) == ["503 on GET /api/tasks: OperationalError: connection refused"]
    assert ALICE["Authorization"].split()[1] not in caplog.text


def test_repeated_503s_of_one_cause_are_logged_once(
    down_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    for _ in range(20):
        down_client.post("/api/tasks", json={"title": "t"}, headers=ALICE)

    assert len(_warnings(caplog)) == 1


def test_an_unmigrated_database_answers_503_and_logs_that_the_schema_is_out_of_date(
    sql_container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="todo_http")

    with serve(sql_container) as client:
        response = client.post("/api/tasks", json={"title": "private title"}, headers=ALICE)

    assert response.status_code == 503
    [line] = _warnings(caplog)
    assert line == (
        "503 on POST /api/tasks: schema out of date "
        "(OperationalError: no such table: change_clocks)"
    )
    assert "private title" not in caplog.text


# --- the rate limit ---------------------------------------------------------------------


def test_a_cause_is_logged_again_after_a_minute_with_the_count_it_folded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = _Clock()
    log = UnavailableLog(monotonic=clock)
    caplog.set_level(logging.WARNING, logger="todo_http")

    log.report("GET /api/tasks", "OperationalError: refused")
    for _ in range(3):
        clock.now += 1
        log.report("GET /api/tasks", "OperationalError: refused")
    clock.now += REPEAT_AFTER_SECONDS
    log.report("GET /api/tasks", "OperationalError: refused")

    assert _warnings(caplog) == [
        "503 on GET /api/tasks: OperationalError: refused",
        "503 on GET /api/tasks: OperationalError: refused "
        "(and 3 more like it since the last report)",
    ]


def test_different_causes_are_each_logged_and_a_missing_cause_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = UnavailableLog(monotonic=_Clock())
    caplog.set_level(logging.WARNING, logger="todo_http")

    log.report("GET /a", "TimeoutError: QueuePool limit of size 5 overflow 10 reached")
    log.report("GET /a", "OperationalError: refused")
    log.report("GET /a", None)

    assert _warnings(caplog) == [
        "503 on GET /a: TimeoutError: QueuePool limit of size 5 overflow 10 reached",
        "503 on GET /a: OperationalError: refused",
        "503 on GET /a: no cause given",
    ]


def test_endless_distinct_causes_do_not_grow_the_memory_without_bound(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = _Clock()
    log = UnavailableLog(monotonic=clock)
    caplog.set_level(logging.WARNING, logger="todo_http")

    for n in range(MAX_CAUSES * 4):
        log.report("GET /a", f"cause {n}")

    assert len(_warnings(caplog)) == MAX_CAUSES * 4
    assert len(log._seen) <= MAX_CAUSES
