"""The per-user task quota: ``change_clocks.task_count``.

Revision ID: 0004_task_counts
Revises: 0003_changes
Create Date: 2026-12-04

The count lives on the user's clock row, which every write already locks
(``todo_adapters.sql.changes``), so checking and moving it adds no lock and
no lock order: a create increments it with a conditional update (``WHERE
task_count < :limit``) in the same statement as its insert, a delete
decrements it. Existing tasks are counted here (a user with tasks but, for
whatever reason, no clock row gets one).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004_task_counts"
down_revision: str | None = "0003_changes"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add the column and count every user's tasks."""
    op.add_column(
        "change_clocks",
        sa.Column("task_count", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
    )
    op.execute(
        "INSERT INTO change_clocks (user_id, seq, pruned_seq, task_count) "
        "SELECT DISTINCT user_id, 0, 0, 0 FROM tasks "
        "WHERE user_id NOT IN (SELECT user_id FROM change_clocks)"
    )
    op.execute(
        "UPDATE change_clocks SET task_count = "
        "(SELECT COUNT(*) FROM tasks WHERE tasks.user_id = change_clocks.user_id)"
    )


def downgrade() -> None:
    """Drop the column."""
    with op.batch_alter_table("change_clocks") as batch:
        batch.drop_column("task_count")
