"""The tools' argument types: each a validator and the JSON schema of exactly what it takes.

What a schema allows, its validator takes; what the validator or the core's
field rules refuse, the schema does not allow. A model that follows the
published schemas therefore never meets an argument error. Where the core
reads more than a schema can say, the validator holds to the schema: a
recurrence rule in its canonical order (the HTTP API also reads the parts in
any order), at most 20 tags sent (the core would drop case-insensitive
repeats first). Two refusals stay beyond a schema: what only the stored data
decides (a task that does not exist, a cursor from another listing, a user
id that is not the caller's, an ``UNTIL`` before the due date), and the
calendar (``2026-02-30`` has the shape of a date; the tool refuses it).

Every type is a ``PlainValidator`` (no coercion: ``"5"`` is not a number,
``1`` is not ``true``) with its schema given whole by ``WithJsonSchema``, so
the schema inlines every enum (no ``$ref``) and reads the same in any client.
``null`` is accepted wherever an argument is optional and means "not given",
except where a field says it clears (``description``, ``due_date``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Final, TypeVar

from pydantic import PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from todo_core.errors import InvalidInput
from todo_core.model import (
    DESCRIPTION_MAX_LENGTH,
    MAX_TAGS,
    TAG_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    TaskPriority,
    TaskStatus,
)
from todo_core.queries import MAX_LIMIT, SortField
from todo_core.timestamps import parse_timestamp
from todo_presentation.listing import ALL, MAX_OFFSET
from todo_presentation.patterns import RECURRENCE_PATTERN

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)
Schema = dict[str, Any]

#: What ``str.strip()`` removes (``str.isspace``), as a regex class body; C0 ones included.
WHITESPACE: Final = (
    "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f\\x20\\x85\\xa0\\u1680\\u2000-\\u200a"
    "\\u2028\\u2029\\u202f\\u205f\\u3000"
)
#: Unicode category Cc (C0, DEL, C1), as a regex class body.
CONTROL: Final = "\\x00-\\x1f\\x7f-\\x9f"

#: A title as ``clean_title`` takes it: 1-255 characters once trimmed, no control character
#: inside (the whitespace trimmed away may be anything ``str.strip()`` removes).
TITLE_PATTERN: Final = (
    f"^[{WHITESPACE}]*[^{CONTROL}{WHITESPACE}]"
    f"(?:[^{CONTROL}]{{0,{TITLE_MAX_LENGTH - 2}}}[^{CONTROL}{WHITESPACE}])?[{WHITESPACE}]*$"
)
#: A tag as ``clean_tags`` takes each: as a title, but 1-50 characters and no comma.
TAG_PATTERN: Final = (
    f"^[{WHITESPACE}]*[^{CONTROL}{WHITESPACE},]"
    f"(?:[^{CONTROL},]{{0,{TAG_MAX_LENGTH - 2}}}[^{CONTROL}{WHITESPACE},])?[{WHITESPACE}]*$"
)
NO_NUL_PATTERN: Final = "^[^\\x00]*$"
_RECURRENCE: Final = re.compile(RECURRENCE_PATTERN)

_YEAR: Final = "(?:[0-9]{3}[1-9]|[0-9]{2}[1-9]0|[0-9][1-9]00|[1-9]000)"  # 0001-9999
_DATE: Final = f"{_YEAR}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
_TIME: Final = "[Tt ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\\.[0-9]{1,6})?)?"
#: Python reads any offset under 24 hours, minutes over 59 included (``+00:90``): so does this.
_OFFSET: Final = "(?:[Zz]|[+-](?:(?:[01][0-9]|2[0-2]):?[0-9]{2}|23:?[0-5][0-9]))"
_TIMESTAMP: Final = f"[{WHITESPACE}]*{_DATE}(?:{_TIME}{_OFFSET}?)?[{WHITESPACE}]*"
#: What ``parse_timestamp`` reads, or the empty string.
TIMESTAMP_OR_EMPTY_PATTERN: Final = f"^(?:{_TIMESTAMP})?$"
TIMESTAMP_HELP: Final = (
    "A date `2026-12-01` (midnight UTC) or a date and time `2026-12-01T17:00:00Z`: "
    "seconds and a fraction of up to 6 digits optional; an offset `Z`, `+02:00` or "
    "`-0500` (converted to UTC), none meaning UTC."
)
UUID_PATTERN: Final = (
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
_UUID: Final = re.compile(UUID_PATTERN.strip("^$"))

NULL: Final[Schema] = {"type": "null"}


def _refuse(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, message)


def nullable(schema: Schema) -> Schema:
    """``schema`` or ``null``."""
    return {"anyOf": [schema, NULL]}


def or_none(check: Callable[[object], T]) -> Callable[[object], T | None]:
    """``check``, with ``None`` (JSON ``null``) let through."""

    def checked(value: object) -> T | None:
        return None if value is None else check(value)

    return checked


def text(value: object) -> str:
    """A JSON string."""
    if not isinstance(value, str):
        raise _refuse("string_type", "Input should be a string")
    return value


def flag(value: object) -> bool:
    """A JSON boolean (not ``1``, not ``"true"``)."""
    if not isinstance(value, bool):
        raise _refuse("bool_type", "Input should be true or false")
    return value


def integer(low: int, high: int) -> Callable[[object], int]:
    """A JSON integer in ``low..high`` (``5.0`` is the integer 5, as in JSON Schema)."""

    def check(value: object) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise _refuse("int_type", "Input should be an integer")
        if not low <= value <= high:
            raise _refuse("range", f"Input should be between {low} and {high}")
        return value

    return check


def member(enum: type[E]) -> Callable[[object], E]:
    """One of the enum's values, exactly."""
    words = [item.value for item in enum]

    def check(value: object) -> E:
        if not isinstance(value, str) or value not in words:
            raise _refuse("enum", f"Input should be one of {', '.join(words)}")
        return enum(value)

    return check


