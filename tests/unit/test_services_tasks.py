"""The task use cases over the in-memory adapter: clock, ownership, versions, order of checks."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from tests.support.builders import memory_service, memory_uow_factory, snapshot
from tests.support.clock import FakeClock
from todo_core.edits import TaskChanges, TaskDraft
from todo_core.errors import AccessDenied, InvalidInput, TaskNotFound, TodoError, VersionConflict
from todo_core.model import Task, TaskPriority, TaskStatus
from todo_core.queries import TaskStats
from todo_core.services import ListRequest, TaskService

MINUTE = timedelta(minutes=1)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def service(clock: FakeClock) -> TaskService:
    return memory_service(clock)


def add(service: TaskService, actor: str = "alice", **fields: object) -> Task:
    fields.setdefault("title", "A task")
    return service.create(actor=actor, draft=TaskDraft(**fields))  # type: ignore[arg-type]


def everything(service: TaskService, actor: str) -> list[dict[str, object]]:
    page = service.list(actor=actor, request=ListRequest(limit=100))
    return [snapshot(task) for task in page.items]


# --- create and get -------------------------------------------------------------------


def test_creating_a_task_stamps_it_with_the_clock_and_stores_it(
    service: TaskService, clock: FakeClock
) -> None:
    task = add(service, title="  Write the report ", priority=TaskPriority.HIGH)

    fetched = service.get(actor="alice", task_id=task.id)

    assert snapshot(fetched) == snapshot(task)
    assert (task.user_id, task.title, task.version) == ("alice", "Write the report", 1)
    assert task.created_at == task.updated_at == clock.now


def test_created_tasks_get_their_ids_from_the_id_factory(clock: FakeClock) -> None:
    ids = iter([uuid.UUID(int=1, version=4), uuid.UUID(int=2, version=4)])
    service = TaskService(
        uow_factory=memory_uow_factory(), clock=clock, id_factory=lambda: next(ids)
    )

    first = add(service)
    second = add(service)

    assert (first.id, second.id) == (uuid.UUID(int=1, version=4), uuid.UUID(int=2, version=4))


def test_creating_an_invalid_task_stores_nothing(service: TaskService) -> None:
    with pytest.raises(InvalidInput):
        add(service, title="", description="\x00")

    assert everything(service, "alice") == []


def test_create_many_stores_all_or_nothing(service: TaskService) -> None:
    drafts = [TaskDraft(title="one"), TaskDraft(title=" ", description="\x00"), TaskDraft(title="")]

    with pytest.raises(InvalidInput) as caught:
        service.create_many(actor="alice", drafts=drafts)
    created = service.create_many(
        actor="alice", drafts=[TaskDraft(title="a"), TaskDraft(title="b")]
    )

    listed = service.list(actor="alice", request=ListRequest()).items
    assert caught.value.fields == ("[1].title", "[1].description")
    assert sorted(task.title for task in listed) == ["a", "b"]
    assert {task.id for task in listed} == {task.id for task in created}


def test_getting_a_missing_task_is_task_not_found(service: TaskService) -> None:
    with pytest.raises(TaskNotFound) as caught:
        service.get(actor="alice", task_id=uuid.uuid4())

    assert caught.value.message == "Task not found"


def test_the_returned_task_is_not_the_stored_one(service: TaskService) -> None:
    task = add(service, title="Original")

    task.rename("Changed by the caller")

    assert service.get(actor="alice", task_id=task.id).title == "Original"


# --- update ---------------------------------------------------------------------------


def test_updating_bumps_the_version_and_takes_updated_at_from_the_clock(
    service: TaskService, clock: FakeClock
) -> None:
    task = add(service)
    created_at = clock.now
    clock.advance(MINUTE)

    updated = service.update(
        actor="alice",
        task_id=task.id,
        changes=TaskChanges(title="New", status=TaskStatus.IN_PROGRESS),
    ).task

    assert (updated.title, updated.status, updated.version) == ("New", "in_progress", 2)
    assert (updated.created_at, updated.updated_at) == (created_at, clock.now)
    assert snapshot(service.get(actor="alice", task_id=task.id)) == snapshot(updated)


def test_an_update_that_changes_nothing_keeps_version_and_updated_at(
    service: TaskService, clock: FakeClock
) -> None:
    task = add(service, title="Same", priority=TaskPriority.LOW)
    clock.advance(MINUTE)

    updated = service.update(
        actor="alice",
        task_id=task.id,
        changes=TaskChanges(title=" Same ", priority=TaskPriority.LOW, completed=False),
        expected_version=1,
    ).task

    assert snapshot(updated) == snapshot(task)
    assert snapshot(service.get(actor="alice", task_id=task.id)) == snapshot(task)


def test_an_invalid_update_changes_nothing(service: TaskService, clock: FakeClock) -> None:
    task = add(service)
    clock.advance(MINUTE)

    with pytest.raises(InvalidInput) as caught:
        service.update(
            actor="alice",
            task_id=task.id,
            changes=TaskChanges(title="ok", description="\x00", due_date=datetime(2026, 1, 1)),
        )

    assert caught.value.fields == ("description", "due_date")
    assert snapshot(service.get(actor="alice", task_id=task.id)) == snapshot(task)


def test_a_completion_conflict_on_update_changes_nothing(service: TaskService) -> None:
    task = add(service)

    with pytest.raises(InvalidInput) as caught:
        service.update(
            actor="alice",
            task_id=task.id,
            changes=TaskChanges(title="New", status=TaskStatus.IN_PROGRESS, completed=True),
        )

    assert caught.value.fields == ("completed",)
    assert snapshot(service.get(actor="alice", task_id=task.id)) == snapshot(task)


def test_a_client_sending_back_a_fetched_task_with_only_the_checkbox_changed_completes_it(
    service: TaskService,
) -> None:
    task = add(service, status=TaskStatus.IN_PROGRESS)

    updated = service.update(
        actor="alice",
        task_id=task.id,
        changes=TaskChanges(
            title=task.title,
            description=task.description,
            status=task.status,
            priority=task.priority,
            due_date=task.due_date,
            completed=True,
        ),
        expected_version=task.version,
    ).task

    assert (updated.status, updated.version) == (TaskStatus.COMPLETED, 2)


# --- complete / toggle ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (TaskStatus.PENDING, TaskStatus.COMPLETED),
        (TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED),
        (TaskStatus.COMPLETED, TaskStatus.PENDING),
    ],
)
def test_set_completed_without_a_value_toggles(
    service: TaskService, clock: FakeClock, start: TaskStatus, expected: TaskStatus
) -> None:
    task = add(service, status=start)
    clock.advance(MINUTE)

    toggled = service.set_completed(actor="alice", task_id=task.id).task

    assert (toggled.status, toggled.version, toggled.updated_at) == (expected, 2, clock.now)
    assert toggled.completed_at == (clock.now if expected is TaskStatus.COMPLETED else None)


def test_completing_an_already_completed_task_keeps_completed_at_and_version(
    service: TaskService, clock: FakeClock
) -> None:
    task = add(service, status=TaskStatus.COMPLETED)
    clock.advance(MINUTE)

    again = service.set_completed(actor="alice", task_id=task.id, completed=True).task

    assert snapshot(again) == snapshot(task)


@pytest.mark.parametrize("start", [TaskStatus.PENDING, TaskStatus.IN_PROGRESS])
def test_reopening_a_task_that_is_not_completed_leaves_it_as_it_is(
    service: TaskService, start: TaskStatus
) -> None:
    task = add(service, status=start)

    reopened = service.set_completed(actor="alice", task_id=task.id, completed=False).task

    assert snapshot(reopened) == snapshot(task)


def test_reopening_a_completed_task_makes_it_pending_and_clears_completed_at(
    service: TaskService,
) -> None:
    task = add(service, completed=True)

    reopened = service.set_completed(actor="alice", task_id=task.id, completed=False).task

    assert (reopened.status, reopened.completed_at, reopened.version) == ("pending", None, 2)


# --- delete ---------------------------------------------------------------------------


def test_deleting_removes_the_task_and_a_second_delete_is_not_found(service: TaskService) -> None:
    task = add(service)
    kept = add(service)

    service.delete(actor="alice", task_id=task.id)

    with pytest.raises(TaskNotFound):
        service.get(actor="alice", task_id=task.id)
    with pytest.raises(TaskNotFound):
        service.delete(actor="alice", task_id=task.id)
    assert [row["id"] for row in everything(service, "alice")] == [kept.id]


# --- ownership ------------------------------------------------------------------------

USE_CASES: dict[str, Callable[[TaskService, uuid.UUID, str, str | None], object]] = {
    "get": lambda s, task_id, actor, owner: s.get(actor=actor, task_id=task_id, owner=owner),
    "update": lambda s, task_id, actor, owner: s.update(
        actor=actor, task_id=task_id, changes=TaskChanges(title="Stolen"), owner=owner
    ),
    "complete": lambda s, task_id, actor, owner: s.set_completed(
        actor=actor, task_id=task_id, owner=owner
    ),
    "delete": lambda s, task_id, actor, owner: s.delete(actor=actor, task_id=task_id, owner=owner),
}


@pytest.mark.parametrize("use_case", USE_CASES)
def test_another_users_task_is_not_found_exactly_like_a_missing_one(
    service: TaskService, use_case: str
) -> None:
    theirs = add(service, actor="bob")
    act = USE_CASES[use_case]

    with pytest.raises(TaskNotFound) as foreign:
        act(service, theirs.id, "alice", None)
    with pytest.raises(TaskNotFound) as missing:
        act(service, uuid.uuid4(), "alice", None)

    assert (type(foreign.value), foreign.value.message) == (
        type(missing.value),
        missing.value.message,
    )
    assert snapshot(service.get(actor="bob", task_id=theirs.id)) == snapshot(theirs)


@pytest.mark.parametrize("use_case", USE_CASES)
def test_acting_on_another_users_collection_is_access_denied(
    service: TaskService, use_case: str
) -> None:
    theirs = add(service, actor="bob")

    with pytest.raises(AccessDenied) as caught:
        USE_CASES[use_case](service, theirs.id, "alice", "bob")

    assert caught.value.message == "Not authorized to access this resource"
    assert snapshot(service.get(actor="bob", task_id=theirs.id)) == snapshot(theirs)


@pytest.mark.parametrize(
    "act",
    [
        lambda s: s.create(actor="alice", owner="bob", draft=TaskDraft(title="x")),
        lambda s: s.create_many(actor="alice", owner="bob", drafts=[TaskDraft(title="x")]),
        lambda s: s.list(actor="alice", owner="bob", request=ListRequest()),
        lambda s: s.stats(actor="alice", owner="bob"),
    ],
    ids=["create", "create_many", "list", "stats"],
)
def test_collection_use_cases_refuse_another_owner(
    service: TaskService, act: Callable[[TaskService], object]
) -> None:
    add(service, actor="bob")

    with pytest.raises(AccessDenied):
        act(service)

    assert service.stats(actor="bob").total == 1


def test_owner_ids_are_compared_exactly(service: TaskService) -> None:
    with pytest.raises(AccessDenied):
        service.list(actor="alice", owner="Alice", request=ListRequest())


def test_naming_ones_own_collection_is_allowed(service: TaskService) -> None:
    task = service.create(actor="alice", owner="alice", draft=TaskDraft(title="mine"))

    fetched = service.get(actor="alice", owner="alice", task_id=task.id)

    assert fetched.user_id == "alice"


def test_list_and_stats_show_only_the_actors_tasks(service: TaskService) -> None:
    mine = add(service, actor="alice")
    add(service, actor="bob", status=TaskStatus.COMPLETED)

    listed = everything(service, "alice")
    stats = service.stats(actor="alice")

    assert [row["id"] for row in listed] == [mine.id]
    assert stats == TaskStats(
        total=1,
        overdue=0,
        by_status={TaskStatus.PENDING: 1, TaskStatus.IN_PROGRESS: 0, TaskStatus.COMPLETED: 0},
        by_priority={TaskPriority.LOW: 0, TaskPriority.MEDIUM: 1, TaskPriority.HIGH: 0},
    )


# --- conditional writes ---------------------------------------------------------------

WRITES: dict[str, Callable[[TaskService, uuid.UUID, int | None], object]] = {
    "update": lambda s, task_id, version: s.update(
        actor="alice", task_id=task_id, changes=TaskChanges(title="New"), expected_version=version
    ),
    "complete": lambda s, task_id, version: s.set_completed(
        actor="alice", task_id=task_id, expected_version=version
    ),
    "delete": lambda s, task_id, version: s.delete(
        actor="alice", task_id=task_id, expected_version=version
    ),
}


@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize("stale", [1, 3, 0])
def test_a_write_naming_a_stale_version_is_a_conflict_and_changes_nothing(
    service: TaskService, write: str, stale: int
) -> None:
    task = add(service)
    task = service.update(actor="alice", task_id=task.id, changes=TaskChanges(title="v2")).task

    with pytest.raises(VersionConflict) as caught:
        WRITES[write](service, task.id, stale)

    assert caught.value.message == "Task was modified by another request"
    assert snapshot(service.get(actor="alice", task_id=task.id)) == snapshot(task)


@pytest.mark.parametrize("write", WRITES)
def test_a_write_naming_the_current_version_goes_through(service: TaskService, write: str) -> None:
    task = add(service)

    WRITES[write](service, task.id, 1)

    if write == "delete":
        assert everything(service, "alice") == []
    else:
        assert service.get(actor="alice", task_id=task.id).version == 2


# --- order of checks ------------------------------------------------------------------


def test_access_is_checked_before_the_fields(service: TaskService) -> None:
    with pytest.raises(AccessDenied):
        service.update(
            actor="alice", owner="bob", task_id=uuid.uuid4(), changes=TaskChanges(title="")
        )


def test_fields_are_checked_before_the_task_is_looked_up(service: TaskService) -> None:
    with pytest.raises(InvalidInput) as caught:
        service.update(
            actor="alice", task_id=uuid.uuid4(), changes=TaskChanges(title=""), expected_version=9
        )

    assert caught.value.fields == ("title",)


@pytest.mark.parametrize("write", WRITES)
def test_a_missing_task_is_not_found_even_with_a_stale_version(
    service: TaskService, write: str
) -> None:
    theirs = add(service, actor="bob")

    with pytest.raises(TaskNotFound):
        WRITES[write](service, uuid.uuid4(), 7)
    with pytest.raises(TaskNotFound):
        WRITES[write](service, theirs.id, 7)


def test_the_version_is_checked_before_the_completion_conflict(service: TaskService) -> None:
    task = add(service)

    with pytest.raises(VersionConflict):
        service.update(
            actor="alice",
            task_id=task.id,
            changes=TaskChanges(status=TaskStatus.IN_PROGRESS, completed=True),
            expected_version=5,
        )


def test_the_completion_conflict_is_decided_after_the_task_is_found(service: TaskService) -> None:
    with pytest.raises(TaskNotFound):
        service.update(
            actor="alice",
            task_id=uuid.uuid4(),
            changes=TaskChanges(status=TaskStatus.IN_PROGRESS, completed=True),
        )


def test_every_domain_error_carries_its_default_message() -> None:
    messages = {
        cls.__name__: cls().message for cls in (AccessDenied, TaskNotFound, VersionConflict)
    }

    assert messages == {
        "AccessDenied": "Not authorized to access this resource",
        "TaskNotFound": "Task not found",
        "VersionConflict": "Task was modified by another request",
    }
    assert all(issubclass(cls, TodoError) for cls in (AccessDenied, TaskNotFound, VersionConflict))
