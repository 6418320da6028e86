"""Shaping replies: the shared documents (``todo_presentation``) as JSON bytes, via orjson."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import orjson
from starlette.responses import Response

from todo_core.model import Task
from todo_http.conditional import etag
from todo_presentation.documents import task_document

JSON: Final = "application/json"


def json_response(
    content: object, *, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON reply serialised by orjson."""
    return Response(
        orjson.dumps(content), status_code=status_code, media_type=JSON, headers=headers
    )


def task_response(
    task: Task,
    *,
    status_code: int = 200,
    location: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """One task with its ``ETag`` (and ``Location`` when created, and any other ``headers``)."""
    headers = {**(headers or {}), "ETag": etag(task.version)}
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
