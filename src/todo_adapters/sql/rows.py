"""The ``tasks`` table as a SQLModel row. Only the SQL adapter sees it.

Beside the task's own fields the row keeps derived columns the database sorts
and searches on, so that it agrees with the core exactly:

- ``title_key`` / ``description_key``: ``text_key`` (``str.casefold``) of the
  text, compared by code point. Case folding can triple a text's length
  (``"ΐ".casefold()`` is three code points), hence the wider columns.
- ``status_rank`` / ``priority_rank``: the enum's ``rank``, so sorting by
  meaning is an index scan. CHECK constraints keep them in step with the enum.

Enums are VARCHAR with CHECK constraints (no native ENUM types), and the
length rules of the core are enforced by the database too.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Final

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    Uuid,
    text,
)
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from todo_adapters.sql.types import UtcDateTime, sort_key_string
from todo_core.model import (
    DESCRIPTION_MAX_LENGTH,
    TAG_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    USER_ID_MAX_LENGTH,
    TaskPriority,
    TaskStatus,
)
from todo_core.recurrence import MAX_RULE_LENGTH

#: ``str.casefold`` turns one code point into at most three.
CASEFOLD_GROWTH: Final = 3
TITLE_KEY_LENGTH: Final = TITLE_MAX_LENGTH * CASEFOLD_GROWTH
DESCRIPTION_KEY_LENGTH: Final = DESCRIPTION_MAX_LENGTH * CASEFOLD_GROWTH
TAG_KEY_LENGTH: Final = TAG_MAX_LENGTH * CASEFOLD_GROWTH
STATUS_LENGTH: Final = max(len(status.value) for status in TaskStatus)
PRIORITY_LENGTH: Final = max(len(priority.value) for priority in TaskPriority)

NAMING_CONVENTION: Final = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: The adapter's own metadata (not SQLModel's global one), which Alembic compares.
metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _quoted(values: list[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def _rank_matches(column: str, ranks: dict[str, int]) -> str:
    whens = " ".join(f"WHEN '{value}' THEN {rank}" for value, rank in ranks.items())
    return f"{column}_rank = CASE {column} {whens} END"


STATUS_RANKS: Final = {status.value: status.rank for status in TaskStatus}
PRIORITY_RANKS: Final = {priority.value: priority.rank for priority in TaskPriority}


class _Row(SQLModel, registry=registry(metadata=metadata)):
    """Base of the adapter's rows, bound to the adapter's metadata."""


class TaskRow(_Row, table=True):
    """One task as stored."""

    __tablename__ = "tasks"
    __table_args__ = (
        CheckConstraint(f"status IN ({_quoted(list(STATUS_RANKS))})", name="status"),
        CheckConstraint(f"priority IN ({_quoted(list(PRIORITY_RANKS))})", name="priority"),
        CheckConstraint(_rank_matches("status", STATUS_RANKS), name="status_rank"),
        CheckConstraint(_rank_matches("priority", PRIORITY_RANKS), name="priority_rank"),
        CheckConstraint(
            f"length(user_id) BETWEEN 1 AND {USER_ID_MAX_LENGTH}", name="user_id_length"
        ),
        CheckConstraint(f"length(title) BETWEEN 1 AND {TITLE_MAX_LENGTH}", name="title_length"),
        CheckConstraint(
            f"length(description) <= {DESCRIPTION_MAX_LENGTH}", name="description_length"
        ),
        CheckConstraint("version >= 1", name="version_positive"),
        # One index per sort of the listing, each led by the owner and ended by the
        # id tie-break, so that a page (and the keyset after a cursor) is a range scan.
        Index("ix_tasks_user_created", "user_id", "created_at", "id"),
        Index("ix_tasks_user_updated", "user_id", "updated_at", "id"),
        Index("ix_tasks_user_due", "user_id", "due_date", "id"),
        Index("ix_tasks_user_priority", "user_id", "priority_rank", "id"),
        Index("ix_tasks_user_status_rank", "user_id", "status_rank", "id"),
        Index("ix_tasks_user_title", "user_id", "title_key", "id"),
        # Status filters (the commonest) under the default sort, and counts by status.
        Index("ix_tasks_user_status_created", "user_id", "status", "created_at", "id"),
        # Reminders: the remind_at sort, and the remind_after/remind_before range.
        Index("ix_tasks_user_remind", "user_id", "remind_at", "id"),
    )

    id: uuid.UUID = Field(sa_column=Column(Uuid(), primary_key=True))
    user_id: str = Field(sa_column=Column(String(USER_ID_MAX_LENGTH), nullable=False))
    title: str = Field(sa_column=Column(String(TITLE_MAX_LENGTH), nullable=False))
    title_key: str = Field(sa_column=Column(sort_key_string(TITLE_KEY_LENGTH), nullable=False))
    description: str | None = Field(
        default=None, sa_column=Column(String(DESCRIPTION_MAX_LENGTH), nullable=True)
    )
    description_key: str | None = Field(
        default=None, sa_column=Column(String(DESCRIPTION_KEY_LENGTH), nullable=True)
    )
    status: str = Field(sa_column=Column(String(STATUS_LENGTH), nullable=False))
    status_rank: int = Field(sa_column=Column(SmallInteger(), nullable=False))
    priority: str = Field(sa_column=Column(String(PRIORITY_LENGTH), nullable=False))
    priority_rank: int = Field(sa_column=Column(SmallInteger(), nullable=False))
    due_date: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    completed_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    version: int = Field(sa_column=Column(Integer(), nullable=False))
    # The tags as the task spells them, in order (read back with the row); the
    # task_tags table indexes them for filtering and counting.
    tags: list[str] = Field(
        default_factory=list,
        sa_column=Column(JSON(), nullable=False, server_default=text("'[]'")),
    )
    recurrence: str | None = Field(
        default=None, sa_column=Column(String(MAX_RULE_LENGTH), nullable=True)
    )
    next_occurrence_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(Uuid(), nullable=True)
    )
    remind_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))


class TaskTagRow(_Row, table=True):
    """One tag of one task, case-folded for matching: "tasks of user U with tag T" is a range."""

    __tablename__ = "task_tags"
    __table_args__ = (Index("ix_task_tags_user_key", "user_id", "name_key", "task_id"),)

    task_id: uuid.UUID = Field(
        sa_column=Column(
            Uuid(), ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True, nullable=False
        )
    )
    name_key: str = Field(
        sa_column=Column(sort_key_string(TAG_KEY_LENGTH), primary_key=True, nullable=False)
    )
    user_id: str = Field(sa_column=Column(String(USER_ID_MAX_LENGTH), nullable=False))
    name: str = Field(sa_column=Column(String(TAG_MAX_LENGTH), nullable=False))
    position: int = Field(sa_column=Column(SmallInteger(), nullable=False))


def tasks_table() -> Table:
    """The Core table behind ``TaskRow`` (statements on the hot paths use it)."""
    return metadata.tables[TaskRow.__tablename__]


def task_tags_table() -> Table:
    """The Core table behind ``TaskTagRow``."""
    return metadata.tables[TaskTagRow.__tablename__]


class ChangeClockRow(_Row, table=True):
    """A user's change clock (``todo_core.changes``): the last number taken, the highest pruned.

    Every write takes its numbers with ``INSERT ... ON CONFLICT DO UPDATE SET
    seq = seq + n RETURNING seq`` inside its transaction: the row stays locked
    until that transaction ends, so one user's numbers follow commit order.
    """

    __tablename__ = "change_clocks"

    user_id: str = Field(sa_column=Column(String(USER_ID_MAX_LENGTH), primary_key=True))
    seq: int = Field(sa_column=Column(BigInteger(), nullable=False))
    pruned_seq: int = Field(
        sa_column=Column(BigInteger(), nullable=False, server_default=text("0"))
    )
    # How many tasks the user has: the quota's counter (migration 0004).
    task_count: int = Field(
        sa_column=Column(BigInteger(), nullable=False, server_default=text("0"))
    )


class TaskChangeRow(_Row, table=True):
    """A task's last change: its number, and when it was deleted (a tombstone) if it was."""

    __tablename__ = "task_changes"
    __table_args__ = (
        Index("ix_task_changes_user_seq", "user_id", "seq", unique=True),
        Index("ix_task_changes_deleted_at", "deleted_at"),
    )

    user_id: str = Field(sa_column=Column(String(USER_ID_MAX_LENGTH), primary_key=True))
    task_id: uuid.UUID = Field(sa_column=Column(Uuid(), primary_key=True))
    seq: int = Field(sa_column=Column(BigInteger(), nullable=False))
    deleted_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )


def change_clocks_table() -> Table:
    """The Core table behind ``ChangeClockRow``."""
    return metadata.tables[ChangeClockRow.__tablename__]


def task_changes_table() -> Table:
    """The Core table behind ``TaskChangeRow``."""
    return metadata.tables[TaskChangeRow.__tablename__]


class IdempotencyKeyRow(_Row, table=True):
    """An idempotency key of a user, with its request's fingerprint and the response given."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_created_at", "created_at"),)

    user_id: str = Field(sa_column=Column(String(USER_ID_MAX_LENGTH), primary_key=True))
    key: str = Field(sa_column=Column(String(255), primary_key=True))
    fingerprint: str = Field(sa_column=Column(String(64), nullable=False))
    status: int = Field(sa_column=Column(SmallInteger(), nullable=False))
    body: str = Field(sa_column=Column(Text(), nullable=False))
    headers: list[list[str]] = Field(sa_column=Column(JSON(), nullable=False))
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


def idempotency_keys_table() -> Table:
    """The Core table behind ``IdempotencyKeyRow``."""
    return metadata.tables[IdempotencyKeyRow.__tablename__]
