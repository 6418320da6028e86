"""What a listing asks for (filters, sort, page) and what it gets back.

The ordering rules live here once (``sort_value``, ``position_key``) so that
every adapter sorts, filters and pages the same way.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Final, TypeVar

from todo_core.errors import InvalidInput
from todo_core.model import Task, TaskPriority, TaskStatus, tag_key

DEFAULT_LIMIT: Final = 50
MAX_LIMIT: Final = 100
#: Real cursors stay far below this (even a 255-character non-ASCII title); longer is forged.
MAX_CURSOR_LENGTH: Final = 8192

SortValue = str | int | datetime | None
E = TypeVar("E", TaskStatus, TaskPriority)


class SortField(StrEnum):
    """Fields a listing can be sorted by."""

    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    DUE_DATE = "due_date"
    PRIORITY = "priority"
    STATUS = "status"
    TITLE = "title"
    REMIND_AT = "remind_at"

    @property
    def descending_by_default(self) -> bool:
        """Newest and most urgent first; soonest, least progressed and A-Z first."""
        return self in _DESCENDING_BY_DEFAULT

    @property
    def nullable(self) -> bool:
        """Whether a task may have no value for this field (it then sorts last)."""
        return self in _NULLABLE


_DESCENDING_BY_DEFAULT: Final = frozenset(
    {SortField.CREATED_AT, SortField.UPDATED_AT, SortField.PRIORITY}
)
_NULLABLE: Final = frozenset({SortField.DUE_DATE, SortField.REMIND_AT})


def sort_value(task: Task, sort: SortField) -> SortValue:
    """The value a task is ordered by (ranks for enums, case-folded title)."""
    match sort:
        case SortField.CREATED_AT:
            return task.created_at
        case SortField.UPDATED_AT:
            return task.updated_at
        case SortField.DUE_DATE:
            return task.due_date
        case SortField.PRIORITY:
            return task.priority.rank
        case SortField.STATUS:
            return task.status.rank
        case SortField.TITLE:
            return task.title_key
        case SortField.REMIND_AT:
            return task.remind_at


@dataclass(frozen=True, slots=True)
class Position:
    """Where a page ended: the last task's sort value and id."""

    value: SortValue
    task_id: uuid.UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskFilter:
    """Which of a user's tasks a listing or count includes (``None`` = no filter)."""

    statuses: frozenset[TaskStatus] | None = None
    priorities: frozenset[TaskPriority] | None = None
    completed: bool | None = None
    search: str | None = None
    due_after: datetime | None = None
    due_before: datetime | None = None
    overdue: bool | None = None
    #: Tag keys (``tag_key``): a task matches when it carries any of them.
    tags: frozenset[str] | None = None
    remind_after: datetime | None = None
    remind_before: datetime | None = None

    def matches(self, task: Task, *, now: datetime) -> bool:
        """Reference semantics of every filter; the SQL adapter must agree."""
        if self.statuses is not None and task.status not in self.statuses:
            return False
        if self.priorities is not None and task.priority not in self.priorities:
            return False
        if self.completed is not None and task.completed != self.completed:
            return False
        if self.search is not None and not _contains(task, self.search):
            return False
        if self.due_after is not None or self.due_before is not None:
            if task.due_date is None:
                return False
            if self.due_after is not None and task.due_date < self.due_after:
                return False
            if self.due_before is not None and task.due_date >= self.due_before:
                return False
        if self.tags is not None and self.tags.isdisjoint(tag_key(t) for t in task.tags):
            return False
        if not _within(task.remind_at, self.remind_after, self.remind_before):
            return False
        return self.overdue is None or task.is_overdue(now) == self.overdue

    def fingerprint_parts(self) -> list[object]:
        """A canonical, JSON-able description of the filter, for binding cursors."""
        return [
            sorted(self.statuses) if self.statuses is not None else None,
            sorted(self.priorities) if self.priorities is not None else None,
            self.completed,
            self.search,
            self.due_after.isoformat() if self.due_after else None,
            self.due_before.isoformat() if self.due_before else None,
            self.overdue,
            sorted(self.tags) if self.tags is not None else None,
            self.remind_after.isoformat() if self.remind_after else None,
            self.remind_before.isoformat() if self.remind_before else None,
        ]


