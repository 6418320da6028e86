"""The per-user task quota (``MAX_TASKS_PER_USER``), the same against every adapter.

The storage decides, in the write itself: a create beyond the limit is
``TaskLimitReached`` and stores nothing, concurrent creates at the limit leave
exactly the limit, a delete frees a place, and a recurring task's next
occurrence and an import count like any create.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest

from tests.support.builders import fresh_user_id
from tests.support.clock import DEFAULT_START, FakeClock
from tests.support.threads import run_together
from todo_adapters.recurrence import DateutilOccurrences
from todo_core.edits import TaskDraft
from todo_core.errors import TaskLimitReached
from todo_core.ports import UnitOfWork
from todo_core.queries import TaskQuery
from todo_core.services import TaskService

UowFactory = Callable[[], UnitOfWork]


def _service(uow_factory: UowFactory, limit: int) -> TaskService:
    return TaskService(
        uow_factory=uow_factory,
        clock=FakeClock(),
        occurrences=DateutilOccurrences(),
        max_tasks_per_user=limit,
    )


def _count(uow_factory: UowFactory, user_id: str) -> int:
    with uow_factory() as uow:
        return uow.reader.list(TaskQuery(user_id=user_id, now=DEFAULT_START, limit=1)).total


class QuotaContract:
    """Mixed into ``RepositoryContract``."""

    def test_a_create_beyond_the_limit_is_refused_and_stores_nothing(
        self, uow_factory: UowFactory
    ) -> None:
        user = fresh_user_id()
        service = _service(uow_factory, limit=3)
        for index in range(3):
            service.create(actor=user, draft=TaskDraft(title=f"t{index}"))

        with pytest.raises(TaskLimitReached):
            service.create(actor=user, draft=TaskDraft(title="one too many"))

        assert _count(uow_factory, user) == 3
        assert len(service.changes(actor=user).changed) == 3

    def test_a_delete_frees_a_place_and_other_users_are_not_counted(
        self, uow_factory: UowFactory
    ) -> None:
        user, other = fresh_user_id(), fresh_user_id()
        service = _service(uow_factory, limit=2)
        first = service.create(actor=user, draft=TaskDraft(title="a"))
        service.create(actor=user, draft=TaskDraft(title="b"))
        service.create(actor=other, draft=TaskDraft(title="theirs"))

        service.delete(actor=user, task_id=first.id)
        service.create(actor=user, draft=TaskDraft(title="c"))

        with pytest.raises(TaskLimitReached):
            service.create(actor=user, draft=TaskDraft(title="d"))
        assert _count(uow_factory, user) == 2

    def test_an_import_beyond_the_limit_stores_nothing(self, uow_factory: UowFactory) -> None:
        user = fresh_user_id()
        service = _service(uow_factory, limit=5)
        service.create(actor=user, draft=TaskDraft(title="already there"))

        with pytest.raises(TaskLimitReached):
            service.create_many(actor=user, drafts=[TaskDraft(title=f"t{i}") for i in range(5)])

        assert _count(uow_factory, user) == 1
        service.create_many(actor=user, drafts=[TaskDraft(title=f"t{i}") for i in range(4)])
        assert _count(uow_factory, user) == 5

    def test_completing_a_recurring_task_at_the_limit_is_refused_and_changes_nothing(
        self, uow_factory: UowFactory
    ) -> None:
        user = fresh_user_id()
        service = _service(uow_factory, limit=1)
        task = service.create(
            actor=user,
            draft=TaskDraft(
                title="weekly",
                due_date=DEFAULT_START + timedelta(days=1),
                recurrence="FREQ=WEEKLY",
            ),
        )

        with pytest.raises(TaskLimitReached):
            service.set_completed(actor=user, task_id=task.id, completed=True)

        assert service.get(actor=user, task_id=task.id).completed is False
        assert _count(uow_factory, user) == 1

    def test_twenty_concurrent_creates_at_the_limit_leave_exactly_the_limit(
        self, uow_factory: UowFactory
    ) -> None:
        user = fresh_user_id()
        service = _service(uow_factory, limit=7)
        refused: list[uuid.UUID] = []
        lock = threading.Lock()

        def create(index: int) -> None:
            try:
                service.create(actor=user, draft=TaskDraft(title=f"t{index}"))
            except TaskLimitReached:
                with lock:
                    refused.append(uuid.uuid4())

        run_together(20, create)

        assert _count(uow_factory, user) == 7
        assert len(refused) == 13
