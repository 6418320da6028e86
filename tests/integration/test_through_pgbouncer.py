"""The SQL adapter and the HTTP app through PgBouncer in transaction mode (Neon's pooler).

In transaction pooling a client's consecutive transactions may run on
different server connections, so anything kept in a session is lost or
leaks to another client. The bouncer here has 2 server connections for the
suite's database and the engines more client connections than that, so
server connections really are passed around between them. The tests show
that the use cases, concurrent writes and the HTTP app work there; that the
adapter sends nothing that keeps session state (no ``SET``, ``PREPARE``,
``LISTEN``, session advisory locks, cursors or temporary tables) but its own
prepared statements, which are made to outlive a server connection that
lacks them or holds them already (``todo_adapters.sql.prepared``); and that
the one session setting it relies on, the ``SET TIME ZONE`` made on connect,
is one PgBouncer tracks and re-applies, so it holds whichever server
connection a transaction lands on.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg2
import pytest
from dependency_injector import providers
from sqlalchemy import Engine, event, text

from tests.integration.conftest import sql_uow_factory
from tests.integration.postgres import skip_or_fail
from tests.support.builders import fresh_user_id
from tests.support.held_commit import CommitGate, HeldCommit
from tests.support.pgbouncer import PgBouncer, pgbouncer_executable, running_pgbouncer
from tests.support.threads import run_together
from todo_adapters.jwt import mint_hs256_token
from todo_adapters.settings import load_settings
from todo_adapters.sql import make_engine
from todo_bootstrap.container import Container
from todo_core.edits import TaskChanges, TaskDraft
from todo_core.idempotency import IdempotencyInProgress, Once, Outcome, StoredResponse
from todo_core.model import TaskPriority, TaskStatus
from todo_core.services import ListRequest, TaskService
from todo_http.app import create_app

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

pytestmark = pytest.mark.postgres

#: Server connections the bouncer keeps for the database: fewer than the clients.
SERVER_CONNECTIONS = 2
#: Client connections of each engine (and threads of the concurrent test).
CLIENT_CONNECTIONS = 6
SECRET = "a-pgbouncer-test-secret-that-is-long-enough-0123456789"

#: Statements that keep state in the server session, which transaction pooling breaks
#: (the adapter's own prepared statements, ``todo_...``, are made to outlive it).
SESSION_STATE = re.compile(
    r"^\s*(SET|RESET|PREPARE(?!\s+todo_)|EXECUTE(?!\s+todo_)|DEALLOCATE|DISCARD|LISTEN|UNLISTEN"
    r"|DECLARE|LOAD"
    r"|CREATE\s+(GLOBAL\s+|LOCAL\s+)?TEMP)\b"
    r"|pg_advisory_lock|pg_advisory_unlock|pg_try_advisory_lock|set_config\s*\(",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def bouncer(postgres_url: str) -> Iterator[PgBouncer]:
    """A transaction-mode PgBouncer in front of the suite's database."""
    if pgbouncer_executable() is None:
        skip_or_fail(
            "pgbouncer is not installed (apt-get install -y pgbouncer): "
            "the transaction-pooling tests did not run"
        )
    with running_pgbouncer(postgres_url, pool_size=SERVER_CONNECTIONS) as running:
        yield running


@pytest.fixture(scope="module")
def bouncer_engine(bouncer: PgBouncer) -> Iterator[Engine]:
    """The adapter's own engine, pointed at the bouncer."""
    engine = make_engine(bouncer.url, pool_size=CLIENT_CONNECTIONS, max_overflow=0, pool_timeout=60)
    yield engine
    engine.dispose()


@pytest.fixture
def statements(bouncer_engine: Engine) -> Iterator[list[str]]:
    """Every statement the adapter sends through ``bouncer_engine`` during the test."""
    sent: list[str] = []
    lock = threading.Lock()

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        with lock:
            sent.append(statement)

    event.listen(bouncer_engine, "before_cursor_execute", record)
    yield sent
    event.remove(bouncer_engine, "before_cursor_execute", record)


@pytest.fixture
def service(bouncer_engine: Engine) -> TaskService:
    return TaskService(uow_factory=sql_uow_factory(bouncer_engine))