def _within(moment: datetime | None, after: datetime | None, before: datetime | None) -> bool:
    """``after <= moment < before``; with either bound, a missing moment is left out."""
    if after is None and before is None:
        return True
    if moment is None:
        return False
    return (after is None or moment >= after) and (before is None or moment < before)


def _contains(task: Task, search: str) -> bool:
    needle = search.casefold()
    if needle in task.title_key:
        return True
    return task.description is not None and needle in task.description.casefold()


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskQuery:
    """One page of one user's tasks: filters, sort, and offset or cursor paging."""

    user_id: str
    now: datetime
    filter: TaskFilter = field(default_factory=TaskFilter)
    sort: SortField = SortField.CREATED_AT
    descending: bool = True
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    after: Position | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise InvalidInput.single(
                "limit", f"limit must be between 1 and {MAX_LIMIT}", source="query"
            )
        if self.offset < 0:
            raise InvalidInput.single("offset", "offset must be >= 0", source="query")
        if self.offset and self.after is not None:
            raise InvalidInput.single(
                "cursor", "cursor cannot be combined with offset", source="query"
            )

    def position_of(self, task: Task) -> Position:
        """The cursor position just after ``task`` in this query's order."""
        return Position(sort_value(task, self.sort), task.id)

    def fingerprint(self) -> str:
        """Binds a cursor to its user, sort, direction and filters (not to ``limit``)."""
        parts = [self.user_id, self.sort.value, self.descending, self.filter.fingerprint_parts()]
        digest = hashlib.sha256(json.dumps(parts, separators=(",", ":")).encode())
        return digest.hexdigest()[:16]

    def order(self, tasks: Sequence[Task]) -> list[Task]:
        """Sort in this query's order: value then id, both in its direction, nulls last."""
        present = [task for task in tasks if sort_value(task, self.sort) is not None]
        missing = [task for task in tasks if sort_value(task, self.sort) is None]
        present.sort(
            key=lambda task: (sort_value(task, self.sort), task.id), reverse=self.descending
        )
        missing.sort(key=lambda task: task.id, reverse=self.descending)
        return present + missing

    def is_after(self, task: Task, position: Position) -> bool:
        """Whether ``task`` comes strictly after ``position`` in this query's order."""
        value = sort_value(task, self.sort)
        if position.value is None:
            if value is not None:
                return False
            return (task.id < position.task_id) if self.descending else (task.id > position.task_id)
        if value is None:
            return True
        mine = (value, task.id)
        theirs = (position.value, position.task_id)
        return mine < theirs if self.descending else mine > theirs


@dataclass(frozen=True, slots=True)
class Page:
    """A page of tasks, the count of all matches, and the cursor to the next page."""

    items: list[Task]
    total: int
    next_cursor: str | None = None


@dataclass(frozen=True, slots=True)
class TaskStats:
    """Counts over all of a user's tasks: in all, overdue, and per value of each dimension.

    Every member of a dimension has a count (0 when missing from what was
    given), so a new dimension is one more mapping, not a field per value.
    """

    total: int = 0
    overdue: int = 0
    by_status: Mapping[TaskStatus, int] = field(default_factory=dict)
    by_priority: Mapping[TaskPriority, int] = field(default_factory=dict)
    #: Count per tag, spelled as its most recent use, in the tags' order (``tag_counts``).
    by_tag: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_status", _every(TaskStatus, self.by_status))
        object.__setattr__(self, "by_priority", _every(TaskPriority, self.by_priority))
        ordered = sorted(self.by_tag.items(), key=lambda item: tag_order(item[0]))
        object.__setattr__(self, "by_tag", dict(ordered))

    @classmethod
    def of(cls, tasks: Iterable[Task], *, now: datetime) -> TaskStats:
        """The reference counting, over tasks in hand (the in-memory adapter, tests)."""
        items = list(tasks)
        return cls(
            total=len(items),
            overdue=sum(task.is_overdue(now) for task in items),
            by_status=Counter(task.status for task in items),
            by_priority=Counter(task.priority for task in items),
            by_tag={tag.name: tag.count for tag in tag_counts(items)},
        )