def word(words: Iterable[str]) -> Callable[[object], str]:
    """One of ``words``, exactly."""
    allowed = tuple(words)

    def check(value: object) -> str:
        if not isinstance(value, str) or value not in allowed:
            raise _refuse("enum", f"Input should be one of {', '.join(allowed)}")
        return value

    return check


def one_or_many(words: Iterable[str]) -> Callable[[object], list[str]]:
    """One of ``words`` or an array of them (an empty array: no filter)."""
    single = word(words)

    def check(value: object) -> list[str]:
        if isinstance(value, list):
            return [single(item) for item in value]
        return [single(value)]

    return check


def no_nul(value: object) -> str:
    """A JSON string without NUL characters."""
    checked = text(value)
    if "\x00" in checked:
        raise _refuse("string_pattern_mismatch", "Input should not contain NUL characters")
    return checked


def many(check: Callable[[object], T], *, most: int | None = None) -> Callable[[object], list[T]]:
    """An array of items each passing ``check``, at most ``most`` of them."""

    def checked(value: object) -> list[T]:
        if not isinstance(value, list):
            raise _refuse("list_type", "Input should be an array")
        if most is not None and len(value) > most:
            raise _refuse("too_long", f"Input should have at most {most} items")
        return [check(item) for item in value]

    return checked


def one_or_many_texts(value: object) -> list[str]:
    """A string without NUL, or an array of them (the listing's ``tag``)."""
    return many(no_nul)(value) if isinstance(value, list) else [no_nul(value)]


def recurrence(value: object) -> str:
    """A recurrence rule in the canonical order of its parts (``RECURRENCE_PATTERN``)."""
    rule = text(value)
    if not _RECURRENCE.fullmatch(rule):
        raise _refuse(
            "recurrence",
            "Input should be a rule like FREQ=WEEKLY;BYDAY=FR, its parts in the order FREQ, "
            "INTERVAL, BYDAY, BYMONTHDAY, BYMONTH, then COUNT or UNTIL",
        )
    return rule


def task_id(value: object) -> uuid.UUID:
    """A UUID in its hyphenated form, any letter case."""
    if not isinstance(value, str) or not _UUID.fullmatch(value):
        raise _refuse("uuid_parsing", "Input should be a UUID like 3f0c6a8e-1b7e-4a53-9a57-...")
    return uuid.UUID(value)


def timestamp_or_clear(value: object) -> datetime | None:
    """A timestamp as the API reads it; ``""`` clears, as ``null`` does."""
    if value == "":
        return None
    try:
        return parse_timestamp(text(value))
    except InvalidInput as error:
        first = error.errors[0]
        raise _refuse(first.kind, first.message) from None


def enum_schema(words: Iterable[str]) -> Schema:
    """A string, one of ``words``."""
    return {"type": "string", "enum": list(words)}


def values(enum: type[StrEnum]) -> list[str]:
    """The values of an enum, in declaration order."""
    return [item.value for item in enum]


SORT_WORDS: Final = [*values(SortField), *(f"-{field}" for field in values(SortField))]

