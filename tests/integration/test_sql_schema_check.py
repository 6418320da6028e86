"""The schema revision read in one statement, and the cause every ``StorageUnavailable`` carries."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url

from tests.integration.conftest import sql_uow_factory
from tests.support.builders import fresh_user_id
from tests.support.clock import DEFAULT_START as NOW
from tests.support.tcp_proxy import TcpProxy
from todo_adapters.sql import SqlUnitOfWork, downgrade_database, make_engine, upgrade_database
from todo_adapters.sql.errors import MAX_CAUSE_LENGTH
from todo_adapters.sql.migrations import head_revision
from todo_adapters.sql.schema import DatabaseStatus, check_database
from todo_core.edits import TaskDraft
from todo_core.errors import StorageUnavailable
from todo_core.queries import TaskFilter
from todo_core.services import ListRequest, TaskService


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty database of each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'empty.db'}"
    else:
        url = request.getfixturevalue("fresh_postgres_url")
    engine = make_engine(url)
    yield engine
    engine.dispose()


def _statements(engine: Engine) -> list[str]:
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    return seen


def test_a_database_never_migrated_is_schema_out_of_date_at_revision_none(
    empty_engine: Engine,
) -> None:
    check = check_database(empty_engine)

    assert (check.status, check.revision, check.head) == (
        DatabaseStatus.SCHEMA_OUT_OF_DATE,
        None,
        head_revision(),
    )
    assert check.schema_problem == (
        f"database schema is at none, this version needs {head_revision()}: run 'todo db upgrade'"
    )


def test_a_migrated_database_is_ok_after_one_statement(empty_engine: Engine) -> None:
    upgrade_database(empty_engine)
    statements = _statements(empty_engine)

    check = check_database(empty_engine)

    assert (check.status, check.revision) == (DatabaseStatus.OK, head_revision())
    # (SQLite's BEGIN is the adapter's own in-process hook, not a round trip.)
    assert [sql for sql in statements if sql != "BEGIN"] == [
        "SELECT version_num FROM alembic_version"
    ]


def test_a_schema_migrated_down_underneath_is_out_of_date_again(empty_engine: Engine) -> None:
    upgrade_database(empty_engine)

    downgrade_database(empty_engine, "base")

    assert check_database(empty_engine).status is DatabaseStatus.SCHEMA_OUT_OF_DATE


def test_a_revision_this_version_does_not_know_is_out_of_date_and_named(
    empty_engine: Engine,
) -> None:
    upgrade_database(empty_engine)
    with empty_engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")

    check = check_database(empty_engine)

    assert (check.status, check.revision) == (DatabaseStatus.SCHEMA_OUT_OF_DATE, "9999")
    assert check.schema_problem.startswith("database schema is at 9999, this version needs ")


def test_a_use_case_on_an_unmigrated_database_is_unavailable_with_a_schema_cause(
    empty_engine: Engine,
) -> None:
    service = TaskService(uow_factory=sql_uow_factory(empty_engine))
    user = fresh_user_id()

    with pytest.raises(StorageUnavailable) as raised:
        service.list(
            actor=user, request=ListRequest(filter=TaskFilter(search="secret-search-term"))
        )

    cause = raised.value.cause or ""
    assert cause.startswith("schema out of date (")
    assert "tasks" in cause
    for leak in ("SELECT", "[SQL", "parameters", user, "secret-search-term", "\n"):
        assert leak not in cause
    assert raised.value.message == "Service temporarily unavailable"


@pytest.mark.postgres
def test_an_unreachable_database_is_unreachable_with_a_cause_naming_no_password(
    postgres_url: str,
) -> None:
    target = make_url(postgres_url)
    with TcpProxy(target.host or "127.0.0.1", target.port or 5432) as proxy:
        url = make_url(proxy.through(postgres_url)).set(password="s3cret-pw")
        engine = make_engine(url, connect_timeout=2)
        proxy.cut()
        try:
            check = check_database(engine)
        finally:
            engine.dispose()

    assert check.status is DatabaseStatus.UNREACHABLE
    assert (check.cause or "").startswith("OperationalError: ")
    assert "s3cret-pw" not in (check.cause or "")
    assert len(check.cause or "") <= MAX_CAUSE_LENGTH


def test_a_pool_with_no_connection_to_give_says_so_in_its_cause(tmp_path: Path) -> None:
    engine = make_engine(
        f"sqlite:///{tmp_path / 'pool.db'}", pool_size=1, max_overflow=0, pool_timeout=0.1
    )
    upgrade_database(engine)
    holder = SqlUnitOfWork(engine)
    holder.__enter__()
    holder.reader.stats(fresh_user_id(), now=NOW)

    try:
        with pytest.raises(StorageUnavailable) as raised, SqlUnitOfWork(engine) as uow:
            uow.reader.stats(fresh_user_id(), now=NOW)
    finally:
        holder.__exit__(None, None, None)
        engine.dispose()

    assert (raised.value.cause or "").startswith("TimeoutError: QueuePool limit of size 1")
    assert "sqlalche.me" not in (raised.value.cause or "")


def test_creating_a_task_on_an_unmigrated_database_changes_nothing_and_says_why(
    empty_engine: Engine,
) -> None:
    service = TaskService(uow_factory=sql_uow_factory(empty_engine))

    with pytest.raises(StorageUnavailable) as raised:
        service.create(actor=fresh_user_id(), draft=TaskDraft(title="private title"))

    assert "private title" not in (raised.value.cause or "")
    assert check_database(empty_engine).status is DatabaseStatus.SCHEMA_OUT_OF_DATE
