"""``TaskRepository.patch``: a plain patch written without a read, the same on every adapter.

It writes only when the owner's task exists, is at the expected version and
differs in a patched field; then the version goes up by one, ``updated_at``
moves, the derived keys follow (search, sort) and the change is stamped for
the feed. Otherwise it writes nothing and says so with ``None``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from tests.support.builders import add_tasks, fresh_user_id, make_task, snapshot
from tests.support.clock import DEFAULT_START, FakeClock
from todo_core.edits import TaskChanges
from todo_core.model import Task, TaskPriority, TaskStatus
from todo_core.ports import UnitOfWork
from todo_core.queries import SortField, TaskFilter, TaskQuery
from todo_core.services import TaskService

UowFactory = Callable[[], UnitOfWork]

LATER = DEFAULT_START + timedelta(minutes=5)


def _patch(
    uow_factory: UowFactory,
    task: Task,
    changes: TaskChanges,
    *,
    expected_version: int | None = None,
    commit: bool = True,
    owner: str | None = None,
    task_id: uuid.UUID | None = None,
) -> Task | None:
    with uow_factory() as uow:
        patched = uow.tasks.patch(
            task.user_id if owner is None else owner,
            task.id if task_id is None else task_id,
            changes,
            now=LATER,
            expected_version=expected_version,
        )
        if not commit:
            return None
        uow.commit()
    return patched.task


def _stored(uow_factory: UowFactory, task: Task) -> Task:
    with uow_factory() as uow:
        stored = uow.tasks.get(task.user_id, task.id)
    assert stored is not None
    return stored


class PatchContract:
    """Mixed into ``RepositoryContract``."""

    def test_a_patch_writes_its_fields_and_bumps_the_version_once(
        self, uow_factory: UowFactory
    ) -> None:
        task = make_task(user_id=fresh_user_id(), title="Before", description="old")
        add_tasks(uow_factory, task)
        changes = TaskChanges(
            title="Ärger über Straße", description=None, priority=TaskPriority.HIGH
        )

        patched = _patch(uow_factory, task, changes, expected_version=1)

        stored = _stored(uow_factory, task)
        assert patched is not None
        assert snapshot(patched) == snapshot(stored)
        assert (stored.title, stored.description, stored.priority) == (
            "Ärger über Straße",
            None,
            TaskPriority.HIGH,
        )
        assert (stored.version, stored.updated_at) == (2, LATER)
        assert (stored.status, stored.created_at, stored.due_date, stored.tags) == (
            task.status,
            task.created_at,
            task.due_date,
            task.tags,
        )

    def test_the_derived_keys_follow_a_patch(self, uow_factory: UowFactory) -> None:
        user = fresh_user_id()
        first, second = make_task(user_id=user, title="b"), make_task(user_id=user, title="c")
        add_tasks(uow_factory, first, second)

        changes = TaskChanges(title="A", description="Needle", priority=TaskPriority.HIGH)
        _patch(uow_factory, second, changes)

        def ids(query: TaskQuery) -> list[uuid.UUID]:
            with uow_factory() as uow:
                return [listed.id for listed in uow.reader.list(query).items]

        def query(**fields: Any) -> TaskQuery:
            return TaskQuery(user_id=user, now=DEFAULT_START, **fields)

        assert ids(query(sort=SortField.TITLE, descending=False)) == [second.id, first.id]
        assert ids(query(sort=SortField.PRIORITY, descending=True)) == [second.id, first.id]
        assert ids(query(filter=TaskFilter(search="needle"))) == [second.id]
        high = TaskFilter(priorities=frozenset({TaskPriority.HIGH}))
        assert ids(query(filter=high)) == [second.id]

    def test_a_patch_that_changes_nothing_writes_nothing(self, uow_factory: UowFactory) -> None:
        task = make_task(user_id=fresh_user_id(), title="Same", priority=TaskPriority.LOW)
        add_tasks(uow_factory, task)
        service = TaskService(uow_factory=uow_factory, clock=FakeClock())
        token = service.changes(actor=task.user_id).next_token

        unchanged = TaskChanges(title="Same", description=None, priority=TaskPriority.LOW)
        assert _patch(uow_factory, task, unchanged) is None

        assert snapshot(_stored(uow_factory, task)) == snapshot(task)
        assert service.changes(actor=task.user_id, since=token).changed == ()

    def test_a_patch_at_another_version_writes_nothing(self, uow_factory: UowFactory) -> None:
        task = make_task(user_id=fresh_user_id(), title="Kept")
        add_tasks(uow_factory, task)

        assert _patch(uow_factory, task, TaskChanges(title="x"), expected_version=2) is None

        assert snapshot(_stored(uow_factory, task)) == snapshot(task)

    def test_a_patch_of_a_missing_or_another_users_task_writes_nothing(
        self, uow_factory: UowFactory
    ) -> None:
        task = make_task(user_id=fresh_user_id(), title="Mine")
        add_tasks(uow_factory, task)

        assert _patch(uow_factory, task, TaskChanges(title="x"), task_id=uuid.uuid4()) is None
        assert _patch(uow_factory, task, TaskChanges(title="x"), owner=fresh_user_id()) is None
        assert _patch(uow_factory, task, TaskChanges(title="x"), owner="") is None

        assert snapshot(_stored(uow_factory, task)) == snapshot(task)

    def test_a_patch_without_commit_is_rolled_back(self, uow_factory: UowFactory) -> None:
        task = make_task(user_id=fresh_user_id(), title="Kept")
        add_tasks(uow_factory, task)

        _patch(uow_factory, task, TaskChanges(title="x"), commit=False)

        assert snapshot(_stored(uow_factory, task)) == snapshot(task)

    def test_a_patch_is_in_the_changes_feed(self, uow_factory: UowFactory) -> None:
        task = make_task(user_id=fresh_user_id(), title="Before")
        add_tasks(uow_factory, task)
        service = TaskService(uow_factory=uow_factory, clock=FakeClock())
        token = service.changes(actor=task.user_id).next_token

        _patch(uow_factory, task, TaskChanges(description="fed"))

        feed = service.changes(actor=task.user_id, since=token)
        assert [(t.id, t.description, t.version) for t in feed.changed] == [(task.id, "fed", 2)]

    @pytest.mark.parametrize(
        "changes",
        [
            pytest.param(TaskChanges(status=TaskStatus.COMPLETED), id="status"),
            pytest.param(TaskChanges(title="t", tags=["x"]), id="title-and-tags"),
            pytest.param(TaskChanges(), id="nothing"),
        ],
    )
    def test_only_a_patch_of_plain_fields_is_accepted(
        self, uow_factory: UowFactory, changes: TaskChanges
    ) -> None:
        task = make_task(user_id=fresh_user_id())
        add_tasks(uow_factory, task)

        with pytest.raises(ValueError, match="plain"):
            _patch(uow_factory, task, changes)
