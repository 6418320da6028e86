"""Request and response shapes (pydantic), never the table rows.

Request bodies are ``TypedDict``s validated by pydantic in one pass from the
raw bytes (``validate_json``): a key that is absent stays absent, which is
exactly the merge-patch "not sent" of ``TaskChanges``. Field content rules
are the core's own (``clean_title``...), run inside pydantic so that every
bad field is reported at once. Response models only document the replies:
handlers serialise domain objects once with orjson (``presenters``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Final, Literal, NotRequired, Required

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    WithJsonSchema,
    with_config,
)
from pydantic_core import PydanticCustomError
from typing_extensions import TypedDict

from todo_core.errors import InvalidInput
from todo_core.model import (
    DESCRIPTION_MAX_LENGTH,
    MAX_TAGS,
    TAG_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    USER_ID_MAX_LENGTH,
    TaskPriority,
    TaskStatus,
    clean_description,
    clean_tags,
    clean_title,
)
from todo_core.recurrence import clean_recurrence
from todo_http.timestamps import TIMESTAMP_OUTPUT_SCHEMA, DueDateInput, RemindAtInput
from todo_presentation.patterns import RECURRENCE_PATTERN

# Python's str.strip() whitespace that is not a control character, then controls (Cc).
_SPACE: Final = "\\x20\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
_CONTROL: Final = "\\x00-\\x1f\\x7f-\\x9f"
TITLE_PATTERN: Final = f"^[^{_CONTROL}]*[^{_CONTROL}{_SPACE}][^{_CONTROL}]*$"
DESCRIPTION_PATTERN: Final = "^[^\\x00]*$"

TITLE_SCHEMA: Final[dict[str, Any]] = {
    "type": "string",
    "minLength": 1,
    "maxLength": TITLE_MAX_LENGTH,
    "pattern": TITLE_PATTERN,
    "description": (
        f"Trimmed of surrounding whitespace, then 1-{TITLE_MAX_LENGTH} characters without "
        "control characters. Longer input whose trimmed form fits is accepted too."
    ),
}
DESCRIPTION_SCHEMA: Final[dict[str, Any]] = {
    "anyOf": [
        {"type": "string", "maxLength": DESCRIPTION_MAX_LENGTH, "pattern": DESCRIPTION_PATTERN},
        {"type": "null"},
    ],
    "description": f"At most {DESCRIPTION_MAX_LENGTH} characters, no NUL; null clears it.",
}


def _core_rule(cleaner: Any) -> AfterValidator:
    """Run a core field rule inside pydantic, keeping the core's message and kind."""

    def check(value: Any) -> Any:
        try:
            return cleaner(value)
        except InvalidInput as error:
            first = error.errors[0]
            raise PydanticCustomError(first.kind, first.message) from None

    return AfterValidator(check)


TAG_PATTERN: Final = f"^[^{_CONTROL},]*[^{_CONTROL}{_SPACE},][^{_CONTROL},]*$"
TAG_SCHEMA: Final[dict[str, Any]] = {
    "type": "string",
    "minLength": 1,
    "maxLength": TAG_MAX_LENGTH,
    "pattern": TAG_PATTERN,
}
TAGS_SCHEMA: Final[dict[str, Any]] = {
    "anyOf": [{"type": "array", "items": TAG_SCHEMA, "maxItems": MAX_TAGS}, {"type": "null"}],
    "description": (
        f"Each tag trimmed like a title, then 1-{TAG_MAX_LENGTH} characters, no control "
        "characters and no comma. Tags equal but for case are one (the first spelling wins); "
        f"order as given; at most {MAX_TAGS}. `null` or `[]` clears; on update the array "
        "replaces the stored one."
    ),
}

