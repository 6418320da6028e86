"""The explicit mapping between the domain's ``Task`` and the stored row.

Two shapes of row: a plain mapping of column values (what Core statements
write and read on the hot paths) and a ``TaskRow`` instance. Derived columns
(``title_key``, ``description_key``, the ranks) are computed here, once.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from todo_adapters.sql.rows import TaskRow
from todo_core.edits import TaskChanges, Unset
from todo_core.model import Task, TaskPriority, TaskStatus, tag_key, text_key

#: Every column name, in table order.
COLUMNS: tuple[str, ...] = tuple(TaskRow.model_fields)

#: Columns a write of an existing task never changes.
IMMUTABLE_COLUMNS = frozenset({"id", "user_id", "created_at"})


def values_from_task(task: Task) -> dict[str, Any]:
    """Every column of the row that stores ``task``."""
    return {
        "id": task.id,
        "user_id": task.user_id,
        **_title_columns(task.title),
        **_description_columns(task.description),
        "status": task.status.value,
        "status_rank": task.status.rank,
        **_priority_columns(task.priority),
        "due_date": task.due_date,
        "completed_at": task.completed_at,
        "created_at": task.created_at,
        "updated_at": task.updated_at,
        "version": task.version,
        "tags": list(task.tags),
        "recurrence": task.recurrence,
        "next_occurrence_id": task.next_occurrence_id,
        "remind_at": task.remind_at,
    }


def patch_values(changes: TaskChanges, now: datetime) -> dict[str, Any]:
    """The columns a plain patch (``edits.plain_fields``) writes, derived ones included."""
    values: dict[str, Any] = {"updated_at": now}
    if not isinstance(changes.title, Unset):
        values |= _title_columns(changes.title)
    if not isinstance(changes.description, Unset):
        values |= _description_columns(changes.description)
    if not isinstance(changes.priority, Unset):
        values |= _priority_columns(changes.priority)
    return values


def _title_columns(title: str) -> dict[str, Any]:
    return {"title": title, "title_key": text_key(title)}


def _description_columns(description: str | None) -> dict[str, Any]:
    key = text_key(description) if description is not None else None
    return {"description": description, "description_key": key}


def _priority_columns(priority: TaskPriority) -> dict[str, Any]:
    return {"priority": priority.value, "priority_rank": priority.rank}


def tag_values(tasks: Sequence[Task]) -> list[dict[str, Any]]:
    """The ``task_tags`` rows of ``tasks``: one per tag, case-folded for matching."""
    return [
        {
            "task_id": task.id,
            "user_id": task.user_id,
            "name": tag,
            "name_key": tag_key(tag),
            "position": position,
        }
        for task in tasks
        for position, tag in enumerate(task.tags)
    ]


def task_from_values(values: Mapping[Any, Any]) -> Task:
    """The task a row's column values describe (derived columns are ignored)."""
    return Task(
        id=_required_task_id(values["id"]),
        user_id=str(values["user_id"]),
        title=str(values["title"]),
        description=values["description"],
        status=TaskStatus(values["status"]),
        priority=TaskPriority(values["priority"]),
        due_date=_moment(values["due_date"]),
        completed_at=_moment(values["completed_at"]),
        created_at=_required_moment(values["created_at"]),
        updated_at=_required_moment(values["updated_at"]),
        version=int(values["version"]),
        tags=tuple(str(tag) for tag in values["tags"] or ()),
        recurrence=values["recurrence"],
        next_occurrence_id=_task_id(values["next_occurrence_id"]),
        remind_at=_moment(values["remind_at"]),
    )


def _task_id(value: object) -> uuid.UUID | None:
    return None if value is None else _required_task_id(value)


def _required_task_id(value: object) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _moment(value: object) -> datetime | None:
    if value is None:
        return None
    return _required_moment(value)


def _required_moment(value: object) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise TypeError("stored timestamps are read back as aware datetimes")
    return value
