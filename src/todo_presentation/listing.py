"""A listing's parameters, read from plain ``(name, value)`` string pairs into a ``ListRequest``.

The pairs come from a query string (HTTP), command-line options (the CLI) or
tool arguments (MCP); the rules are the API's, once.

Rules (API.md, "Listing"): an empty value is the same as an absent
parameter; ``status`` and ``priority`` repeat or comma-separate, ``all``
anywhere meaning no filter; ``search`` (alias ``q``), ``sort`` (alias
``sort_by``, a leading ``-`` means descending and wins over ``order``),
``order`` (alias ``sort_order``); the first name wins when both are given.
A repeated single-valued parameter takes its last value. Every bad parameter
is reported (422, ``["query", name]``), not only the first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Final, TypeVar

from todo_core.errors import FieldError, InvalidInput
from todo_core.model import TaskPriority, TaskStatus, tag_key
from todo_core.queries import DEFAULT_LIMIT, MAX_LIMIT, SortField, TaskFilter
from todo_core.services import ListRequest
from todo_core.timestamps import parse_timestamp
from todo_presentation.words import boolean_word

#: Offsets beyond this are refused (every storage handles a 32-bit offset).
MAX_OFFSET: Final = 2**31 - 1

ALL: Final = "all"
_INTEGER: Final = re.compile(r"[+-]?[0-9]{1,12}")
#: The parameters that say where a page starts (a next-page link replaces them).
PAGING_PARAMS: Final = frozenset({"cursor", "offset"})

E = TypeVar("E", bound=StrEnum)


class _Query:
    """The query string with empty values dropped, collecting errors as it is read."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._values: dict[str, list[str]] = {}
        for name, value in pairs:
            if value != "":
                self._values.setdefault(name, []).append(value)
        self.errors: list[FieldError] = []

    def last(self, *names: str) -> tuple[str, str] | None:
        """``(name, value)`` of the first of ``names`` present (its last value)."""
        for name in names:
            values = self._values.get(name)
            if values:
                return name, values[-1]
        return None

    def items(self, name: str) -> list[str]:
        """Every comma-separated item of every occurrence, empty items dropped."""
        return [
            item.strip()
            for value in self._values.get(name, ())
            for item in value.split(",")
            if item.strip()
        ]

    def fail(self, name: str, message: str, kind: str = "value_error") -> None:
        self.errors.append(FieldError(name, message, kind, source="query"))


def _enum_set(query: _Query, name: str, enum: type[E]) -> frozenset[E] | None:
    items = query.items(name)
    allowed = {member.value for member in enum}
    if any(item not in allowed and item != ALL for item in items):
        choices = ", ".join([*(member.value for member in enum), ALL])
        query.fail(name, f"{name} must be one or more of {choices}", "enum")
        return None
    if not items or ALL in items:
        return None
    return frozenset(enum(item) for item in items)


def _boolean(query: _Query, name: str) -> bool | None:
    found = query.last(name)
    if found is None:
        return None
    value = boolean_word(found[1])
    if value is None:
        query.fail(name, f"{name} must be true or false", "bool_parsing")
    return value


def _integer(query: _Query, name: str, default: int, low: int, high: int) -> int:
    found = query.last(name)
    if found is None:
        return default
    text = found[1].strip()
    if not _INTEGER.fullmatch(text):
        query.fail(name, f"{name} must be an integer", "int_parsing")
        return default
    number = int(text)
    if not low <= number <= high:
        query.fail(name, f"{name} must be between {low} and {high}", "range")
        return default
    return number


def _timestamp(query: _Query, name: str) -> datetime | None:
    found = query.last(name)
    if found is None:
        return None
    try:
        return parse_timestamp(found[1], field=name)
    except InvalidInput as error:
        query.errors.extend(
            FieldError(e.field, e.message, e.kind, source="query") for e in error.errors
        )
        return None


def _tags(query: _Query) -> frozenset[str] | None:
    """``tag``: repeated or comma-separated, matched case-insensitively (as keys)."""
    items = query.items("tag")
    if not items:
        return None
    if any("\x00" in item for item in items):
        query.fail("tag", "tag must not contain NUL characters")
        return None
    return frozenset(tag_key(item) for item in items)


def _search(query: _Query) -> str | None:
    found = query.last("search", "q")
    if found is None:
        return None
    name, value = found
    if "\x00" in value:
        query.fail(name, f"{name} must not contain NUL characters")
        return None
    return value


def _sort(query: _Query) -> tuple[SortField, bool | None]:
    descending: bool | None = None
    found = query.last("order", "sort_order")
    if found is not None:
        name, value = found
        direction = value.strip().lower()
        if direction in ("asc", "desc"):
            descending = direction == "desc"
        else:
            query.fail(name, f"{name} must be asc or desc", "enum")
    found = query.last("sort", "sort_by")
    if found is None:
        return SortField.CREATED_AT, descending
    name, value = found
    field = value.strip()
    if field.startswith("-"):
        field, descending = field[1:], True
    try:
        return SortField(field), descending
    except ValueError:
        allowed = ", ".join(member.value for member in SortField)
        query.fail(name, f"{name} must be one of {allowed}, optionally prefixed by -", "enum")
        return SortField.CREATED_AT, descending


def parse_listing(pairs: Iterable[tuple[str, str]]) -> ListRequest:
    """The ``ListRequest`` of ``(name, value)`` pairs, or ``InvalidInput`` naming every bad one."""
    query = _Query(pairs)
    task_filter = TaskFilter(
        statuses=_enum_set(query, "status", TaskStatus),
        priorities=_enum_set(query, "priority", TaskPriority),
        completed=_boolean(query, "completed"),
        search=_search(query),
        due_after=_timestamp(query, "due_after"),
        due_before=_timestamp(query, "due_before"),
        tags=_tags(query),
        remind_after=_timestamp(query, "remind_after"),
        remind_before=_timestamp(query, "remind_before"),
        overdue=_boolean(query, "overdue"),
    )
    sort, descending = _sort(query)
    limit = _integer(query, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = _integer(query, "offset", 0, 0, MAX_OFFSET)
    found_cursor = query.last("cursor")
    cursor = found_cursor[1] if found_cursor is not None else None
    if cursor is not None and query.last("offset") is not None:
        query.fail("cursor", "cursor cannot be combined with offset")
    if query.errors:
        raise InvalidInput(query.errors)
    return ListRequest(
        filter=task_filter,
        sort=sort,
        descending=descending,
        limit=limit,
        offset=offset,
        cursor=cursor,
    )
