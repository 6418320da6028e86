"""Tags, recurring tasks and reminders (API.md sections 7-9).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04

``tasks`` gains the tags as the task spells them (JSON, read back with the
row), the recurrence rule, the id of the next occurrence and ``remind_at``
with an index per user for its sort and range. ``task_tags`` holds one row
per tag, case-folded, indexed by (user, tag, task) so that listing a user's
tasks by tag and counting tags never scans the user's tasks.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from todo_adapters.sql.types import UtcDateTime, sort_key_string

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add the columns, the remind index and the ``task_tags`` table."""
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(
            sa.Column("tags", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch.add_column(sa.Column("recurrence", sa.String(500), nullable=True))
        batch.add_column(sa.Column("next_occurrence_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("remind_at", UtcDateTime(), nullable=True))
    op.create_index("ix_tasks_user_remind", "tasks", ["user_id", "remind_at", "id"])
    op.create_table(
        "task_tags",
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("name_key", sort_key_string(150), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name="fk_task_tags_task_id_tasks", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("task_id", "name_key", name="pk_task_tags"),
    )
    op.create_index("ix_task_tags_user_key", "task_tags", ["user_id", "name_key", "task_id"])


def downgrade() -> None:
    """Drop ``task_tags``, the remind index and the columns."""
    op.drop_index("ix_task_tags_user_key", table_name="task_tags")
    op.drop_table("task_tags")
    op.drop_index("ix_tasks_user_remind", table_name="tasks")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("remind_at")
        batch.drop_column("next_occurrence_id")
        batch.drop_column("recurrence")
        batch.drop_column("tags")
