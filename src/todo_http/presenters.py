"""Shaping replies: domain objects to JSON bytes, serialised once with orjson."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import orjson
from starlette.responses import Response

from todo_core.model import Task
from todo_core.queries import TaskStats
from todo_http.conditional import etag
from todo_http.timestamps import format_timestamp

JSON: Final = "application/json"


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


def json_response(
    content: object, *, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON reply serialised by orjson."""
    return Response(
        orjson.dumps(content), status_code=status_code, media_type=JSON, headers=headers
    )


def task_response(task: Task, *, status_code: int = 200, location: str | None = None) -> Response:
    """One task with its ``ETag`` (and ``Location`` when created)."""
    headers = {"ETag": etag(task.version)}
    if location is not None:
        headers["Location"] = location
    return json_response(task_document(task), status_code=status_code, headers=headers)


def tasks_response(tasks: Sequence[Task], *, headers: Mapping[str, str]) -> Response:
    """A JSON array of tasks."""
    return json_response([task_document(task) for task in tasks], headers=headers)


def not_modified(task: Task) -> Response:
    """304: the client's copy is current; the ``ETag`` and no body."""
    return Response(status_code=304, headers={"ETag": etag(task.version)})


def no_content() -> Response:
    """204."""
    return Response(status_code=204)
