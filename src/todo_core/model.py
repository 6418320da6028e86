"""The Task entity and the rules every task obeys, whatever drives or stores it."""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Final

from todo_core.errors import InvalidInput
from todo_core.recurrence import clean_recurrence

TITLE_MAX_LENGTH: Final = 255
DESCRIPTION_MAX_LENGTH: Final = 2000
USER_ID_MAX_LENGTH: Final = 255
TAG_MAX_LENGTH: Final = 50
MAX_TAGS: Final = 20


class TaskStatus(StrEnum):
    """Where a task is in its life; declaration order is the sort order."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"

    @property
    def rank(self) -> int:
        """Position by progress (pending < in_progress < completed)."""
        return _STATUS_RANK[self]


class TaskPriority(StrEnum):
    """How urgent a task is; declaration order is the sort order."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        """Position by meaning (low < medium < high)."""
        return _PRIORITY_RANK[self]


_STATUS_RANK: Final = {status: index for index, status in enumerate(TaskStatus)}
_PRIORITY_RANK: Final = {priority: index for index, priority in enumerate(TaskPriority)}


#: Control characters (C0, DEL, C1) and lone surrogates, which no database can store.
_FORBIDDEN_IN_TITLE: Final = frozenset({"Cc", "Cs"})


def has_lone_surrogate(text: str) -> bool:
    """Whether ``text`` holds a code point that is not valid UTF-8 (U+D800-U+DFFF)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def text_key(text: str) -> str:
    """Case-insensitive form used for title sorting and searching, in every adapter."""
    return text.casefold()


def clean_title(value: str) -> str:
    """Trim and check a title; raise ``InvalidInput`` naming ``title`` if it breaks a rule."""
    title = value.strip()
    if not title:
        raise InvalidInput.single("title", "Title must not be empty", kind="string_too_short")
    if len(title) > TITLE_MAX_LENGTH:
        raise InvalidInput.single(
            "title", f"Title must be at most {TITLE_MAX_LENGTH} characters", kind="string_too_long"
        )
    # Printable text has neither category (``str.isprintable`` checks in C): look closer only
    # when it is not.
    if not title.isprintable() and any(
        unicodedata.category(char) in _FORBIDDEN_IN_TITLE for char in title
    ):
        raise InvalidInput.single(
            "title", "Title must not contain control characters or lone surrogates"
        )
    return title


def clean_description(value: str | None) -> str | None:
    """Check a description (``None`` clears it); tabs and line breaks are allowed."""
    if value is None:
        return None
    if len(value) > DESCRIPTION_MAX_LENGTH:
        raise InvalidInput.single(
            "description",
            f"Description must be at most {DESCRIPTION_MAX_LENGTH} characters",
            kind="string_too_long",
        )
    if "\x00" in value:
        raise InvalidInput.single("description", "Description must not contain NUL characters")
    if has_lone_surrogate(value):
        raise InvalidInput.single("description", "Description must not contain lone surrogates")
    return value


def clean_due_date(value: datetime | None) -> datetime | None:
    """Require an aware timestamp and normalise it to UTC (``None`` clears it)."""
    return clean_moment(value, field="due_date")


def clean_tags(value: Sequence[str] | None) -> tuple[str, ...]:
    """Trim each tag, drop case-insensitive repeats (the first spelling wins), keep the order.

    Each is 1-50 characters without control characters or commas, and there are
    at most 20 once repeats are dropped; ``None`` clears them.
    """
    if value is None:
        return ()
    kept: dict[str, str] = {}
    for raw in value:
        tag = raw.strip()
        if not tag or len(tag) > TAG_MAX_LENGTH:
            raise InvalidInput.single("tags", f"Each tag must be 1-{TAG_MAX_LENGTH} characters")
        if "," in tag or any(unicodedata.category(char) in _FORBIDDEN_IN_TITLE for char in tag):
            raise InvalidInput.single("tags", "Tags must not contain commas or control characters")
        kept.setdefault(tag_key(tag), tag)
    if len(kept) > MAX_TAGS:
        raise InvalidInput.single("tags", f"A task carries at most {MAX_TAGS} tags")
    return tuple(kept.values())


def tag_key(tag: str) -> str:
    """The case-insensitive form tags are matched, counted and sorted by."""
    return text_key(tag)


def clean_moment(value: datetime | None, *, field: str) -> datetime | None:
    """Require an aware timestamp and normalise it to UTC (``None`` clears it)."""
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput.single(field, "Timestamp must carry a time zone")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise InvalidInput.single(field, "Timestamp is out of range") from None


