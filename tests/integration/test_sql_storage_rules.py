"""What the database itself refuses, and text it cannot hold never reaching it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, insert
from sqlalchemy.exc import DBAPIError, IntegrityError

from tests.integration.conftest import sql_uow_factory
from tests.support.builders import add_tasks, fresh_user_id, make_task
from todo_adapters.sql.mapper import values_from_task
from todo_adapters.sql.rows import tasks_table
from todo_core.edits import TaskChanges, TaskDraft
from todo_core.errors import InvalidInput
from todo_core.model import Task
from todo_core.ports import UnitOfWork
from todo_core.services import ListRequest, TaskService


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Engine:
    name = "sqlite_engine" if request.param == "sqlite" else "postgres_engine"
    engine: Engine = request.getfixturevalue(name)
    return engine


def _insert_raw(engine: Engine, **overrides: Any) -> None:
    values = values_from_task(make_task(user_id=fresh_user_id())) | overrides
    with engine.begin() as connection:
        connection.execute(insert(tasks_table()), values)


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"title": "x" * 256}, id="title-too-long"),
        pytest.param({"title": ""}, id="title-empty"),
        pytest.param({"description": "x" * 2001}, id="description-too-long"),
        pytest.param({"user_id": "u" * 256}, id="user-id-too-long"),
        pytest.param({"user_id": ""}, id="user-id-empty"),
        pytest.param({"status": "archived"}, id="unknown-status"),
        pytest.param({"priority": "urgent"}, id="unknown-priority"),
        pytest.param({"status": "completed", "status_rank": 0}, id="status-rank-out-of-step"),
        pytest.param({"priority": "high", "priority_rank": 0}, id="priority-rank-out-of-step"),
        pytest.param({"version": 0}, id="version-zero"),
    ],
)
def test_the_database_enforces_the_field_rules_too(
    engine: Engine, overrides: dict[str, Any]
) -> None:
    with pytest.raises((IntegrityError, DBAPIError)):
        _insert_raw(engine, **overrides)


def test_the_longest_valid_fields_are_stored(engine: Engine) -> None:
    _insert_raw(engine, title="é" * 255, description="ß" * 2000, user_id="u" * 255)


@pytest.mark.postgres
@pytest.mark.parametrize(
    "draft",
    [
        pytest.param(TaskDraft(title="before\x00after"), id="title"),
        pytest.param(TaskDraft(title="ok", description="before\x00after"), id="description"),
    ],
)
def test_a_create_with_a_nul_character_is_invalid_input_and_stores_nothing(
    postgres_engine: Engine, draft: TaskDraft
) -> None:
    service = TaskService(uow_factory=sql_uow_factory(postgres_engine))
    user_id = fresh_user_id()

    with pytest.raises(InvalidInput):
        service.create(actor=user_id, draft=draft)

    assert service.list(actor=user_id, request=ListRequest()).total == 0


@pytest.mark.postgres
@pytest.mark.parametrize(
    "changes",
    [
        pytest.param(TaskChanges(title="new\x00title"), id="title"),
        pytest.param(TaskChanges(description="new\x00description"), id="description"),
    ],
)
def test_an_update_with_a_nul_character_is_invalid_input_and_changes_nothing(
    postgres_engine: Engine, changes: TaskChanges
) -> None:
    service = TaskService(uow_factory=sql_uow_factory(postgres_engine))
    user_id = fresh_user_id()
    task = service.create(actor=user_id, draft=TaskDraft(title="kept", description="kept"))

    with pytest.raises(InvalidInput):
        service.update(actor=user_id, task_id=task.id, changes=changes)

    assert service.get(actor=user_id, task_id=task.id) == task


@pytest.mark.parametrize("user_id", ["nul\x00user", "lone\ud800surrogate"])
def test_reads_for_a_user_id_the_database_cannot_hold_find_nothing(
    engine: Engine, user_id: str
) -> None:
    service = TaskService(uow_factory=sql_uow_factory(engine))

    page = service.list(actor=user_id, request=ListRequest())
    stats = service.stats(actor=user_id)
    with sql_uow_factory(engine)() as uow:
        missing = uow.tasks.get(user_id, uuid.uuid4())

    assert (page.items, page.total, stats.total, missing) == ([], 0, 0, None)


def test_adding_a_task_whose_id_exists_is_a_value_error_like_in_memory(engine: Engine) -> None:
    task = make_task(user_id=fresh_user_id())
    factory = sql_uow_factory(engine)
    with factory() as uow:
        uow.tasks.add(task)
        uow.commit()

    with pytest.raises(ValueError, match="already exists"):
        add_tasks(factory, task)
    with pytest.raises(ValueError, match="already exists"):
        add_many_tasks(factory, [make_task(user_id=task.user_id), task])

    page = TaskService(uow_factory=factory).list(actor=task.user_id, request=ListRequest())
    assert page.total == 1


def add_many_tasks(factory: Callable[[], UnitOfWork], tasks: list[Task]) -> None:
    with factory() as uow:
        uow.tasks.add_many(tasks)
        uow.commit()


def test_add_many_stores_every_task_in_one_go(engine: Engine) -> None:
    user_id = fresh_user_id()
    tasks = [make_task(user_id=user_id, title=f"bulk {n}") for n in range(250)]
    factory = sql_uow_factory(engine)

    with factory() as uow:
        uow.tasks.add_many(tasks)
        uow.commit()

    page = TaskService(uow_factory=factory).list(actor=user_id, request=ListRequest(limit=1))
    assert page.total == 250
