"""What the tools return: the API's documents, as structured content and as JSON text.

The output schemas are written from the same enums and field list as the
documents (``todo_presentation.documents``), so a field added to the task is
one more line in ``TASK_PROPERTIES``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from mcp.types import CallToolResult, TextContent

from todo_core.model import (
    DESCRIPTION_MAX_LENGTH,
    MAX_TAGS,
    TITLE_MAX_LENGTH,
    USER_ID_MAX_LENGTH,
    TaskPriority,
    TaskStatus,
)
from todo_mcp.fields import NULL, UUID_PATTERN, Schema, enum_schema, nullable, values
from todo_presentation.patterns import RECURRENCE_PATTERN

Document = dict[str, Any]

TIMESTAMP_OUTPUT: Final[Schema] = {
    "type": "string",
    "format": "date-time",
    "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z$",
    "description": "RFC 3339 in UTC with microseconds: 2026-12-01T00:00:00.000000Z.",
}
COUNT: Final[Schema] = {"type": "integer", "minimum": 0}

#: The task of API.md section 3, field by field.
TASK_PROPERTIES: Final[dict[str, Schema]] = {
    "id": {"type": "string", "format": "uuid", "pattern": UUID_PATTERN},
    "user_id": {"type": "string", "minLength": 1, "maxLength": USER_ID_MAX_LENGTH},
    "title": {"type": "string", "minLength": 1, "maxLength": TITLE_MAX_LENGTH},
    "description": nullable({"type": "string", "maxLength": DESCRIPTION_MAX_LENGTH}),
    "status": enum_schema(values(TaskStatus)),
    "priority": enum_schema(values(TaskPriority)),
    "due_date": nullable(TIMESTAMP_OUTPUT),
    "completed": {"type": "boolean"},
    "completed_at": nullable(TIMESTAMP_OUTPUT),
    "created_at": TIMESTAMP_OUTPUT,
    "updated_at": TIMESTAMP_OUTPUT,
    "version": {"type": "integer", "minimum": 1},
    "tags": {"type": "array", "items": {"type": "string"}, "maxItems": MAX_TAGS},
    "recurrence": nullable({"type": "string", "pattern": RECURRENCE_PATTERN}),
    "next_occurrence_id": nullable({"type": "string", "format": "uuid", "pattern": UUID_PATTERN}),
    "remind_at": nullable(TIMESTAMP_OUTPUT),
}


def _object(properties: Mapping[str, Schema], description: str) -> Schema:
    return {
        "type": "object",
        "description": description,
        "properties": dict(properties),
        "required": list(properties),
    }


TASK: Final = _object(TASK_PROPERTIES, "A task, as the HTTP API returns it.")
TASK_PAGE: Final = _object(
    {
        "tasks": {"type": "array", "items": TASK},
        "total": {**COUNT, "description": "Tasks matching the filters, on every page."},
        "next_cursor": {
            "anyOf": [{"type": "string"}, NULL],
            "description": "Pass as `cursor` for the next page; null on the last page.",
        },
    },
    "A page of tasks in the order asked for.",
)
DELETED: Final = _object(
    {
        "id": TASK_PROPERTIES["id"],
        "deleted": {"type": "boolean", "const": True},
    },
    "The task that was deleted for good.",
)
STATS: Final = _object(
    {
        "total": COUNT,
        **dict.fromkeys(values(TaskStatus), COUNT),
        "overdue": {**COUNT, "description": "Due before now and not completed."},
        "by_priority": _object(dict.fromkeys(values(TaskPriority), COUNT), "Tasks per priority."),
        "by_tag": {
            "type": "object",
            "additionalProperties": COUNT,
            "description": "Tasks per tag, spelled as its most recent use.",
        },
    },
    "Counts over all of the user's tasks.",
)
TAG_COUNT: Final = _object(
    {"name": {"type": "string", "minLength": 1}, "count": {"type": "integer", "minimum": 1}},
    "A tag, spelled as its most recent use, and how many tasks carry it.",
)
TAGS: Final = _object(
    {"tags": {"type": "array", "items": TAG_COUNT}},
    "Every tag on the user's tasks, sorted by name in any case.",
)


def structured(document: Document) -> CallToolResult:
    """A successful result: the document as structured content and as its JSON text."""
    text = json.dumps(document, ensure_ascii=False)
    return CallToolResult(
        content=[TextContent(type="text", text=text)], structuredContent=document, isError=False
    )


def refused(message: str) -> CallToolResult:
    """A tool error: the message a client (and the model) reads."""
    return CallToolResult(content=[TextContent(type="text", text=message)], isError=True)