def clean_remind_at(value: datetime | None) -> datetime | None:
    """A reminder may be any instant (before the due date or not); ``None`` clears it."""
    return clean_moment(value, field="remind_at")


def is_valid_user_id(value: object) -> bool:
    """An owner id (a token's ``sub``): a string of 1-255 characters the storage can hold.

    No control characters (Unicode category Cc: NUL, which PostgreSQL refuses,
    the rest of C0, DEL, C1) and no lone surrogates (not UTF-8). Token
    verification applies the same rule, so a ``sub`` that could never own a
    task is refused as a bad token, not later as a bad field.
    """
    if not isinstance(value, str) or not 0 < len(value) <= USER_ID_MAX_LENGTH:
        return False
    if any(unicodedata.category(char) == "Cc" for char in value):
        return False
    return not has_lone_surrogate(value)


def clean_user_id(value: str) -> str:
    """An owner id is a non-empty string of at most 255 characters (``is_valid_user_id``)."""
    if not is_valid_user_id(value):
        raise InvalidInput.single(
            "user_id", "User id must be 1-255 characters without control characters"
        )
    return value


@dataclass(slots=True)
class Task:
    """A user's task. Mutated only through its methods so that the rules hold."""

    id: uuid.UUID
    user_id: str
    title: str
    description: str | None
    status: TaskStatus
    priority: TaskPriority
    due_date: datetime | None
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int = 1
    tags: tuple[str, ...] = ()
    recurrence: str | None = None
    next_occurrence_id: uuid.UUID | None = None
    remind_at: datetime | None = None
    _touched: bool = field(default=False, repr=False, compare=False)

    @property
    def completed(self) -> bool:
        """Mirror of ``status == completed``."""
        return self.status is TaskStatus.COMPLETED

    @property
    def title_key(self) -> str:
        """The case-insensitive title, as sorted and searched."""
        return text_key(self.title)

    def is_overdue(self, now: datetime) -> bool:
        """Due before ``now`` and not completed."""
        return self.due_date is not None and self.due_date < now and not self.completed

    def copy(self) -> Task:
        """An independent copy (adapters store and hand out copies)."""
        return replace(self)

    def set_status(self, status: TaskStatus, *, now: datetime) -> None:
        """Move to ``status``, keeping ``completed_at`` in step with it."""
        if status is self.status:
            return
        self.completed_at = now if status is TaskStatus.COMPLETED else None
        self.status = status
        self._touched = True

    def set_completed(self, completed: bool, *, now: datetime) -> None:
        """``True`` completes; ``False`` reopens only a completed task (to pending)."""
        if completed:
            self.set_status(TaskStatus.COMPLETED, now=now)
        elif self.completed:
            self.set_status(TaskStatus.PENDING, now=now)

    def toggle_completion(self, *, now: datetime) -> None:
        """Completed goes back to pending; anything else becomes completed."""
        self.set_completed(not self.completed, now=now)

    def rename(self, title: str) -> None:
        """Set a new (already cleaned) title."""
        self._assign("title", clean_title(title))

    def describe(self, description: str | None) -> None:
        """Set or clear the description."""
        self._assign("description", clean_description(description))

    def prioritise(self, priority: TaskPriority) -> None:
        """Set the priority."""
        self._assign("priority", priority)

    def schedule(self, due_date: datetime | None) -> None:
        """Set or clear the due date."""
        self._assign("due_date", clean_due_date(due_date))

    def retag(self, tags: Sequence[str] | None) -> None:
        """Replace the tags (normalised; ``None`` or empty clears them)."""
        self._assign("tags", clean_tags(tags))

    def repeat(self, recurrence: str | None) -> None:
        """Set or clear the recurrence rule (kept in its canonical form)."""
        self._assign("recurrence", clean_recurrence(recurrence))

    def remind(self, remind_at: datetime | None) -> None:
        """Set or clear the reminder."""
        self._assign("remind_at", clean_remind_at(remind_at))

    def link_next_occurrence(self, task_id: uuid.UUID) -> None:
        """Name the occurrence this task's completion created (part of that same write)."""
        self.next_occurrence_id = task_id

    def finish_write(self, *, now: datetime) -> bool:
        """Bump version and ``updated_at`` if anything changed since the last write."""
        if not self._touched:
            return False
        self.version += 1
        self.updated_at = now
        self._touched = False
        return True

    def _assign(self, name: str, value: object) -> None:
        if getattr(self, name) != value:
            setattr(self, name, value)
            self._touched = True