RECURRENCE_SCHEMA: Final[dict[str, Any]] = {
    "anyOf": [{"type": "string", "pattern": RECURRENCE_PATTERN}, {"type": "null"}],
    "description": (
        "An RFC 5545 RRULE value without `RRULE:`: FREQ (DAILY, WEEKLY, MONTHLY, YEARLY), "
        "INTERVAL (1-999), BYDAY (MO..SU; with MONTHLY an ordinal may lead: 1MO, -1FR), "
        "BYMONTHDAY (1-31 or -1), BYMONTH (1-12) and at most one of COUNT (1-1000) and UNTIL "
        "(20261231T235959Z, or a date 20261231 that includes the whole day). Parts may come "
        "in any order (the schema shows the order the server returns). A recurring task needs "
        "a due_date, and UNTIL may not lie before it. Completing the task creates its next "
        "occurrence. `null` stops the repetition."
    ),
    "examples": ["FREQ=WEEKLY;BYDAY=FR", "FREQ=MONTHLY;BYDAY=-1FR;COUNT=6"],
}

TitleInput = Annotated[str, _core_rule(clean_title), WithJsonSchema(TITLE_SCHEMA)]
TagsInput = Annotated[list[str] | None, _core_rule(clean_tags), WithJsonSchema(TAGS_SCHEMA)]
RecurrenceInput = Annotated[
    str | None, _core_rule(clean_recurrence), WithJsonSchema(RECURRENCE_SCHEMA)
]
DescriptionInput = Annotated[
    str | None, _core_rule(clean_description), WithJsonSchema(DESCRIPTION_SCHEMA)
]

#: On create, ``completed`` and ``status`` may not disagree (there is no stored task to settle it).
_CREATE_AGREEMENT: Final[dict[str, Any]] = {
    # A recurring task needs a due date.
    "if": {"properties": {"recurrence": {"type": "string"}}, "required": ["recurrence"]},
    "then": {
        "required": ["due_date"],
        "properties": {"due_date": {"type": "string", "minLength": 1}},
    },
    "not": {
        "anyOf": [
            {
                "properties": {
                    "completed": {"const": True},
                    "status": {"enum": ["pending", "in_progress"]},
                },
                "required": ["completed", "status"],
            },
            {
                "properties": {"completed": {"const": False}, "status": {"const": "completed"}},
                "required": ["completed", "status"],
            },
        ]
    },
}


@with_config(
    ConfigDict(
        strict=True,
        extra="ignore",
        title="TaskCreate",
        json_schema_extra={
            **_CREATE_AGREEMENT,
            "description": (
                "A new task. `completed: true` completes it; `completed` and `status` must "
                "agree. Unknown and server-owned fields are ignored."
            ),
        },
    )
)
class TaskCreateBody(TypedDict, total=False):
    """The body of ``POST .../tasks``."""

    title: Required[TitleInput]
    description: DescriptionInput
    status: TaskStatus
    priority: TaskPriority
    due_date: DueDateInput
    completed: bool
    tags: TagsInput
    recurrence: RecurrenceInput
    remind_at: RemindAtInput


@with_config(
    ConfigDict(
        strict=True,
        extra="ignore",
        title="TaskUpdate",
        json_schema_extra={
            "description": (
                "A merge patch: only the fields present change (PUT and PATCH alike). "
                "`completed: false` reopens only a completed task. When `completed` and "
                "`status` disagree, the one that differs from the stored task wins; if both "
                "differ it is a 422. Unknown and server-owned fields are ignored, so a fetched "
                "task can be sent back as it is."
            )
        },
    )
)
class TaskUpdateBody(TypedDict, total=False):
    """The body of ``PUT``/``PATCH .../tasks/{task_id}``."""

    title: TitleInput
    description: DescriptionInput
    status: TaskStatus
    priority: TaskPriority
    due_date: DueDateInput
    completed: bool
    tags: TagsInput
    recurrence: RecurrenceInput
    remind_at: RemindAtInput


@with_config(
    ConfigDict(
        strict=True,
        extra="ignore",
        title="TaskCompletion",
        json_schema_extra={
            "description": (
                "Optional. No body or `{}` toggles; `completed: true` completes, "
                "`completed: false` reopens a completed task (to pending)."
            )
        },
    )
)
class TaskCompletionBody(TypedDict, total=False):
    """The body of ``PATCH .../tasks/{task_id}/complete``."""

    completed: NotRequired[bool]


