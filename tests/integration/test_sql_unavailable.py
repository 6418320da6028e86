"""A database that cannot be reached is ``StorageUnavailable``; when it is back, it is used.

The outage is made by a TCP proxy the test owns, between the engine and the
suite's PostgreSQL database; the shared server itself is never touched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from tests.integration.conftest import sql_uow_factory
from tests.support.builders import add_tasks, fresh_user_id, make_task
from tests.support.clock import DEFAULT_START as NOW
from tests.support.tcp_proxy import TcpProxy
from todo_adapters.sql import (
    SqlUnitOfWork,
    database_is_reachable,
    make_engine,
)
from todo_core.edits import TaskChanges, TaskDraft
from todo_core.errors import StorageUnavailable
from todo_core.queries import TaskQuery
from todo_core.services import ListRequest, TaskService

pytestmark = pytest.mark.postgres


@pytest.fixture
def proxied_engine(postgres_url: str, proxy: TcpProxy) -> Iterator[Engine]:
    engine = make_engine(
        proxy.through(postgres_url), connect_timeout=2, pool_timeout=2, pool_size=2, max_overflow=0
    )
    yield engine
    engine.dispose()


@pytest.fixture
def service(proxied_engine: Engine) -> TaskService:
    return TaskService(uow_factory=sql_uow_factory(proxied_engine))


def test_every_use_case_raises_storage_unavailable_while_the_database_is_cut_off(
    service: TaskService, proxy: TcpProxy
) -> None:
    user_id = fresh_user_id()
    task = service.create(actor=user_id, draft=TaskDraft(title="before the outage"))
    proxy.cut()

    attempts: dict[str, Callable[[], object]] = {
        "create": lambda: service.create(actor=user_id, draft=TaskDraft(title="x")),
        "get": lambda: service.get(actor=user_id, task_id=task.id),
        "list": lambda: service.list(actor=user_id, request=ListRequest()),
        "update": lambda: service.update(
            actor=user_id, task_id=task.id, changes=TaskChanges(title="y")
        ),
        "complete": lambda: service.set_completed(actor=user_id, task_id=task.id),
        "delete": lambda: service.delete(actor=user_id, task_id=task.id),
        "stats": lambda: service.stats(actor=user_id),
    }
    outcomes = {}
    for name, attempt in attempts.items():
        try:
            attempt()
        except StorageUnavailable:
            outcomes[name] = "unavailable"
        else:
            outcomes[name] = "succeeded"

    assert outcomes == dict.fromkeys(attempts, "unavailable")


def test_the_same_engine_works_again_once_the_database_is_back(
    service: TaskService, proxy: TcpProxy, proxied_engine: Engine
) -> None:
    user_id = fresh_user_id()
    task = service.create(actor=user_id, draft=TaskDraft(title="survives"))
    proxy.cut()
    with pytest.raises(StorageUnavailable):
        service.get(actor=user_id, task_id=task.id)
    assert database_is_reachable(proxied_engine) is False

    proxy.restore()

    assert database_is_reachable(proxied_engine) is True
    assert service.get(actor=user_id, task_id=task.id).title == "survives"
    renamed = service.update(
        actor=user_id, task_id=task.id, changes=TaskChanges(title="again")
    ).task
    assert renamed.version == 2


def test_a_connection_lost_inside_a_unit_of_work_is_storage_unavailable(
    proxied_engine: Engine, proxy: TcpProxy, postgres_engine: Engine
) -> None:
    factory = proxied_engine
    task = make_task(user_id=fresh_user_id())
    with SqlUnitOfWork(factory) as uow:
        uow.tasks.add(task)
        uow.commit()

    with SqlUnitOfWork(factory) as uow:
        loaded = uow.tasks.get(task.user_id, task.id, for_update=True)
        assert loaded is not None
        proxy.cut()
        loaded.rename("never stored")
        loaded.finish_write(now=task.created_at)
        with pytest.raises(StorageUnavailable):
            uow.tasks.save(loaded, previous_version=1)

    proxy.restore()
    with SqlUnitOfWork(postgres_engine) as check:
        stored = check.tasks.get(task.user_id, task.id)
    assert stored is not None
    assert (stored.title, stored.version) == (task.title, 1)


def test_a_commit_that_cannot_reach_the_database_is_storage_unavailable_and_not_applied(
    proxied_engine: Engine, proxy: TcpProxy, postgres_engine: Engine
) -> None:
    factory = proxied_engine
    task = make_task(user_id=fresh_user_id())

    with SqlUnitOfWork(factory) as uow:
        uow.tasks.add(task)
        proxy.cut()
        with pytest.raises(StorageUnavailable):
            uow.commit()

    with SqlUnitOfWork(postgres_engine) as check:
        assert check.tasks.get(task.user_id, task.id) is None


def test_a_unit_of_work_entered_during_an_outage_fails_at_its_first_statement(
    proxied_engine: Engine, proxy: TcpProxy
) -> None:
    proxy.cut()
    query = TaskQuery(user_id=fresh_user_id(), now=NOW)

    with (
        pytest.raises(StorageUnavailable),
        SqlUnitOfWork(proxied_engine) as uow,
    ):
        uow.reader.list(query)


def test_a_pool_with_no_connection_to_give_is_storage_unavailable(
    proxied_engine: Engine,
) -> None:
    factory = proxied_engine
    holders = [SqlUnitOfWork(factory), SqlUnitOfWork(factory)]
    for holder in holders:
        holder.__enter__()
        holder.reader.stats(fresh_user_id(), now=NOW)

    try:
        with pytest.raises(StorageUnavailable), SqlUnitOfWork(factory) as uow:
            uow.reader.stats(fresh_user_id(), now=NOW)
    finally:
        for holder in holders:
            holder.__exit__(None, None, None)


def test_an_integrity_error_is_not_mistaken_for_an_outage(postgres_engine: Engine) -> None:
    factory = postgres_engine
    broken = make_task(user_id=fresh_user_id(), version=0)  # violates CHECK (version >= 1)

    with pytest.raises(IntegrityError):
        add_tasks(lambda: SqlUnitOfWork(factory), broken)
