"""Each tool's arguments: a model whose fields are the API's own names, described for a model.

A field added to the API is one line here (its type lives in ``fields``): the
drafts, changes and listing parameters are built from whatever fields a model
has, by name (``draft_fields``, ``changed_fields``, ``listing_pairs``).
"""

from __future__ import annotations

from typing import Any, ClassVar, Final

from mcp.server.fastmcp.utilities.func_metadata import ArgModelBase
from pydantic import ConfigDict, Field

from todo_core.model import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH
from todo_core.queries import DEFAULT_LIMIT, MAX_LIMIT
from todo_mcp.fields import (
    TIMESTAMP_HELP,
    Cursor,
    Description,
    DueDate,
    Flag,
    Limit,
    Offset,
    Order,
    Priority,
    PriorityFilter,
    Search,
    Sort,
    Status,
    StatusFilter,
    TaskId,
    TimestampFilter,
    Title,
    UserId,
)

#: Fields where ``null`` (or ``""`` for a date) means "clear it" rather than "not given".
CLEARABLE: Final = frozenset({"description", "due_date"})

_USER_ID: Final = (
    "Leave it out: the tools act for the signed-in user. If given, it must be that user's id "
    "(anything else is refused)."
)
_TASK_ID: Final = "The task's `id` (a UUID), as returned by add_task or list_tasks."
_TITLE: Final = (
    f"What to do, 1-{TITLE_MAX_LENGTH} characters once surrounding whitespace is trimmed; "
    "no control characters (tabs, line breaks) inside."
)
_DESCRIPTION: Final = (
    f"Details, at most {DESCRIPTION_MAX_LENGTH} characters; line breaks and tabs allowed."
)
_DUE_DATE: Final = f"When the task is due. {TIMESTAMP_HELP}"


class Arguments(ArgModelBase):
    """What every tool takes; unknown arguments are ignored, as unknown body fields are."""

    model_config = ConfigDict(extra="ignore")

    #: Fields that are not task fields or listing parameters.
    own_fields: ClassVar[frozenset[str]] = frozenset({"user_id", "task_id"})

    user_id: UserId = Field(default=None, description=_USER_ID)

    def sent(self) -> dict[str, Any]:
        """The task fields the client sent, by name, ``null`` meaning "not given"."""
        return {
            name: getattr(self, name)
            for name in self.model_fields_set - self.own_fields
            if getattr(self, name) is not None
        }


class AddTask(Arguments):
    """``add_task``: the fields of a new task."""

    title: Title = Field(description=_TITLE)
    description: Description = Field(default=None, description=f"{_DESCRIPTION} Optional.")
    priority: Priority = Field(default=None, description="`low`, `medium` (the default) or `high`.")
    due_date: DueDate = Field(default=None, description=f"{_DUE_DATE} Optional.")

    def draft_fields(self) -> dict[str, Any]:
        """The ``TaskDraft`` keyword arguments: what was sent, defaults for the rest."""
        return self.sent()


class OneTask(Arguments):
    """A tool acting on one task."""

    task_id: TaskId = Field(description=_TASK_ID)


class UpdateTask(OneTask):
    """``update_task``: a merge patch, only the fields sent change."""

    title: Title | None = Field(default=None, description=f"A new title. {_TITLE}")
    description: Description = Field(
        default=None, description=f"A new description. {_DESCRIPTION} `null` clears it."
    )
    status: Status = Field(
        default=None,
        description=(
            "`pending`, `in_progress` or `completed` (which sets `completed_at`; leaving "
            "`completed` clears it)."
        ),
    )
    priority: Priority = Field(default=None, description="`low`, `medium` or `high`.")
    due_date: DueDate = Field(
        default=None, description=f'A new due date. {TIMESTAMP_HELP} `null` or `""` clears it.'
    )
    completed: Flag = Field(
        default=None,
        description=(
            "`true` completes the task; `false` reopens a completed task (to `pending`). "
            "complete_task does the same."
        ),
    )

    def changed_fields(self) -> dict[str, Any]:
        """The ``TaskChanges`` keyword arguments: what was sent; ``null`` clears where it can."""
        cleared = {
            name: None
            for name in (self.model_fields_set & CLEARABLE)
            if getattr(self, name) is None
        }
        return {**self.sent(), **cleared}


class CompleteTask(OneTask):
    """``complete_task``."""

    completed: Flag = Field(
        default=None,
        description=(
            "`true` (the default) completes the task; `false` reopens a completed task "
            "(to `pending`) and leaves any other as it is."
        ),
    )


class ListTasks(Arguments):
    """``list_tasks``: the listing's filters, sort and page, by the API's rules."""

    model_config = ConfigDict(
        json_schema_extra={
            "not": {
                "properties": {
                    "cursor": {"type": "string", "minLength": 1},
                    "offset": {"type": "integer"},
                },
                "required": ["cursor", "offset"],
            }
        }
    )

    status: StatusFilter = Field(
        default=None,
        description=(
            "Only tasks with this status, or any of these statuses: `pending`, `in_progress`, "
            "`completed`; `all` (the default) means any."
        ),
    )
    priority: PriorityFilter = Field(
        default=None,
        description="Only tasks of this priority or these priorities: `low`, `medium`, `high`, "
        "or `all`.",
    )
    completed: Flag = Field(
        default=None, description="`true`: only completed tasks; `false`: only the others."
    )
    search: Search = Field(
        default=None,
        description="Only tasks whose title or description contains this text (any case).",
    )
    due_after: TimestampFilter = Field(
        default=None,
        description=f"Only tasks due at or after this moment (tasks without a due date are "
        f"left out). {TIMESTAMP_HELP}",
    )
    due_before: TimestampFilter = Field(
        default=None,
        description=f"Only tasks due before this moment (tasks without a due date are left "
        f"out). {TIMESTAMP_HELP}",
    )
    overdue: Flag = Field(
        default=None,
        description="`true`: only tasks due before now and not completed; `false`: the others.",
    )
    sort: Sort = Field(
        default=None,
        description=(
            "Sort by `created_at` (the default), `updated_at`, `due_date`, `priority`, `status` "
            "or `title`; a leading `-` sorts descending. Tasks without a due date come last."
        ),
    )
    order: Order = Field(
        default=None,
        description=(
            "`asc` or `desc`. By default newest and most urgent first (`created_at`, "
            "`updated_at`, `priority`), soonest first for `due_date`, A-Z for `title`."
        ),
    )
    limit: Limit = Field(
        default=None,
        description=f"At most this many tasks, 1-{MAX_LIMIT} (default {DEFAULT_LIMIT}).",
    )
    offset: Offset = Field(
        default=None, description="Skip this many tasks first. Not together with `cursor`."
    )
    cursor: Cursor = Field(
        default=None,
        description=(
            "The `next_cursor` of the previous page, to continue the same listing (same "
            "filters and sort). Not together with `offset`."
        ),
    )

    def listing_pairs(self) -> list[tuple[str, str]]:
        """The arguments as the API's query parameters, for ``parse_listing``."""
        pairs: list[tuple[str, str]] = []
        for name, value in self.sent().items():
            for item in value if isinstance(value, list) else [value]:
                pairs.append((name, str(item).lower() if isinstance(item, bool) else str(item)))
        return pairs


class NoArguments(Arguments):
    """A tool that takes nothing but the optional ``user_id`` (``task_stats``)."""