# Fields of a task (section 3 of API.md).
Title = Annotated[
    str,
    PlainValidator(text),
    WithJsonSchema({"type": "string", "pattern": TITLE_PATTERN}),
]
Description = Annotated[
    str | None,
    PlainValidator(or_none(text)),
    WithJsonSchema(
        nullable({"type": "string", "maxLength": DESCRIPTION_MAX_LENGTH, "pattern": NO_NUL_PATTERN})
    ),
]
Priority = Annotated[
    TaskPriority | None,
    PlainValidator(or_none(member(TaskPriority))),
    WithJsonSchema(nullable(enum_schema(values(TaskPriority)))),
]
Status = Annotated[
    TaskStatus | None,
    PlainValidator(or_none(member(TaskStatus))),
    WithJsonSchema(nullable(enum_schema(values(TaskStatus)))),
]
Moment = Annotated[
    datetime | None,
    PlainValidator(or_none(timestamp_or_clear)),
    WithJsonSchema(nullable({"type": "string", "pattern": TIMESTAMP_OR_EMPTY_PATTERN})),
]
Tags = Annotated[
    list[str] | None,
    PlainValidator(or_none(many(text, most=MAX_TAGS))),
    WithJsonSchema(
        nullable(
            {
                "type": "array",
                "items": {"type": "string", "pattern": TAG_PATTERN},
                "maxItems": MAX_TAGS,
            }
        )
    ),
]
Recurrence = Annotated[
    str | None,
    PlainValidator(or_none(recurrence)),
    WithJsonSchema(nullable({"type": "string", "pattern": RECURRENCE_PATTERN})),
]
Flag = Annotated[
    bool | None, PlainValidator(or_none(flag)), WithJsonSchema(nullable({"type": "boolean"}))
]
TaskId = Annotated[
    uuid.UUID,
    PlainValidator(task_id),
    WithJsonSchema({"type": "string", "format": "uuid", "pattern": UUID_PATTERN}),
]
UserId = Annotated[
    str | None, PlainValidator(or_none(text)), WithJsonSchema(nullable({"type": "string"}))
]

# The listing's parameters (section 4), handed to ``parse_listing`` as strings.
StatusFilter = Annotated[
    list[str] | None,
    PlainValidator(or_none(one_or_many([*values(TaskStatus), ALL]))),
    WithJsonSchema(
        {
            "anyOf": [
                enum_schema([*values(TaskStatus), ALL]),
                {"type": "array", "items": enum_schema([*values(TaskStatus), ALL])},
                NULL,
            ]
        }
    ),
]
PriorityFilter = Annotated[
    list[str] | None,
    PlainValidator(or_none(one_or_many([*values(TaskPriority), ALL]))),
    WithJsonSchema(
        {
            "anyOf": [
                enum_schema([*values(TaskPriority), ALL]),
                {"type": "array", "items": enum_schema([*values(TaskPriority), ALL])},
                NULL,
            ]
        }
    ),
]
TagFilter = Annotated[
    list[str] | None,
    PlainValidator(or_none(one_or_many_texts)),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": NO_NUL_PATTERN},
                {"type": "array", "items": {"type": "string", "pattern": NO_NUL_PATTERN}},
                NULL,
            ]
        }
    ),
]
Search = Annotated[
    str | None,
    PlainValidator(or_none(text)),
    WithJsonSchema(nullable({"type": "string", "pattern": NO_NUL_PATTERN})),
]
TimestampFilter = Annotated[
    str | None,
    PlainValidator(or_none(text)),
    WithJsonSchema(nullable({"type": "string", "pattern": TIMESTAMP_OR_EMPTY_PATTERN})),
]
Sort = Annotated[
    str | None,
    PlainValidator(or_none(word(SORT_WORDS))),
    WithJsonSchema(nullable(enum_schema(SORT_WORDS))),
]
Order = Annotated[
    str | None,
    PlainValidator(or_none(word(["asc", "desc"]))),
    WithJsonSchema(nullable(enum_schema(["asc", "desc"]))),
]
Limit = Annotated[
    int | None,
    PlainValidator(or_none(integer(1, MAX_LIMIT))),
    WithJsonSchema(nullable({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT})),
]
Offset = Annotated[
    int | None,
    PlainValidator(or_none(integer(0, MAX_OFFSET))),
    WithJsonSchema(nullable({"type": "integer", "minimum": 0, "maximum": MAX_OFFSET})),
]
Cursor = Annotated[
    str | None, PlainValidator(or_none(text)), WithJsonSchema(nullable({"type": "string"}))
]
