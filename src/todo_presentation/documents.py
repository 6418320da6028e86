"""A task and the counts as the API's JSON documents (API.md sections 3 and 4)."""

from __future__ import annotations

from typing import Any

from todo_core.model import Task
from todo_core.queries import TaskStats
from todo_core.timestamps import format_timestamp


def task_document(task: Task) -> dict[str, Any]:
    """The API's JSON object for a task."""
    due_date = task.due_date
    completed_at = task.completed_at
    return {
        "id": str(task.id),
        "user_id": task.user_id,
        "title": task.title,
        "description": task.description,
        "status": task.status.value,
        "priority": task.priority.value,
        "due_date": format_timestamp(due_date) if due_date is not None else None,
        "completed": task.completed,
        "completed_at": format_timestamp(completed_at) if completed_at is not None else None,
        "created_at": format_timestamp(task.created_at),
        "updated_at": format_timestamp(task.updated_at),
        "version": task.version,
    }


def stats_document(stats: TaskStats) -> dict[str, Any]:
    """The API's JSON object for the counts."""
    return {
        "total": stats.total,
        **{status.value: count for status, count in stats.by_status.items()},
        "overdue": stats.overdue,
        "by_priority": {priority.value: count for priority, count in stats.by_priority.items()},
    }