TASK_CREATE: Final = TypeAdapter(TaskCreateBody)
TASK_UPDATE: Final = TypeAdapter(TaskUpdateBody)
TASK_COMPLETION: Final = TypeAdapter(TaskCompletionBody)

#: Request body components added to the OpenAPI document, by name.
REQUEST_BODIES: Final[dict[str, TypeAdapter[Any]]] = {
    "TaskCreate": TASK_CREATE,
    "TaskUpdate": TASK_UPDATE,
    "TaskCompletion": TASK_COMPLETION,
}

_NULLABLE_TIMESTAMP: Final[dict[str, Any]] = {"anyOf": [TIMESTAMP_OUTPUT_SCHEMA, {"type": "null"}]}


class Task(BaseModel):
    """A task as the API returns it (documentation; replies are built by ``presenters``)."""

    model_config = ConfigDict(title="Task")

    id: uuid.UUID
    user_id: Annotated[str, Field(min_length=1, max_length=USER_ID_MAX_LENGTH)]
    title: Annotated[str, WithJsonSchema(TITLE_SCHEMA)]
    description: Annotated[str | None, WithJsonSchema(DESCRIPTION_SCHEMA)]
    status: TaskStatus
    priority: TaskPriority
    due_date: Annotated[datetime | None, WithJsonSchema(_NULLABLE_TIMESTAMP)]
    completed: bool
    completed_at: Annotated[datetime | None, WithJsonSchema(_NULLABLE_TIMESTAMP)]
    created_at: Annotated[datetime, WithJsonSchema(TIMESTAMP_OUTPUT_SCHEMA)]
    updated_at: Annotated[datetime, WithJsonSchema(TIMESTAMP_OUTPUT_SCHEMA)]
    version: Annotated[int, Field(ge=1)]
    tags: Annotated[
        list[str], WithJsonSchema({"type": "array", "items": TAG_SCHEMA, "maxItems": MAX_TAGS})
    ]
    recurrence: Annotated[str | None, WithJsonSchema(RECURRENCE_SCHEMA)]
    next_occurrence_id: Annotated[
        uuid.UUID | None,
        Field(description="The task that completing this one created; server-owned."),
    ]
    remind_at: Annotated[datetime | None, WithJsonSchema(_NULLABLE_TIMESTAMP)]


Count = Annotated[int, Field(ge=0)]


class PriorityCounts(BaseModel):
    """Tasks per priority."""

    low: Count
    medium: Count
    high: Count


class TaskStats(BaseModel):
    """Counts over all of a user's tasks."""

    total: Count
    pending: Count
    in_progress: Count
    completed: Count
    overdue: Count
    by_priority: PriorityCounts
    by_tag: Annotated[
        dict[str, Count], Field(description="Tasks per tag, spelled as its most recent use.")
    ]


class TagCount(BaseModel):
    """A tag the user's tasks carry, spelled as its most recent use, and how many carry it."""

    name: Annotated[str, WithJsonSchema(TAG_SCHEMA)]
    count: Annotated[int, Field(ge=1)]


class DeletedTask(BaseModel):
    """A tombstone in the changes feed: the id of a task deleted, and when."""

    model_config = ConfigDict(title="DeletedTask")

    id: uuid.UUID
    deleted_at: Annotated[datetime, WithJsonSchema(TIMESTAMP_OUTPUT_SCHEMA)]


class TaskChangeFeed(BaseModel):
    """One page of the changes feed (API.md section 10)."""

    model_config = ConfigDict(title="TaskChangeFeed")

    changed: list[Task]
    deleted: list[DeletedTask]
    next: Annotated[str, Field(min_length=1)]
    more: bool


class Health(BaseModel):
    """The process is up."""

    status: Literal["ok"]


class Readiness(BaseModel):
    """Whether the database answers, with the schema this version needs."""

    status: Literal["ok", "unavailable"]
    database: Literal["ok", "unreachable", "schema out of date"]


class ErrorBody(BaseModel):
    """Every error except 422."""

    detail: str


class ValidationErrorItem(BaseModel):
    """One bad field; the input itself is never echoed."""

    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorBody(BaseModel):
    """A 422: one item per bad field."""

    detail: list[ValidationErrorItem]
