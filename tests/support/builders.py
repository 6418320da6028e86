"""Build tasks and services for tests without repeating every field."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from tests.support.clock import DEFAULT_START, FakeClock
from todo_adapters.memory import InMemoryStore, InMemoryUnitOfWork
from todo_adapters.recurrence import DateutilOccurrences
from todo_core.model import Task, TaskPriority, TaskStatus
from todo_core.ports import UnitOfWork
from todo_core.queries import Page
from todo_core.services import ListRequest, TaskService

_DEFAULT: Any = object()

#: The fields a client can see, in API order (``completed`` is derived).
TASK_FIELDS = (
    "id",
    "user_id",
    "title",
    "description",
    "status",
    "priority",
    "due_date",
    "completed",
    "completed_at",
    "created_at",
    "updated_at",
    "version",
    "tags",
    "recurrence",
    "next_occurrence_id",
    "remind_at",
)


def fresh_user_id(prefix: str = "user") -> str:
    """A user id no other test uses, so tests can share one store."""
    return f"{prefix}-{uuid.uuid4().hex}"


def make_task(
    *,
    user_id: str,
    title: str = "A task",
    description: str | None = None,
    status: TaskStatus = TaskStatus.PENDING,
    priority: TaskPriority = TaskPriority.MEDIUM,
    due_date: datetime | None = None,
    created_at: datetime = DEFAULT_START,
    updated_at: datetime | None = None,
    completed_at: datetime | None = _DEFAULT,
    version: int = 1,
    task_id: uuid.UUID | None = None,
    tags: tuple[str, ...] = (),
    recurrence: str | None = None,
    remind_at: datetime | None = None,
) -> Task:
    """A consistent task: ``completed_at`` follows ``status`` unless given."""
    if completed_at is _DEFAULT:
        completed_at = created_at if status is TaskStatus.COMPLETED else None
    return Task(
        id=task_id or uuid.uuid4(),
        user_id=user_id,
        title=title,
        description=description,
        status=status,
        priority=priority,
        due_date=due_date,
        completed_at=completed_at,
        created_at=created_at,
        updated_at=updated_at or created_at,
        version=version,
        tags=tags,
        recurrence=recurrence,
        remind_at=remind_at,
    )


def snapshot(task: Task) -> dict[str, object]:
    """Every client-visible field of a task, for comparing whole tasks at once."""
    return {name: getattr(task, name) for name in TASK_FIELDS}


def memory_uow_factory(store: InMemoryStore | None = None) -> Callable[[], UnitOfWork]:
    """A factory of in-memory units of work over one (new unless given) store."""
    shared = store if store is not None else InMemoryStore()
    return lambda: InMemoryUnitOfWork(shared)


def memory_service(
    clock: FakeClock | None = None, store: InMemoryStore | None = None
) -> TaskService:
    """A ``TaskService`` over the in-memory adapter and a fake clock (dateutil recurrences)."""
    return TaskService(
        uow_factory=memory_uow_factory(store),
        clock=clock or FakeClock(),
        occurrences=DateutilOccurrences(),
    )


def add_tasks(uow_factory: Callable[[], UnitOfWork], *tasks: Task) -> None:
    """Store tasks through the port in one committed unit of work."""
    with uow_factory() as uow:
        for task in tasks:
            uow.tasks.add(task)
        uow.commit()


def save_task(uow_factory: Callable[[], UnitOfWork], task: Task, *, previous_version: int) -> None:
    """Save a changed task in one committed unit (a lone write may wait for the commit)."""
    with uow_factory() as uow:
        uow.tasks.save(task, previous_version=previous_version)
        uow.commit()


def remove_task(uow_factory: Callable[[], UnitOfWork], task: Task) -> None:
    """Remove a task in one committed unit (a lone write may wait for the commit)."""
    with uow_factory() as uow:
        uow.tasks.remove(task)
        uow.commit()


def all_pages(
    service: TaskService, *, actor: str, request: ListRequest, max_pages: int = 1000
) -> list[Page]:
    """Every page of a listing, following ``next_cursor``; fails instead of looping forever."""
    pages = [service.list(actor=actor, request=request)]
    while pages[-1].next_cursor is not None:
        assert len(pages) < max_pages, "cursor paging does not end"
        follow = dataclasses.replace(request, cursor=pages[-1].next_cursor)
        pages.append(service.list(actor=actor, request=follow))
    return pages
