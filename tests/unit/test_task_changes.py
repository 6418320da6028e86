"""Merging a patch into a task: versions, completion, and the completed-vs-status rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.support.builders import make_task, snapshot
from tests.support.clock import DEFAULT_START
from todo_core.edits import TaskChanges, apply_changes, plain_fields
from todo_core.errors import InvalidInput
from todo_core.model import Task, TaskPriority, TaskStatus

CREATED = DEFAULT_START
LATER = CREATED + timedelta(minutes=10)
PENDING, IN_PROGRESS, COMPLETED = TaskStatus.PENDING, TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED


def stored(status: TaskStatus = PENDING, **fields: object) -> Task:
    return make_task(user_id="alice", status=status, **fields)  # type: ignore[arg-type]


# --- version and updated_at -----------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        TaskChanges(title="Renamed"),
        TaskChanges(description="Some detail"),
        TaskChanges(priority=TaskPriority.HIGH),
        TaskChanges(due_date=datetime(2026, 5, 1, tzinfo=UTC)),
        TaskChanges(status=IN_PROGRESS),
        TaskChanges(completed=True),
        TaskChanges(title="Renamed", priority=TaskPriority.LOW, status=COMPLETED),
    ],
)
def test_a_write_that_changes_something_bumps_version_once_and_sets_updated_at(
    changes: TaskChanges,
) -> None:
    task = stored()

    changed = apply_changes(task, changes, now=LATER)

    assert changed is True
    assert (task.version, task.updated_at, task.created_at) == (2, LATER, CREATED)


@pytest.mark.parametrize(
    "changes",
    [
        TaskChanges(),
        TaskChanges(title="A task"),
        TaskChanges(title="  A task\n"),
        TaskChanges(description=None),
        TaskChanges(status=PENDING),
        TaskChanges(completed=False),
        TaskChanges(status=PENDING, completed=False),
        TaskChanges(priority=TaskPriority.MEDIUM, due_date=None),
    ],
)
def test_a_write_that_changes_nothing_leaves_version_and_updated_at_alone(
    changes: TaskChanges,
) -> None:
    task = stored()
    before = snapshot(task)

    changed = apply_changes(task, changes, now=LATER)

    assert changed is False
    assert snapshot(task) == before


def test_the_same_due_date_in_another_offset_is_no_change() -> None:
    due = datetime(2026, 5, 1, 12, tzinfo=UTC)
    task = stored(due_date=due)

    changed = apply_changes(
        task, TaskChanges(due_date=due.astimezone(timezone(timedelta(hours=2)))), now=LATER
    )

    assert changed is False
    assert task.version == 1


def test_every_change_adds_one_to_the_version() -> None:
    task = stored()

    for n in range(1, 6):
        apply_changes(task, TaskChanges(title=f"title {n}"), now=LATER + timedelta(seconds=n))

    assert (task.version, task.updated_at) == (6, LATER + timedelta(seconds=5))


def test_null_clears_description_and_due_date() -> None:
    task = stored(description="text", due_date=LATER)

    apply_changes(task, TaskChanges(description=None, due_date=None), now=LATER)

    assert (task.description, task.due_date, task.version) == (None, None, 2)


def test_a_due_date_change_is_stored_in_utc() -> None:
    task = stored()

    apply_changes(
        task,
        TaskChanges(due_date=datetime(2026, 5, 1, 1, tzinfo=timezone(timedelta(hours=3)))),
        now=LATER,
    )

    assert task.due_date == datetime(2026, 4, 30, 22, tzinfo=UTC)
    assert task.due_date is not None
    assert task.due_date.utcoffset() == timedelta(0)


def test_fields_that_are_not_sent_are_left_alone() -> None:
    task = stored(description="keep me", priority=TaskPriority.HIGH, due_date=LATER)

    apply_changes(task, TaskChanges(title="Only the title"), now=LATER)

    assert (task.title, task.description, task.priority, task.due_date) == (
        "Only the title",
        "keep me",
        TaskPriority.HIGH,
        LATER,
    )


# --- completed_at ---------------------------------------------------------------------


@pytest.mark.parametrize("changes", [TaskChanges(status=COMPLETED), TaskChanges(completed=True)])
def test_entering_completed_sets_completed_at(changes: TaskChanges) -> None:
    task = stored(IN_PROGRESS)

    apply_changes(task, changes, now=LATER)

    assert (task.status, task.completed, task.completed_at) == (COMPLETED, True, LATER)


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        (TaskChanges(status=PENDING), PENDING),
        (TaskChanges(status=IN_PROGRESS), IN_PROGRESS),
        (TaskChanges(completed=False), PENDING),
    ],
)
def test_leaving_completed_clears_completed_at(changes: TaskChanges, status: TaskStatus) -> None:
    task = stored(COMPLETED)

    apply_changes(task, changes, now=LATER)

    assert (task.status, task.completed, task.completed_at) == (status, False, None)


@pytest.mark.parametrize(
    "changes",
    [TaskChanges(status=COMPLETED), TaskChanges(completed=True), TaskChanges(title="Renamed")],
)
def test_completing_an_already_completed_task_keeps_completed_at(changes: TaskChanges) -> None:
    task = stored(COMPLETED)

    apply_changes(task, changes, now=LATER)

    assert (task.status, task.completed_at) == (COMPLETED, CREATED)


def test_moving_between_unfinished_statuses_keeps_completed_at_empty() -> None:
    task = stored(PENDING)

    apply_changes(task, TaskChanges(status=IN_PROGRESS), now=LATER)

    assert (task.status, task.completed_at, task.version) == (IN_PROGRESS, None, 2)


@pytest.mark.parametrize(
    ("start", "completed", "expected"),
    [
        (PENDING, True, COMPLETED),
        (IN_PROGRESS, True, COMPLETED),
        (COMPLETED, True, COMPLETED),
        (PENDING, False, PENDING),
        (IN_PROGRESS, False, IN_PROGRESS),
        (COMPLETED, False, PENDING),
    ],
)
def test_completed_alone_completes_or_reopens_only_a_completed_task(
    start: TaskStatus, completed: bool, expected: TaskStatus
) -> None:
    task = stored(start)

    apply_changes(task, TaskChanges(completed=completed), now=LATER)

    assert task.status == expected
    assert task.version == (1 if start == expected else 2)


def test_toggling_completes_an_open_task_and_reopens_a_completed_one() -> None:
    task = stored(IN_PROGRESS)

    task.toggle_completion(now=LATER)
    first = (task.status, task.completed_at)
    task.toggle_completion(now=LATER + timedelta(seconds=1))
    second = (task.status, task.completed_at)

    assert first == (COMPLETED, LATER)
    assert second == (PENDING, None)


# --- completed together with status (API.md section 3) --------------------------------


@pytest.mark.parametrize(
    ("start", "status", "completed", "expected"),
    [
        # agreeing: both simply apply
        (PENDING, COMPLETED, True, COMPLETED),
        (COMPLETED, PENDING, False, PENDING),
        (COMPLETED, IN_PROGRESS, False, IN_PROGRESS),
        (PENDING, IN_PROGRESS, False, IN_PROGRESS),
        (COMPLETED, COMPLETED, True, COMPLETED),
        # disagreeing, only the checkbox changed: completed wins
        (PENDING, PENDING, True, COMPLETED),
        (IN_PROGRESS, IN_PROGRESS, True, COMPLETED),
        (COMPLETED, COMPLETED, False, PENDING),
        # disagreeing, only the status menu changed: status wins
        (COMPLETED, PENDING, True, PENDING),
        (COMPLETED, IN_PROGRESS, True, IN_PROGRESS),
        (PENDING, COMPLETED, False, COMPLETED),
        (IN_PROGRESS, COMPLETED, False, COMPLETED),
    ],
)
def test_completed_and_status_sent_together_resolve_to_what_the_client_meant(
    start: TaskStatus, status: TaskStatus, completed: bool, expected: TaskStatus
) -> None:
    task = stored(start)

    apply_changes(task, TaskChanges(status=status, completed=completed), now=LATER)

    assert task.status == expected
    assert task.completed is (expected is COMPLETED)


@pytest.mark.parametrize(
    ("start", "status", "completed"),
    [
        (PENDING, IN_PROGRESS, True),
        (IN_PROGRESS, PENDING, True),
    ],
)
def test_completed_and_status_that_both_differ_from_the_task_and_disagree_are_refused(
    start: TaskStatus, status: TaskStatus, completed: bool
) -> None:
    task = stored(start)
    before = snapshot(task)

    with pytest.raises(InvalidInput) as caught:
        apply_changes(task, TaskChanges(status=status, completed=completed, title="New"), now=LATER)

    assert caught.value.fields == ("completed",)
    assert caught.value.errors[0].kind == "completion_conflict"
    assert snapshot(task) == before


# --- invalid changes ------------------------------------------------------------------


def test_every_bad_field_of_a_patch_is_reported_at_once_and_nothing_changes() -> None:
    task = stored(description="before")
    before = snapshot(task)

    with pytest.raises(InvalidInput) as caught:
        apply_changes(
            task,
            TaskChanges(
                title="\x07bell",
                description="x" * 2001,
                due_date=datetime(2026, 1, 1),
                priority=TaskPriority.HIGH,
                status=COMPLETED,
            ),
            now=LATER,
        )

    assert caught.value.fields == ("title", "description", "due_date")
    assert snapshot(task) == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (TaskChanges(title=""), "title"),
        (TaskChanges(title="x" * 256), "title"),
        (TaskChanges(title="a\x7fb"), "title"),
        (TaskChanges(description="\x00"), "description"),
        (TaskChanges(due_date=datetime(2026, 1, 1)), "due_date"),
    ],
)
def test_one_bad_field_is_refused_by_name_and_the_good_ones_are_not_applied(
    changes: TaskChanges, field: str
) -> None:
    task = stored()
    before = snapshot(task)
    patch = TaskChanges(
        title=changes.title,
        description=changes.description,
        due_date=changes.due_date,
        priority=TaskPriority.LOW,
        completed=True,
    )

    with pytest.raises(InvalidInput) as caught:
        apply_changes(task, patch, now=LATER)

    assert caught.value.fields == (field,)
    assert snapshot(task) == before


# --- plain patches (written without a read first) -----------------------------------------


@pytest.mark.parametrize(
    ("changes", "plain"),
    [
        (TaskChanges(title="t"), {"title"}),
        (TaskChanges(description=None), {"description"}),
        (
            TaskChanges(title="t", description="d", priority=TaskPriority.LOW),
            {"title", "description", "priority"},
        ),
        (TaskChanges(), set()),
        (TaskChanges(title="t", status=COMPLETED), set()),
        (TaskChanges(completed=True), set()),
        (TaskChanges(title="t", due_date=None), set()),
        (TaskChanges(tags=["x"]), set()),
        (TaskChanges(recurrence=None), set()),
        (TaskChanges(remind_at=None), set()),
    ],
)
def test_only_title_description_and_priority_make_a_plain_patch(
    changes: TaskChanges, plain: set[str]
) -> None:
    assert plain_fields(changes) == plain


@pytest.mark.parametrize("status", [PENDING, IN_PROGRESS, COMPLETED])
def test_a_plain_patch_does_the_same_whatever_the_task_holds(status: TaskStatus) -> None:
    """What makes it safe to write without reading: the result depends on the patch alone."""
    changes = TaskChanges(title="  Renamed  ", description=None, priority=TaskPriority.HIGH)
    task = stored(status, description="old", due_date=datetime(2026, 5, 1, tzinfo=UTC))
    before = snapshot(task)

    apply_changes(task, changes, now=LATER)

    after = snapshot(task)
    changed = {name for name in after if after[name] != before[name]}
    assert changed == {"title", "description", "priority", "version", "updated_at"}
    assert (task.title, task.description, task.priority) == ("Renamed", None, TaskPriority.HIGH)