def _admin_show(bouncer: PgBouncer, command: str) -> list[tuple[Any, ...]]:
    connection = psycopg2.connect(
        host="127.0.0.1", port=bouncer.port, dbname="pgbouncer", user=bouncer.user
    )
    connection.autocommit = True  # the admin console has no transactions
    try:
        with connection.cursor() as cursor:
            cursor.execute(command)
            return list(cursor.fetchall())
    finally:
        connection.close()


def test_the_bouncer_pools_by_transaction_with_fewer_server_connections_than_clients(
    bouncer: PgBouncer,
) -> None:
    config = {row[0]: row[1] for row in _admin_show(bouncer, "SHOW CONFIG")}

    assert config["pool_mode"] == "transaction"
    assert int(config["default_pool_size"]) == SERVER_CONNECTIONS < CLIENT_CONNECTIONS


def test_the_use_cases_work_through_transaction_pooling(
    service: TaskService, statements: list[str]
) -> None:
    user = fresh_user_id("bouncer")
    due = datetime.now(UTC) - timedelta(days=1)
    created = [
        service.create(actor=user, draft=TaskDraft(title=f"task {n}", due_date=due))
        for n in range(7)
    ]

    fetched = service.get(actor=user, task_id=created[3].id)
    seen: list[uuid.UUID] = []
    cursor: str | None = None
    while True:
        page = service.list(actor=user, request=ListRequest(limit=3, cursor=cursor))
        seen += [task.id for task in page.items]
        assert page.total == 7
        cursor = page.next_cursor
        if cursor is None:
            break
    updated = service.update(
        actor=user,
        task_id=created[0].id,
        changes=TaskChanges(title="renamed", priority=TaskPriority.HIGH),
    ).task
    completed = service.set_completed(actor=user, task_id=created[1].id, completed=True).task
    service.delete(actor=user, task_id=created[2].id)
    stats = service.stats(actor=user)

    assert fetched == created[3]
    assert sorted(seen) == sorted(task.id for task in created)
    assert (updated.title, updated.priority, updated.version) == ("renamed", TaskPriority.HIGH, 2)
    assert completed.status is TaskStatus.COMPLETED
    assert completed.completed_at is not None
    assert (
        stats.total,
        stats.by_status[TaskStatus.COMPLETED],
        stats.overdue,
        stats.by_priority[TaskPriority.HIGH],
    ) == (6, 1, 5, 1)
    assert service.get(actor=user, task_id=created[0].id).title == "renamed"
    assert statements, "the recorder saw no statement: it is not listening"
    assert [s for s in statements if SESSION_STATE.search(s)] == []
    assert any(s.startswith("EXECUTE todo_") for s in statements), "nothing ran prepared"


def test_concurrent_updates_through_the_bouncer_lose_nothing(
    service: TaskService, statements: list[str]
) -> None:
    user = fresh_user_id("bouncer")
    task = service.create(actor=user, draft=TaskDraft(title="start"))
    writers = CLIENT_CONNECTIONS + 2  # more than the engine's pool, which waits
    versions: list[int] = []

    def write(index: int) -> None:
        changed = service.update(
            actor=user, task_id=task.id, changes=TaskChanges(title=f"writer {index}")
        ).task
        versions.append(changed.version)

    run_together(writers, write)

    assert sorted(versions) == list(range(2, writers + 2))
    assert service.get(actor=user, task_id=task.id).version == writers + 1
    assert [s for s in statements if SESSION_STATE.search(s)] == []


def _once(key: str) -> Once:
    return Once(key, "fp", lambda written: StoredResponse(201, str(written.task.id)))


