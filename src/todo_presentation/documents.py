"""A task, the counts and the changes feed as the API's JSON documents (API.md sections 3 and 4)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from todo_core.changes import ChangeFeed
from todo_core.model import Task
from todo_core.queries import TagCount, TaskStats
from todo_core.timestamps import format_timestamp


def _moment(moment: datetime | None) -> str | None:
    return format_timestamp(moment) if moment is not None else None


def task_document(task: Task) -> dict[str, Any]:
    """The API's JSON object for a task."""
    due_date = task.due_date
    completed_at = task.completed_at
    next_occurrence = task.next_occurrence_id
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
        "tags": list(task.tags),
        "recurrence": task.recurrence,
        "next_occurrence_id": str(next_occurrence) if next_occurrence is not None else None,
        "remind_at": _moment(task.remind_at),
    }


def stats_document(stats: TaskStats) -> dict[str, Any]:
    """The API's JSON object for the counts."""
    return {
        "total": stats.total,
        **{status.value: count for status, count in stats.by_status.items()},
        "overdue": stats.overdue,
        "by_priority": {priority.value: count for priority, count in stats.by_priority.items()},
        "by_tag": dict(stats.by_tag),
    }


def tags_document(tags: Sequence[TagCount]) -> list[dict[str, Any]]:
    """``GET .../tasks/tags``: every tag with its count, by name case-insensitively."""
    return [{"name": tag.name, "count": tag.count} for tag in tags]


def changes_document(feed: ChangeFeed) -> dict[str, Any]:
    """``GET .../tasks/changes``: tasks changed (current state), tombstones, next token, more."""
    return {
        "changed": [task_document(task) for task in feed.changed],
        "deleted": [
            {"id": str(tombstone.task_id), "deleted_at": format_timestamp(tombstone.deleted_at)}
            for tombstone in feed.deleted
        ],
        "next": feed.next_token,
        "more": feed.more,
    }
