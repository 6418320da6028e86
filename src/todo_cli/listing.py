"""The ``todo tasks list`` options, read into the same ListRequest the API builds."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from todo_core.errors import InvalidInput
from todo_core.model import TaskPriority, TaskStatus
from todo_core.queries import DEFAULT_LIMIT, SortField, TaskFilter
from todo_core.services import ListRequest
from todo_core.timestamps import parse_timestamp

E = TypeVar("E", bound=StrEnum)


def parse_choices(values: Sequence[str], kind: type[E], *, name: str) -> frozenset[E] | None:
    """Repeated or comma-separated enum values; ``all`` anywhere means no filter."""
    words = [word.strip() for value in values for word in value.split(",") if word.strip()]
    if not words or "all" in words:
        return None
    try:
        return frozenset(kind(word) for word in words)
    except ValueError:
        allowed = ", ".join([*(member.value for member in kind), "all"])
        raise InvalidInput.single(name, f"must be among {allowed}", source="query") from None


def parse_sort(sort: str | None, order: str | None) -> tuple[SortField, bool | None]:
    """``-field`` means descending and wins over ``order``; no order = the field's default."""
    text = (sort or SortField.CREATED_AT.value).strip()
    descending: bool | None = None
    if text.startswith("-"):
        text, descending = text[1:], True
    try:
        field = SortField(text)
    except ValueError:
        allowed = ", ".join(member.value for member in SortField)
        raise InvalidInput.single("sort", f"must be one of {allowed}", source="query") from None
    if descending is None and order:
        descending = order == "desc"
    return field, descending


def list_request(
    *,
    statuses: Sequence[str],
    priorities: Sequence[str],
    completed: bool | None,
    search: str | None,
    due_after: str | None,
    due_before: str | None,
    overdue: bool | None,
    sort: str | None,
    order: str | None,
    limit: int | None,
    offset: int | None,
    cursor: str | None,
) -> ListRequest:
    """Everything ``tasks list`` was told, as a use-case request."""
    field, descending = parse_sort(sort, order)
    stamp = _optional(lambda text, name: parse_timestamp(text, field=name))
    return ListRequest(
        filter=TaskFilter(
            statuses=parse_choices(statuses, TaskStatus, name="status"),
            priorities=parse_choices(priorities, TaskPriority, name="priority"),
            completed=completed,
            search=search or None,
            due_after=stamp(due_after, "due_after"),
            due_before=stamp(due_before, "due_before"),
            overdue=overdue,
        ),
        sort=field,
        descending=descending,
        limit=limit if limit is not None else DEFAULT_LIMIT,
        offset=offset or 0,
        cursor=cursor or None,
    )


def _optional(
    parse: Callable[[str, str], datetime],
) -> Callable[[str | None, str], datetime | None]:
    def read(text: str | None, name: str) -> datetime | None:
        return parse(text, name) if text else None

    return read
