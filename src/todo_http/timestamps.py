"""Timestamps at the HTTP edge: the parsing and formatting of ``todo_core.timestamps``
as a pydantic type for bodies, and their JSON schemas.

The input schema is deliberately narrower than what is accepted (so that
everything it allows is accepted): RFC 3339 with an upper-case ``T``, at most
six fraction digits, no leap second, and years 0002-9998 unless the offset
is zero (any year 0001-9999 then), which keeps every instant inside 1-9999
after conversion to UTC; or a bare date. The server also accepts no offset
(UTC), missing seconds, a space or lower-case ``t``/``z``; the OpenAPI
description says so.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final

from pydantic import PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from todo_core.errors import InvalidInput
from todo_core.timestamps import format_timestamp, parse_timestamp

__all__ = [
    "DUE_DATE_INPUT_SCHEMA",
    "TIMESTAMP_INPUT_SCHEMA",
    "TIMESTAMP_OUTPUT_SCHEMA",
    "DueDateInput",
    "RemindAtInput",
    "format_timestamp",
]

_ANY_YEAR: Final = "(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})"
_INNER_YEAR: Final = (
    "(?:000[2-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])"
)
_MONTH_DAY: Final = "-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
_CLOCK: Final = "T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
_ZERO_OFFSET: Final = "(?:Z|[+-]00:00)"
_OFFSET: Final = "[+-](?:[01][0-9]|2[0-3]):[0-5][0-9]"

DATE_TIME_PATTERN: Final = (
    f"^(?:{_ANY_YEAR}{_MONTH_DAY}{_CLOCK}(?:\\.[0-9]{{1,6}})?{_ZERO_OFFSET}"
    f"|{_INNER_YEAR}{_MONTH_DAY}{_CLOCK}(?:\\.[0-9]{{1,6}})?{_OFFSET})$"
)
DATE_PATTERN: Final = f"^{_ANY_YEAR}{_MONTH_DAY}$"
OUTPUT_PATTERN: Final = f"^{_ANY_YEAR}{_MONTH_DAY}{_CLOCK}\\.[0-9]{{6}}Z$"

_DATE_TIME_SCHEMA: Final[dict[str, Any]] = {
    "type": "string",
    "format": "date-time",
    "pattern": DATE_TIME_PATTERN,
}
_DATE_SCHEMA: Final[dict[str, Any]] = {"type": "string", "format": "date", "pattern": DATE_PATTERN}

TIMESTAMP_INPUT_SCHEMA: Final[dict[str, Any]] = {
    "anyOf": [_DATE_TIME_SCHEMA, _DATE_SCHEMA],
    "description": (
        "RFC 3339 (any offset, converted to UTC) or a bare date (midnight UTC). Also accepted: "
        "no offset (UTC), no seconds (as <input type=datetime-local> sends). Years outside "
        "1-9999 after conversion are refused."
    ),
}

DUE_DATE_INPUT_SCHEMA: Final[dict[str, Any]] = {
    "anyOf": [_DATE_TIME_SCHEMA, _DATE_SCHEMA, {"type": "string", "enum": [""]}, {"type": "null"}],
    "description": (
        f"{TIMESTAMP_INPUT_SCHEMA['description']} `null` or an empty string clears the due date."
    ),
}

TIMESTAMP_OUTPUT_SCHEMA: Final[dict[str, Any]] = {
    "type": "string",
    "format": "date-time",
    "pattern": OUTPUT_PATTERN,
    "description": "RFC 3339 in UTC with microseconds and a four-digit year.",
    "examples": ["2026-11-26T10:00:00.000000Z"],
}


def _due_date(value: object) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise PydanticCustomError("datetime_type", "Input should be a timestamp string or null")
    try:
        return parse_timestamp(value)
    except InvalidInput as error:
        first = error.errors[0]
        raise PydanticCustomError(first.kind, first.message) from None


DueDateInput = Annotated[
    datetime | None, PlainValidator(_due_date), WithJsonSchema(DUE_DATE_INPUT_SCHEMA)
]

REMIND_AT_INPUT_SCHEMA: Final[dict[str, Any]] = {
    "anyOf": DUE_DATE_INPUT_SCHEMA["anyOf"],
    "description": (
        f"{TIMESTAMP_INPUT_SCHEMA['description']} Any instant, before the due date or not. "
        "`null` or an empty string clears the reminder."
    ),
}

RemindAtInput = Annotated[
    datetime | None, PlainValidator(_due_date), WithJsonSchema(REMIND_AT_INPUT_SCHEMA)
]
