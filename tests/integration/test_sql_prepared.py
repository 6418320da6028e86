"""The statements PostgreSQL plans once per connection (``todo_adapters.sql.prepared``).

A marked statement goes out as ``PREPARE ...; EXECUTE ...`` the first time
on a connection and as ``EXECUTE ...`` after that, one message either way;
a server connection that lost it, or holds it while the client forgot, is
set right by sending the message again; the use cases send as many
statements as unprepared, with the same results. Through PgBouncer in
transaction mode: ``test_through_pgbouncer.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, Final

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.dialects import postgresql

from tests.integration.conftest import sql_uow_factory
from tests.support.builders import fresh_user_id
from tests.support.pg_wire import WireLog
from tests.support.tcp_proxy import TcpProxy
from todo_adapters.sql import make_engine
from todo_adapters.sql.changes import created_statement
from todo_adapters.sql.engine import statement_timeout_prefix
from todo_adapters.sql.prepared import EXISTS, KNOWN, MISSING, prepared_statement, send_prepared
from todo_adapters.sql.statements import get_statement, patch_statement
from todo_core.edits import TaskChanges, TaskDraft
from todo_core.errors import TaskNotFound
from todo_core.services import TaskService

pytestmark = pytest.mark.postgres

TIMEOUT_MS: Final = 5000
PREFIX: Final = statement_timeout_prefix(TIMEOUT_MS)
_NAME: Final = re.compile(r"todo_[0-9a-f]{24}")


@pytest.fixture
def wire() -> WireLog:
    return WireLog()


@pytest.fixture
def engine(postgres_url: str, wire: WireLog) -> Iterator[Engine]:
    """One pooled connection (so every use case meets the same one), through a tapped proxy."""
    with TcpProxy.in_front_of(postgres_url, tap=wire.stream) as proxy:
        engine = make_engine(
            proxy.through(postgres_url),
            pool_size=1,
            statement_timeout_ms=TIMEOUT_MS,
            ping_after_idle_seconds=3600,
        )
        yield engine
        engine.dispose()


@pytest.fixture
def messages(engine: Engine) -> Iterator[list[str]]:
    """Every message sent on ``engine``, without the statement timeout's prefix."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement.removeprefix(PREFIX))

    event.listen(engine, "before_cursor_execute", record)
    yield sent
    event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def service(engine: Engine) -> TaskService:
    return TaskService(uow_factory=sql_uow_factory(engine))


def _shapes(messages: list[str]) -> list[str]:
    """Each message as ``PREPARE+EXECUTE``, ``EXECUTE`` or its first keyword."""
    shapes = []
    for message in messages:
        if message.startswith("PREPARE "):
            assert "; EXECUTE " in message
            shapes.append("PREPARE+EXECUTE")
        else:
            shapes.append(message.split(" ", 1)[0])
    return shapes


def _run(messages: list[str], action: Callable[[], Any]) -> list[str]:
    messages.clear()
    action()
    return _shapes(messages)


def test_a_marked_statement_is_prepared_once_per_connection_then_run_by_name(
    service: TaskService, messages: list[str], wire: WireLog
) -> None:
    user = fresh_user_id("prepared")

    first = service.create(actor=user, draft=TaskDraft(title="first"))
    assert _shapes(messages) == ["PREPARE+EXECUTE"]
    assert _run(messages, lambda: service.create(actor=user, draft=TaskDraft(title="2nd"))) == [
        "EXECUTE"
    ]
    assert _run(messages, lambda: service.get(actor=user, task_id=first.id)) == ["PREPARE+EXECUTE"]
    fetched = service.get(actor=user, task_id=first.id)
    rename = TaskChanges(title="renamed")
    renamed = service.update(actor=user, task_id=first.id, changes=rename).task
    again = service.update(actor=user, task_id=first.id, changes=TaskChanges(title="again")).task
    service.delete(actor=user, task_id=first.id)

    assert fetched == first
    assert (renamed.title, renamed.version, again.title, again.version) == (
        "renamed",
        2,
        "again",
        3,
    )
    with pytest.raises(TaskNotFound):
        service.get(actor=user, task_id=first.id)
    # On the wire: one message per statement, each classified by what it runs.
    assert wire.snapshot()[-1] == "SELECT"
    assert "EXECUTE" not in wire.snapshot()


def test_a_use_case_sends_as_many_statements_prepared_as_unprepared(
    service: TaskService, messages: list[str], wire: WireLog
) -> None:
    user = fresh_user_id("prepared")
    task = service.create(actor=user, draft=TaskDraft(title="counted"))
    service.update(actor=user, task_id=task.id, changes=TaskChanges(title="warm"))
    service.get(actor=user, task_id=task.id)
    wire.clear()

    service.get(actor=user, task_id=task.id)
    service.update(actor=user, task_id=task.id, changes=TaskChanges(title="plain"))
    service.create(actor=user, draft=TaskDraft(title="another"))

    assert wire.snapshot() == ["SELECT", "WITH", "WITH"]
    assert wire.timed == 3  # the statement timeout rides in each one's message


