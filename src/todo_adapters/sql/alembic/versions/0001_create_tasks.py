"""Create the tasks table and the indexes every listing needs.

Revision ID: 0001
Revises:
Create Date: 2026-11-26

Written by hand. Types mirror ``todo_adapters.sql.rows``: UUID ids (native on
PostgreSQL), enums as VARCHAR with CHECK constraints, timezone-aware UTC
timestamps (text on SQLite, see ``UtcDateTime``), the case-folded title and
description beside the originals, and the enum ranks the listing sorts by.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from todo_adapters.sql.types import UtcDateTime, sort_key_string

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

TABLE = "tasks"

#: name -> columns; each listing sort is led by the owner and ended by the id.
INDEXES: dict[str, list[str]] = {
    "ix_tasks_user_created": ["user_id", "created_at", "id"],
    "ix_tasks_user_updated": ["user_id", "updated_at", "id"],
    "ix_tasks_user_due": ["user_id", "due_date", "id"],
    "ix_tasks_user_priority": ["user_id", "priority_rank", "id"],
    "ix_tasks_user_status_rank": ["user_id", "status_rank", "id"],
    "ix_tasks_user_title": ["user_id", "title_key", "id"],
    "ix_tasks_user_status_created": ["user_id", "status", "created_at", "id"],
}


def upgrade() -> None:
    """Create ``tasks`` with its constraints and indexes."""
    op.create_table(
        TABLE,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("title_key", sort_key_string(765), nullable=False),
        sa.Column("description", sa.String(2000), nullable=True),
        sa.Column("description_key", sa.String(6000), nullable=True),
        sa.Column("status", sa.String(11), nullable=False),
        sa.Column("status_rank", sa.SmallInteger(), nullable=False),
        sa.Column("priority", sa.String(6), nullable=False),
        sa.Column("priority_rank", sa.SmallInteger(), nullable=False),
        sa.Column("due_date", UtcDateTime(), nullable=True),
        sa.Column("completed_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tasks"),
        sa.CheckConstraint(
            "status IN ('pending', 'in_progress', 'completed')", name="ck_tasks_status"
        ),
        sa.CheckConstraint("priority IN ('low', 'medium', 'high')", name="ck_tasks_priority"),
        sa.CheckConstraint(
            "status_rank = CASE status"
            " WHEN 'pending' THEN 0 WHEN 'in_progress' THEN 1 WHEN 'completed' THEN 2 END",
            name="ck_tasks_status_rank",
        ),
        sa.CheckConstraint(
            "priority_rank = CASE priority"
            " WHEN 'low' THEN 0 WHEN 'medium' THEN 1 WHEN 'high' THEN 2 END",
            name="ck_tasks_priority_rank",
        ),
        sa.CheckConstraint("length(user_id) BETWEEN 1 AND 255", name="ck_tasks_user_id_length"),
        sa.CheckConstraint("length(title) BETWEEN 1 AND 255", name="ck_tasks_title_length"),
        sa.CheckConstraint("length(description) <= 2000", name="ck_tasks_description_length"),
        sa.CheckConstraint("version >= 1", name="ck_tasks_version_positive"),
    )
    for name, columns in INDEXES.items():
        op.create_index(name, TABLE, columns)


def downgrade() -> None:
    """Drop ``tasks`` and everything on it."""
    for name in reversed(INDEXES):
        op.drop_index(name, table_name=TABLE)
    op.drop_table(TABLE)
