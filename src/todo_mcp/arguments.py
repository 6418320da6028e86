"""Each tool's arguments: a model whose fields are the API's own names, described for a model.

A field added to the API is one line here (its type lives in ``fields``): the
drafts, changes and listing parameters are built from whatever fields a model
has, by name (``draft_fields``, ``changed_fields``, ``listing_pairs``).
"""

from __future__ import annotations

from typing import Any, ClassVar, Final

from mcp.server.fastmcp.utilities.func_metadata import ArgModelBase
from pydantic import ConfigDict, Field

from todo_core.model import DESCRIPTION_MAX_LENGTH, MAX_TAGS, TAG_MAX_LENGTH, TITLE_MAX_LENGTH
from todo_core.queries import DEFAULT_LIMIT, MAX_LIMIT
from todo_mcp.fields import (
    TIMESTAMP_HELP,
    Cursor,
    Description,
    Flag,
    Limit,
    Moment,
    Offset,
    Order,
    Priority,
    PriorityFilter,
    Recurrence,
    Search,
    Sort,
    Status,
    StatusFilter,
    TagFilter,
    Tags,
    TaskId,
    TimestampFilter,
    Title,
    UserId,
)

#: Fields where ``null`` (or ``""`` for a date) means "clear it" rather than "not given".
CLEARABLE: Final = frozenset({"description", "due_date", "tags", "recurrence", "remind_at"})

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
_TAGS: Final = (
    f"Labels such as `work` or `home`: each 1-{TAG_MAX_LENGTH} characters once trimmed, no "
    f"comma, no control characters; at most {MAX_TAGS}; the same tag in another case counts "
    "once (the first spelling wins)."
)
_RECURRENCE: Final = (
    "Makes the task repeat: an RFC 5545 RRULE without `RRULE:`, its parts in this order: "
    "FREQ (DAILY, WEEKLY, MONTHLY, YEARLY), INTERVAL (1-999), BYDAY (MO..SU, comma-separated; "
    "with MONTHLY an ordinal may lead: 1MO, -1FR), BYMONTHDAY (1-31 or -1), BYMONTH (1-12), "
    "then COUNT (1-1000) or UNTIL (20261231 or 20261231T235959Z, not before the due date). "
    "`FREQ=WEEKLY;BYDAY=FR` is every Friday. Needs a `due_date`. Completing the task creates "
    "its next occurrence."
)
_REMIND_AT: Final = f"When to remind the user, any moment. {TIMESTAMP_HELP}"


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
    """``add_task``: the fields of a new task; a recurring one needs a due date."""

    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"recurrence": {"type": "string"}}, "required": ["recurrence"]},
            "then": {
                "required": ["due_date"],
                "properties": {"due_date": {"type": "string", "minLength": 1}},
            },
        }
    )

    title: Title = Field(description=_TITLE)
    description: Description = Field(default=None, description=f"{_DESCRIPTION} Optional.")
    priority: Priority = Field(default=None, description="`low`, `medium` (the default) or `high`.")
    due_date: Moment = Field(default=None, description=f"{_DUE_DATE} Optional.")
    tags: Tags = Field(default=None, description=f"{_TAGS} Optional.")
    recurrence: Recurrence = Field(default=None, description=f"{_RECURRENCE} Optional.")
    remind_at: Moment = Field(default=None, description=f"{_REMIND_AT} Optional.")

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
    due_date: Moment = Field(
        default=None, description=f'A new due date. {TIMESTAMP_HELP} `null` or `""` clears it.'
    )
    tags: Tags = Field(
        default=None, description=f"The new tags, replacing the old. {_TAGS} `null` or `[]` clears."
    )
    recurrence: Recurrence = Field(
        default=None, description=f"{_RECURRENCE} `null` stops the repetition."
    )
    remind_at: Moment = Field(default=None, description=f'{_REMIND_AT} `null` or `""` clears it.')
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
    tag: TagFilter = Field(
        default=None,
        description="Only tasks carrying this tag, or any of these tags (any case).",
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
    remind_after: TimestampFilter = Field(
        default=None,
        description=f"Only tasks whose reminder is at or after this moment (tasks without one "
        f"are left out). {TIMESTAMP_HELP}",
    )
    remind_before: TimestampFilter = Field(
        default=None,
        description=f"Only tasks whose reminder is before this moment (tasks without one are "
        f"left out). {TIMESTAMP_HELP}",
    )
    sort: Sort = Field(
        default=None,
        description=(
            "Sort by `created_at` (the default), `updated_at`, `due_date`, `priority`, `status`, "
            "`title` or `remind_at`; a leading `-` sorts descending. Tasks without a due date "
            "(or reminder) come last."
        ),
    )
    order: Order = Field(
        default=None,
        description=(
            "`asc` or `desc`. By default newest and most urgent first (`created_at`, "
            "`updated_at`, `priority`), soonest first for `due_date` and `remind_at`, "
            "A-Z for `title`."
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
    """A tool that takes nothing but the optional ``user_id`` (``task_stats``, ``list_tags``)."""
