"""The changes feed and idempotent requests (API.md sections 10 and 11).

Revision ID: 0003_changes
Revises: 0002
Create Date: 2026-12-04

``change_clocks`` holds one row per user: the last change number taken and
the highest number whose tombstone was pruned. ``task_changes`` holds one row
per task (or tombstone): the number of its last change and, for a deleted
task, when. Existing tasks are numbered 1..n per user in ``updated_at`` order,
so the first read of the feed returns them all. ``idempotency_keys`` holds a
user's keys with the request's fingerprint and the response given.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from todo_adapters.sql.types import UtcDateTime

revision: str = "0003_changes"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create both tables and number the tasks already stored."""
    op.create_table(
        "change_clocks",
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("pruned_seq", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        sa.PrimaryKeyConstraint("user_id", name="pk_change_clocks"),
    )
    op.create_table(
        "task_changes",
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("user_id", "task_id", name="pk_task_changes"),
    )
    op.create_index("ix_task_changes_user_seq", "task_changes", ["user_id", "seq"], unique=True)
    op.create_index("ix_task_changes_deleted_at", "task_changes", ["deleted_at"])
    op.execute(
        "INSERT INTO task_changes (user_id, task_id, seq) "
        "SELECT user_id, id, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY updated_at, id) "
        "FROM tasks"
    )
    op.execute(
        "INSERT INTO change_clocks (user_id, seq, pruned_seq) "
        "SELECT user_id, MAX(seq), 0 FROM task_changes GROUP BY user_id"
    )

    op.create_table(
        "idempotency_keys",
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "key", name="pk_idempotency_keys"),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])


def downgrade() -> None:
    """Drop the tables."""
    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_index("ix_task_changes_deleted_at", table_name="task_changes")
    op.drop_index("ix_task_changes_user_seq", table_name="task_changes")
    op.drop_table("task_changes")
    op.drop_table("change_clocks")
