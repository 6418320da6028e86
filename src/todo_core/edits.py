"""What a client asks to create or change, and how it is applied to a Task.

Every field is checked before anything is touched, so invalid input reports
all its bad fields at once and never leaves a task half-changed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from enum import Enum
from typing import Any, Final, TypeVar

from todo_core.errors import FieldError, InvalidInput
from todo_core.model import (
    Task,
    TaskPriority,
    TaskStatus,
    clean_description,
    clean_due_date,
    clean_remind_at,
    clean_tags,
    clean_title,
    clean_user_id,
)
from todo_core.recurrence import (
    OccurrenceCalculator,
    check_schedule,
    clean_recurrence,
    next_due_date,
    parse_recurrence,
    shifted,
)


class Unset(Enum):
    """Marks a field the client did not send (distinct from ``None``, which clears)."""

    UNSET = "UNSET"


UNSET: Final = Unset.UNSET
COMPLETION_CONFLICT: Final = "completed and status disagree"

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskDraft:
    """The fields of a task to create; ``status`` and ``completed`` are both optional."""

    title: str
    description: str | None = None
    status: TaskStatus | None = None
    priority: TaskPriority = TaskPriority.MEDIUM
    due_date: datetime | None = None
    completed: bool | None = None
    tags: Sequence[str] | None = None
    recurrence: str | None = None
    remind_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskChanges:
    """A merge patch: only the fields that are not ``UNSET`` change."""

    title: str | Unset = UNSET
    description: str | Unset | None = UNSET
    status: TaskStatus | Unset = UNSET
    priority: TaskPriority | Unset = UNSET
    due_date: datetime | Unset | None = UNSET
    completed: bool | Unset = UNSET
    tags: Sequence[str] | Unset | None = UNSET
    recurrence: str | Unset | None = UNSET
    remind_at: datetime | Unset | None = UNSET


class _Checker:
    """Runs field cleaners and gathers every error instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def clean(self, cleaner: Callable[[T], T], value: T) -> T:
        try:
            return cleaner(value)
        except InvalidInput as error:
            self.errors.extend(error.errors)
            return value

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidInput(self.errors)


def _completion_conflict() -> InvalidInput:
    return InvalidInput.single("completed", COMPLETION_CONFLICT, kind="completion_conflict")


def new_task(
    draft: TaskDraft, *, user_id: str, now: datetime, task_id: uuid.UUID | None = None
) -> Task:
    """Build a valid version-1 task from a draft, or raise ``InvalidInput``."""
    checker = _Checker()
    owner = checker.clean(clean_user_id, user_id)
    title = checker.clean(clean_title, draft.title)
    description = checker.clean(clean_description, draft.description)
    due_date = checker.clean(clean_due_date, draft.due_date)
    tags = checker.clean(clean_tags, draft.tags)
    recurrence = checker.clean(clean_recurrence, draft.recurrence)
    remind_at = checker.clean(clean_remind_at, draft.remind_at)
    checker.raise_if_any()
    check_schedule(recurrence, due_date)
    status = draft.status or TaskStatus.PENDING
    if draft.completed is not None:
        if draft.status is not None and draft.completed != (status is TaskStatus.COMPLETED):
            raise _completion_conflict()
        if draft.completed:
            status = TaskStatus.COMPLETED
    return Task(
        id=task_id or uuid.uuid4(),
        user_id=owner,
        title=title,
        description=description,
        status=status,
        priority=draft.priority,
        due_date=due_date,
        completed_at=now if status is TaskStatus.COMPLETED else None,
        created_at=now,
        updated_at=now,
        version=1,
        tags=tuple(tags or ()),
        recurrence=recurrence,
        remind_at=remind_at,
    )


def _resolve_completion(task: Task, changes: TaskChanges) -> TaskChanges:
    """Settle ``completed`` vs ``status``: the one that differs from the stored task wins."""
    if isinstance(changes.status, Unset) or isinstance(changes.completed, Unset):
        return changes
    if changes.completed == (changes.status is TaskStatus.COMPLETED):
        return changes
    status_differs = changes.status is not task.status
    completed_differs = changes.completed != task.completed
    if status_differs and completed_differs:
        raise _completion_conflict()
    if status_differs:
        return _without(changes, completed=True)
    return _without(changes, status=True)


def _without(changes: TaskChanges, *, status: bool = False, completed: bool = False) -> TaskChanges:
    return replace(
        changes,
        status=UNSET if status else changes.status,
        completed=UNSET if completed else changes.completed,
    )