def test_a_statement_the_server_connection_lost_is_prepared_again(
    engine: Engine, service: TaskService, messages: list[str]
) -> None:
    user = fresh_user_id("prepared")
    task = service.create(actor=user, draft=TaskDraft(title="lost"))
    service.get(actor=user, task_id=task.id)
    with engine.connect() as connection:  # the pool's one connection
        connection.exec_driver_sql("DEALLOCATE ALL")  # as a session pooler's DISCARD ALL
        connection.commit()

    assert _run(messages, lambda: service.get(actor=user, task_id=task.id)) == [
        "EXECUTE",
        "PREPARE+EXECUTE",
    ]
    assert _run(messages, lambda: service.get(actor=user, task_id=task.id)) == ["EXECUTE"]


def test_a_statement_the_server_connection_holds_but_the_client_forgot_is_run_by_name(
    engine: Engine, service: TaskService, messages: list[str]
) -> None:
    user = fresh_user_id("prepared")
    task = service.create(actor=user, draft=TaskDraft(title="held"))
    with engine.connect() as connection:
        connection.info[KNOWN].clear()  # as a client moved to a server connection that has it

    assert _run(messages, lambda: service.create(actor=user, draft=TaskDraft(title="x"))) == [
        "PREPARE+EXECUTE",
        "EXECUTE",
    ]
    assert service.get(actor=user, task_id=task.id).title == "held"


def test_a_failed_statement_is_not_retried_and_changes_nothing(
    engine: Engine, service: TaskService, messages: list[str]
) -> None:
    user = fresh_user_id("prepared")
    task = service.create(actor=user, draft=TaskDraft(title="once"))
    ids = iter([task.id])
    clashing = TaskService(uow_factory=sql_uow_factory(engine), id_factory=lambda: next(ids))

    messages.clear()
    with pytest.raises(ValueError, match="already exists"):
        clashing.create(actor=user, draft=TaskDraft(title="same id"))
    assert _shapes(messages) == ["EXECUTE"]
    assert service.get(actor=user, task_id=task.id).title == "once"


def test_off_sends_every_statement_as_compiled(postgres_url: str) -> None:
    engine = make_engine(postgres_url, prepared_statements=False)
    sent: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: sent.append(args[2]))
    try:
        service = TaskService(uow_factory=sql_uow_factory(engine))
        user = fresh_user_id("prepared")
        task = service.create(actor=user, draft=TaskDraft(title="plain"))
        service.get(actor=user, task_id=task.id)
    finally:
        engine.dispose()
    assert [message.split(" ", 1)[0] for message in sent] == ["WITH", "SELECT"]


def test_a_prepared_statement_declares_its_parameters_types_and_is_named_by_its_text() -> None:
    dialect = postgresql.psycopg2.dialect()  # type: ignore[no-untyped-call]
    get = prepared_statement(get_statement(for_update=False).compile(dialect=dialect))
    patch = patch_statement(frozenset({"title", "title_key"}), frozenset({"title"}), checked=True)
    create = prepared_statement(created_statement().compile(dialect=dialect))

    assert get is not None
    assert create is not None
    assert get.prepare.startswith(f"PREPARE {get.name} (UUID, VARCHAR(255)) AS SELECT ")
    assert "WHERE tasks.id = $1::UUID AND tasks.user_id = $2" in get.prepare
    assert get.execute == f"EXECUTE {get.name} (%(match_id)s, %(match_user_id)s)"
    assert _NAME.fullmatch(get.name)
    assert _NAME.fullmatch(create.name)
    assert "%(" not in create.prepare
    assert "COLLATE" not in create.prepare
    again = prepared_statement(get_statement(for_update=False).compile(dialect=dialect))
    assert again is not None
    assert again.name == get.name
    assert prepared_statement(patch.compile(dialect=dialect)) is not None


class _ServerError(Exception):
    def __init__(self, pgcode: str) -> None:
        super().__init__(pgcode)
        self.pgcode = pgcode


def test_a_statement_the_server_connections_keep_disagreeing_about_goes_as_compiled() -> None:
    """Through a transaction pooler each message may land on another server connection."""
    dialect = postgresql.psycopg2.dialect()  # type: ignore[no-untyped-call]
    statement = prepared_statement(get_statement(for_update=False).compile(dialect=dialect))
    assert statement is not None
    answers = iter([_ServerError(EXISTS), _ServerError(MISSING)])
    sent: list[str] = []

    def send(message: str) -> str:
        sent.append(message)
        answer = next(answers, None)
        if answer is not None:
            raise answer
        return "rows"

    known: set[str] = set()
    assert send_prepared(statement, known, send, _ServerError) == "rows"
    assert _shapes(sent) == ["PREPARE+EXECUTE", "EXECUTE", "SELECT"]
    assert sent[-1] == statement.plain


def test_a_server_error_of_the_statement_itself_is_not_sent_again() -> None:
    dialect = postgresql.psycopg2.dialect()  # type: ignore[no-untyped-call]
    statement = prepared_statement(get_statement(for_update=False).compile(dialect=dialect))
    assert statement is not None
    sent: list[str] = []

    def send(message: str) -> str:
        sent.append(message)
        raise _ServerError("23505")

    with pytest.raises(_ServerError):
        send_prepared(statement, {statement.name}, send, _ServerError)
    assert _shapes(sent) == ["EXECUTE"]
