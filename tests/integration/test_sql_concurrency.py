"""Concurrent writes to one task never lose each other (PostgreSQL and a SQLite file)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.integration.conftest import sql_uow_factory
from tests.support.builders import fresh_user_id
from tests.support.threads import run_together
from todo_adapters.sql import make_engine, upgrade_database
from todo_core.edits import TaskChanges, TaskDraft
from todo_core.model import Task, TaskStatus
from todo_core.services import TaskService

WRITERS = 20


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def busy_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine with a pool big enough for every writer at once."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'concurrent.db'}"
        upgrade_database(url)
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(url, pool_size=WRITERS, max_overflow=0, pool_timeout=30)
    yield engine
    engine.dispose()


def test_twenty_concurrent_updates_of_one_task_are_all_applied(busy_engine: Engine) -> None:
    service = TaskService(uow_factory=sql_uow_factory(busy_engine))
    user_id = fresh_user_id()
    task = service.create(actor=user_id, draft=TaskDraft(title="start", description="start"))
    results: dict[int, Task] = {}

    def write(index: int) -> None:
        # Even writers rename, odd writers describe: fields of different writers
        # must not overwrite each other with stale values.
        changes = (
            TaskChanges(title=f"title by {index}")
            if index % 2 == 0
            else TaskChanges(description=f"description by {index}")
        )
        results[index] = service.update(actor=user_id, task_id=task.id, changes=changes).task

    run_together(WRITERS, write)
    final = service.get(actor=user_id, task_id=task.id)

    versions = sorted(result.version for result in results.values())
    last_title = max((r for i, r in results.items() if i % 2 == 0), key=lambda r: r.version)
    last_description = max((r for i, r in results.items() if i % 2), key=lambda r: r.version)
    assert versions == list(range(2, WRITERS + 2))
    assert final.version == 1 + WRITERS
    assert final.title == last_title.title
    assert final.description == last_description.description
    # Each write saw every earlier one: the result of version v carries the latest
    # title and description written at or before v.
    by_version = {result.version: result for result in results.values()}
    title: str = "start"
    description: str | None = "start"
    for version in range(2, WRITERS + 2):
        result = by_version[version]
        written_title = result.title != title
        written_description = result.description != description
        assert written_title != written_description, f"version {version} lost a write"
        title, description = result.title, result.description


def test_concurrent_writers_to_different_tasks_all_succeed(busy_engine: Engine) -> None:
    service = TaskService(uow_factory=sql_uow_factory(busy_engine))
    user_id = fresh_user_id()
    tasks = [
        service.create(actor=user_id, draft=TaskDraft(title=f"task {n}")) for n in range(WRITERS)
    ]

    def write(index: int) -> None:
        service.set_completed(actor=user_id, task_id=tasks[index].id)
        service.update(
            actor=user_id, task_id=tasks[index].id, changes=TaskChanges(title=f"done {index}")
        )

    run_together(WRITERS, write)

    stats = service.stats(actor=user_id)
    finals = [service.get(actor=user_id, task_id=task.id) for task in tasks]
    assert stats.by_status[TaskStatus.COMPLETED] == WRITERS
    assert {(task.title, task.version) for task in finals} == {
        (f"done {n}", 3) for n in range(WRITERS)
    }