@dataclass(frozen=True, slots=True)
class TagCount:
    """A tag a user's tasks carry, spelled as its most recent use, and on how many tasks."""

    name: str
    count: int


def tag_order(name: str) -> tuple[str, str]:
    """Tags sort by name case-insensitively (then by spelling, so the order is total)."""
    return tag_key(name), name


def tag_counts(tasks: Iterable[Task]) -> tuple[TagCount, ...]:
    """Reference semantics of the tag counts; every reader must agree.

    Tags that differ only by case are one tag, spelled as on the most recently
    updated task carrying it (ties: the greater id).
    """
    counts: Counter[str] = Counter()
    spelling: dict[str, tuple[datetime, uuid.UUID, str]] = {}
    for task in tasks:
        for tag in task.tags:
            key = tag_key(tag)
            counts[key] += 1
            use = (task.updated_at, task.id, tag)
            if key not in spelling or use[:2] > spelling[key][:2]:
                spelling[key] = use
    found = [TagCount(spelling[key][2], count) for key, count in counts.items()]
    return tuple(sorted(found, key=lambda tag: tag_order(tag.name)))


def _every(members: Iterable[E], counts: Mapping[E, int]) -> dict[E, int]:
    return {member: int(counts.get(member, 0)) for member in members}


def encode_cursor(query: TaskQuery, position: Position) -> str:
    """An opaque, URL-safe token carrying the position and the query's fingerprint."""
    value = position.value
    encoded_value = value.isoformat() if isinstance(value, datetime) else value
    payload = [query.fingerprint(), encoded_value, position.task_id.hex]
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(token: str, query: TaskQuery) -> Position:
    """Read a cursor back, refusing one that is corrupt or made for another query."""
    if len(token) > MAX_CURSOR_LENGTH:
        raise _bad_cursor("cursor is not valid")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        fingerprint, value, task_hex = json.loads(raw)
        if not isinstance(task_hex, str):
            raise TypeError("task id must be text")
        task_id = uuid.UUID(hex=task_hex)
        position = Position(_decode_value(value, query.sort), task_id)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise _bad_cursor("cursor is not valid") from None
    if fingerprint != query.fingerprint():
        raise _bad_cursor("cursor does not match this user, sort or filters")
    return position


def _decode_value(value: object, sort: SortField) -> SortValue:
    if value is None:
        if not sort.nullable:
            raise ValueError(f"{sort} is never missing")
        return None
    if sort in (
        SortField.CREATED_AT,
        SortField.UPDATED_AT,
        SortField.DUE_DATE,
        SortField.REMIND_AT,
    ):
        if not isinstance(value, str):
            raise TypeError("timestamp expected")
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("aware timestamp expected")
        return moment
    if sort in (SortField.PRIORITY, SortField.STATUS):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError("rank expected")
        return value
    if not isinstance(value, str):
        raise TypeError("text expected")
    return value


def _bad_cursor(message: str) -> InvalidInput:
    return InvalidInput.single("cursor", message, source="query")


def page_from_rows(query: TaskQuery, rows: list[Task], total: int) -> Page:
    """Build a page from up to ``limit + 1`` ordered rows (the extra one means "more")."""
    items = rows[: query.limit]
    more = len(rows) > query.limit
    next_cursor = encode_cursor(query, query.position_of(items[-1])) if more and items else None
    return Page(items=items, total=total, next_cursor=next_cursor)
