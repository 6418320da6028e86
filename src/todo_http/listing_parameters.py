"""The listing's query parameters as the OpenAPI document declares them.

``cursor`` is deliberately not declared: it is opaque, valid only as found in
a ``Link`` header, so no schema could describe the values that are accepted
(see the document's description).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from todo_core.model import TaskPriority, TaskStatus
from todo_core.queries import DEFAULT_LIMIT, MAX_LIMIT, SortField
from todo_http.timestamps import TIMESTAMP_INPUT_SCHEMA
from todo_presentation.listing import ALL, MAX_OFFSET

_EMPTY: Final = {"type": "string", "enum": [""]}


def empty_means_absent(schema: Mapping[str, Any]) -> dict[str, Any]:
    """``schema`` that also allows the empty value, which the server reads as no value.

    API.md section 4: `?status=&search=&limit=` (naive query builders) is the
    same as leaving them out, so the schema says so instead of forbidding it.
    """
    schema = dict(schema)
    if schema.get("type") == "array":
        items = dict(schema["items"])
        if "enum" in items:
            items["enum"] = [*items["enum"], ""]
        schema["items"] = items
        return schema
    if schema.get("type") == "string" and "enum" not in schema:
        return schema  # a free string (its pattern allows "")
    if "anyOf" in schema:
        schema["anyOf"] = [*schema["anyOf"], _EMPTY]
        return schema
    return {"anyOf": [schema, _EMPTY]}


def _parameter(name: str, schema: Mapping[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": empty_means_absent(schema),
        "description": f"{description} Empty: as if absent.",
    }


def _list_parameter(name: str, values: Iterable[str], description: str) -> dict[str, Any]:
    parameter = _parameter(
        name,
        {"type": "array", "items": {"type": "string", "enum": [*values, ALL]}},
        description,
    )
    parameter.update(style="form", explode=True)
    return parameter


def _tag_parameter() -> dict[str, Any]:
    parameter = _parameter(
        "tag",
        {"type": "array", "items": {"type": "string", "pattern": "^[^\\x00]*$"}},
        "Tags (repeat or comma-separate), matched case-insensitively: a task matches when it "
        "carries any of them.",
    )
    parameter.update(style="form", explode=True)
    return parameter


_SORT_VALUES: Final = [
    *(field.value for field in SortField),
    *(f"-{field.value}" for field in SortField),
]
_SEARCH_SCHEMA: Final = {"type": "string", "pattern": "^[^\\x00]*$"}
_SEARCH_TEXT: Final = (
    "Case-insensitive substring of the title or description; `%`, `_` and `\\` are literal."
)
_SORT_TEXT: Final = (
    "Sort field; a leading `-` means descending and wins over `order`. Default `created_at`."
)
_ORDER_TEXT: Final = (
    "`asc` or `desc`. Default: `desc` for created_at, updated_at and priority; `asc` otherwise "
    "(due_date and remind_at soonest first; tasks without one last either way)."
)

#: The listing's query parameters, as declared in the OpenAPI document.
LIST_PARAMETERS: Final[list[dict[str, Any]]] = [
    _list_parameter(
        "status",
        (status.value for status in TaskStatus),
        "Statuses to include (repeat or comma-separate); `all` anywhere means no filter.",
    ),
    _list_parameter(
        "priority",
        (priority.value for priority in TaskPriority),
        "Priorities to include (repeat or comma-separate); `all` anywhere means no filter.",
    ),
    _parameter("completed", {"type": "boolean"}, "Only completed (`true`) or open (`false`)."),
    _parameter("search", _SEARCH_SCHEMA, _SEARCH_TEXT),
    _parameter("q", _SEARCH_SCHEMA, "Alias of `search` (`search` wins when both are given)."),
    _parameter("due_after", TIMESTAMP_INPUT_SCHEMA, "due_date >= due_after (inclusive)."),
    _parameter(
        "due_before",
        TIMESTAMP_INPUT_SCHEMA,
        "due_date < due_before (exclusive). With either bound, tasks without a due date are "
        "left out.",
    ),
    _tag_parameter(),
    _parameter("remind_after", TIMESTAMP_INPUT_SCHEMA, "remind_at >= remind_after (inclusive)."),
    _parameter(
        "remind_before",
        TIMESTAMP_INPUT_SCHEMA,
        "remind_at < remind_before (exclusive). With either bound, tasks without a reminder "
        "are left out. To notify in the next hour: "
        "`?completed=false&remind_after=<now>&remind_before=<now+1h>&sort=remind_at`.",
    ),
    _parameter(
        "overdue",
        {"type": "boolean"},
        "`true`: due before now and not completed; `false`: all the others.",
    ),
    _parameter("sort", {"type": "string", "enum": _SORT_VALUES}, _SORT_TEXT),
    _parameter(
        "sort_by",
        {"type": "string", "enum": _SORT_VALUES},
        "Alias of `sort` (`sort` wins when both are given).",
    ),
    _parameter("order", {"type": "string", "enum": ["asc", "desc"]}, _ORDER_TEXT),
    _parameter(
        "sort_order",
        {"type": "string", "enum": ["asc", "desc"]},
        "Alias of `order` (`order` wins when both are given).",
    ),
    _parameter(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
        "Page size.",
    ),
    _parameter(
        "offset",
        {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
        "Skip this many tasks (simple clients). Not together with `cursor`.",
    ),
]