def test_idempotency_keys_decide_between_requests_through_the_bouncer(
    bouncer_engine: Engine, service: TaskService, statements: list[str]
) -> None:
    user = fresh_user_id("bouncer")
    gate = CommitGate()
    held = TaskService(uow_factory=lambda: HeldCommit(bouncer_engine, gate))
    outcomes: list[Outcome] = []
    first = threading.Thread(
        target=lambda: outcomes.append(
            held.create_once(actor=user, draft=TaskDraft(title="once"), once=_once("open"))
        )
    )
    first.start()
    try:
        assert gate.reached.wait(5)
        started = time.monotonic()
        with pytest.raises(IdempotencyInProgress):
            service.create_once(actor=user, draft=TaskDraft(title="once"), once=_once("open"))
        elapsed = time.monotonic() - started
    finally:
        gate.release()
        first.join()

    answers: list[str] = []

    def retry(_index: int) -> None:
        try:
            outcome = service.create_once(actor=user, draft=TaskDraft(title="r"), once=_once("r"))
            answers.append(outcome.response.body)
        except IdempotencyInProgress:
            answers.append("409")

    run_together(CLIENT_CONNECTIONS + 2, retry)

    assert elapsed < 1.0
    assert [outcome.replayed for outcome in outcomes] == [False]
    replay = service.create_once(actor=user, draft=TaskDraft(title="once"), once=_once("open"))
    assert replay.replayed
    assert replay.response == outcomes[0].response
    listed = service.list(actor=user, request=ListRequest()).items
    assert len(listed) == 2
    assert set(answers) - {"409"} == {str(task.id) for task in listed if task.title == "r"}
    assert [s for s in statements if SESSION_STATE.search(s)] == []


def test_the_utc_session_zone_holds_on_whichever_server_connection_a_transaction_gets(
    bouncer: PgBouncer, bouncer_engine: Engine
) -> None:
    # Another client of the bouncer changes the zone of the server connections it uses.
    other = psycopg2.connect(bouncer.url.replace("postgresql+psycopg2://", "postgresql://"))
    other.autocommit = True
    try:
        with other.cursor() as cursor:
            for _ in range(SERVER_CONNECTIONS * 3):
                cursor.execute("SET TIME ZONE 'America/New_York'")
                cursor.execute("SELECT 1")
        zones = []
        for _ in range(CLIENT_CONNECTIONS * 3):
            with bouncer_engine.connect() as connection:
                zones.append(connection.execute(text("SHOW TIME ZONE")).scalar_one())
                connection.rollback()
    finally:
        other.close()

    assert set(zones) == {"UTC"}


def test_the_http_app_answers_through_the_bouncer(bouncer: PgBouncer) -> None:
    container = Container()
    container.settings.override(
        providers.Object(
            load_settings(
                _env_file=None,
                database_url=bouncer.url,
                jwt_secret=SECRET,
                db_pool_size=CLIENT_CONNECTIONS,
            )
        )
    )
    user = fresh_user_id("bouncer")
    auth = {"Authorization": f"Bearer {mint_hs256_token(secret=SECRET, subject=user)}"}
    try:
        with TestClient(create_app(container)) as client:
            ready = client.get("/health/ready")
            ids = [
                client.post("/api/tasks", json={"title": f"via bouncer {n}"}, headers=auth).json()[
                    "id"
                ]
                for n in range(5)
            ]
            first = client.get("/api/tasks?limit=2", headers=auth)
            second = client.get(first.links["next"]["url"], headers=auth)
            one = client.get(f"/api/tasks/{ids[0]}", headers=auth)
            patched = client.patch(f"/api/tasks/{ids[0]}", json={"priority": "high"}, headers=auth)
            completed = client.patch(f"/api/tasks/{ids[1]}/complete", headers=auth)
            deleted = client.delete(f"/api/tasks/{ids[2]}", headers=auth)
            stats = client.get("/api/tasks/stats", headers=auth)
    finally:
        container.engine().dispose()

    assert ready.status_code == 200
    assert (first.status_code, first.headers["X-Total-Count"], len(first.json())) == (200, "5", 2)
    assert [task["id"] for task in second.json()] == ids[2:0:-1]
    assert (one.status_code, one.json()["title"]) == (200, "via bouncer 0")
    assert (patched.status_code, patched.json()["priority"], patched.json()["version"]) == (
        200,
        "high",
        2,
    )
    assert completed.json()["completed"] is True
    assert deleted.status_code == 204
    assert stats.json()["total"] == 4
    assert stats.json()["completed"] == 1