#: The fields a merge patch checks before anything changes, each with its rule.
_CLEANERS: Final[dict[str, Callable[[Any], Any]]] = {
    "title": clean_title,
    "description": clean_description,
    "due_date": clean_due_date,
    "tags": clean_tags,
    "recurrence": clean_recurrence,
    "remind_at": clean_remind_at,
}

#: How each plain field of a merge patch is set on the task (status and completion aside).
_SETTERS: Final[tuple[tuple[str, Callable[[Task, Any], None]], ...]] = (
    ("title", Task.rename),
    ("description", Task.describe),
    ("priority", Task.prioritise),
    ("due_date", Task.schedule),
    ("tags", Task.retag),
    ("recurrence", Task.repeat),
    ("remind_at", Task.remind),
)


#: Fields whose new value a patch decides alone: no rule ties them to the task's
#: other fields or to its state, so a patch of these only needs no read first.
PLAIN_FIELDS: Final = frozenset({"title", "description", "priority"})


#: Every field of a merge patch, named once (``dataclasses.fields`` walks the class each time).
_CHANGE_FIELDS: Final = tuple(field.name for field in fields(TaskChanges))


def plain_fields(changes: TaskChanges) -> frozenset[str]:
    """The fields ``changes`` sets if every one is plain (``PLAIN_FIELDS``), else none."""
    given = frozenset(name for name in _CHANGE_FIELDS if getattr(changes, name) is not UNSET)
    return given if given <= PLAIN_FIELDS else frozenset()


def validate_changes(changes: TaskChanges) -> TaskChanges:
    """Clean every given field, raising one ``InvalidInput`` listing all bad ones.

    The same ``changes`` when cleaning changed no value (the usual case): no copy.
    """
    checker = _Checker()
    cleaned = {
        name: checker.clean(cleaner, value)
        for name, cleaner in _CLEANERS.items()
        if (value := getattr(changes, name)) is not UNSET
    }
    checker.raise_if_any()
    if all(value is getattr(changes, name) for name, value in cleaned.items()):
        return changes
    return replace(changes, **cleaned)


def apply_completion(task: Task, completed: bool | None, *, now: datetime) -> bool:
    """Complete (``True``), reopen (``False``) or toggle (``None``); return whether it changed.

    The one domain path of ``/complete`` and ``todo tasks done``.
    """
    if completed is None:
        task.toggle_completion(now=now)
    else:
        task.set_completed(completed, now=now)
    return task.finish_write(now=now)


def apply_changes(task: Task, changes: TaskChanges, *, now: datetime) -> bool:
    """Merge ``changes`` into ``task``; return whether anything changed (version bumped).

    Raises ``InvalidInput`` before touching the task when a field is bad or
    ``completed`` and ``status`` disagree with each other and with the task.
    """
    cleaned = _resolve_completion(task, validate_changes(changes))
    check_schedule(
        task.recurrence if isinstance(cleaned.recurrence, Unset) else cleaned.recurrence,
        task.due_date if isinstance(cleaned.due_date, Unset) else cleaned.due_date,
    )
    for name, setter in _SETTERS:
        if not isinstance(value := getattr(cleaned, name), Unset):
            setter(task, value)
    if not isinstance(cleaned.status, Unset):
        task.set_status(cleaned.status, now=now)
    if not isinstance(cleaned.completed, Unset):
        task.set_completed(cleaned.completed, now=now)
    return task.finish_write(now=now)


def next_occurrence(
    task: Task,
    *,
    now: datetime,
    calculator: OccurrenceCalculator,
    task_id: uuid.UUID,
) -> Task | None:
    """The next task of a completed recurring task's series, created at most once.

    ``None`` when the task does not repeat, already created its next occurrence
    (reopened and completed again), or was the series' last. The new task
    copies title, description, priority and tags, is pending, and is due at
    the next occurrence (``recurrence.next_due_date``); ``remind_at`` moves by
    as much as the due date. Occurrences are computed in UTC.
    """
    if task.recurrence is None or task.next_occurrence_id is not None or task.due_date is None:
        return None
    rule = parse_recurrence(task.recurrence)
    due = next_due_date(rule, due_date=task.due_date, completed_at=now, calculator=calculator)
    if due is None:
        return None
    return Task(
        id=task_id,
        user_id=task.user_id,
        title=task.title,
        description=task.description,
        status=TaskStatus.PENDING,
        priority=task.priority,
        due_date=due,
        completed_at=None,
        created_at=now,
        updated_at=now,
        tags=task.tags,
        recurrence=rule.for_next().text(),
        remind_at=shifted(task.remind_at, due - task.due_date),
    )
