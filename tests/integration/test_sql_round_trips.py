"""How many statements each use case sends to PostgreSQL (counted at the cursor)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import Engine, event

from tests.integration.conftest import sql_uow_factory
from tests.support.builders import fresh_user_id
from tests.support.clock import FakeClock
from todo_core.changes import TaskChanges, TaskDraft
from todo_core.errors import TaskNotFound, VersionConflict
from todo_core.model import TaskPriority
from todo_core.queries import SortField, TaskFilter
from todo_core.services import ListRequest, TaskService

pytestmark = pytest.mark.postgres


@dataclass
class Traffic:
    """Statements and commits seen on an engine while recording."""

    statements: list[str] = field(default_factory=list)
    commits: int = 0
    recording: bool = False

    def measure(self, action: Callable[[], Any]) -> tuple[int, int]:
        """Run ``action``; return (statements, commits) it caused."""
        self.statements.clear()
        self.commits = 0
        self.recording = True
        try:
            action()
        finally:
            self.recording = False
        return len(self.statements), self.commits


@pytest.fixture
def traffic(postgres_engine: Engine) -> Iterator[Traffic]:
    seen = Traffic()

    def on_statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if seen.recording:
            seen.statements.append(statement)

    def on_commit(_conn: Any) -> None:
        if seen.recording:
            seen.commits += 1

    event.listen(postgres_engine, "before_cursor_execute", on_statement)
    event.listen(postgres_engine, "commit", on_commit)
    yield seen
    event.remove(postgres_engine, "before_cursor_execute", on_statement)
    event.remove(postgres_engine, "commit", on_commit)


@pytest.fixture
def service(postgres_engine: Engine) -> TaskService:
    return TaskService(uow_factory=sql_uow_factory(postgres_engine), clock=FakeClock())


def test_each_use_case_costs_at_most_two_statements_plus_the_commit(
    service: TaskService, traffic: Traffic
) -> None:
    user_id = fresh_user_id()
    for n in range(3):
        service.create(actor=user_id, draft=TaskDraft(title=f"seed {n}"))
    task = service.create(actor=user_id, draft=TaskDraft(title="measured"))
    first_page = service.list(actor=user_id, request=ListRequest(limit=2))
    assert first_page.next_cursor is not None

    costs = {
        "create": traffic.measure(
            lambda: service.create(actor=user_id, draft=TaskDraft(title="new"))
        ),
        "get": traffic.measure(lambda: service.get(actor=user_id, task_id=task.id)),
        "list": traffic.measure(lambda: service.list(actor=user_id, request=ListRequest())),
        "list, filtered and sorted": traffic.measure(
            lambda: service.list(
                actor=user_id,
                request=ListRequest(
                    filter=TaskFilter(search="seed", priorities=frozenset({TaskPriority.MEDIUM})),
                    sort=SortField.TITLE,
                ),
            )
        ),
        "list, next page by cursor": traffic.measure(
            lambda: service.list(
                actor=user_id, request=ListRequest(limit=2, cursor=first_page.next_cursor)
            )
        ),
        "list, offset past the end": traffic.measure(
            lambda: service.list(actor=user_id, request=ListRequest(offset=1000))
        ),
        "update": traffic.measure(
            lambda: service.update(
                actor=user_id, task_id=task.id, changes=TaskChanges(title="renamed")
            )
        ),
        "complete": traffic.measure(lambda: service.set_completed(actor=user_id, task_id=task.id)),
        "stats": traffic.measure(lambda: service.stats(actor=user_id)),
        "delete": traffic.measure(lambda: service.delete(actor=user_id, task_id=task.id)),
    }

    assert costs == {
        "create": (1, 1),
        "get": (1, 0),
        "list": (1, 0),
        "list, filtered and sorted": (1, 0),
        "list, next page by cursor": (1, 0),
        "list, offset past the end": (1, 0),
        "update": (2, 1),
        "complete": (2, 1),
        "stats": (1, 0),
        "delete": (2, 1),
    }


def test_error_paths_cost_one_statement_and_no_commit(
    service: TaskService, traffic: Traffic
) -> None:
    user_id = fresh_user_id()
    task = service.create(actor=user_id, draft=TaskDraft(title="conditional"))

    def missing() -> None:
        with pytest.raises(TaskNotFound):
            service.update(actor=user_id, task_id=uuid.uuid4(), changes=TaskChanges(title="x"))

    def stale() -> None:
        with pytest.raises(VersionConflict):
            service.delete(actor=user_id, task_id=task.id, expected_version=7)

    assert traffic.measure(missing) == (1, 0)
    assert traffic.measure(stale) == (1, 0)


def test_a_write_that_changes_nothing_costs_one_statement(
    service: TaskService, traffic: Traffic
) -> None:
    user_id = fresh_user_id()
    task = service.create(actor=user_id, draft=TaskDraft(title="same"))

    cost = traffic.measure(
        lambda: service.update(actor=user_id, task_id=task.id, changes=TaskChanges(title="same"))
    )

    assert cost == (1, 1)


def test_a_locked_read_and_the_conditional_write_are_the_statements_of_an_update(
    service: TaskService, traffic: Traffic
) -> None:
    user_id = fresh_user_id()
    task = service.create(actor=user_id, draft=TaskDraft(title="inspect"))

    traffic.measure(
        lambda: service.update(actor=user_id, task_id=task.id, changes=TaskChanges(title="b"))
    )

    select, update = (" ".join(s.split()) for s in traffic.statements)
    assert select.startswith("SELECT")
    assert select.endswith("FOR UPDATE")
    assert update.startswith("UPDATE tasks SET")
    assert "WHERE tasks.id = " in update
    assert "tasks.version = " in update
