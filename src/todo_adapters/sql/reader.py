"""``TaskReader`` over the listing and stats statements: one statement per question."""

from __future__ import annotations

from datetime import datetime

from todo_adapters.sql.listing import list_statement, stats_statement, storable
from todo_adapters.sql.mapper import task_from_values
from todo_adapters.sql.repository import StatementRunner
from todo_core.model import TaskPriority, TaskStatus
from todo_core.queries import Page, TaskQuery, TaskStats, page_from_rows


class SqlTaskReader:
    """A user's tasks read many at a time, through a unit of work's connection."""

    def __init__(self, runner: StatementRunner) -> None:
        self._runner = runner

    def list(self, query: TaskQuery) -> Page:
        listing = list_statement(query)
        if listing is None:
            return page_from_rows(query, [], 0)
        rows = self._runner.read(*listing).mappings().all()
        total = int(rows[0]["total"]) if rows else 0
        tasks = [task_from_values(row) for row in rows if row["id"] is not None]
        return page_from_rows(query, tasks, total)

    def stats(self, user_id: str, *, now: datetime) -> TaskStats:
        if not storable(user_id):
            return TaskStats()
        counts = self._runner.read(*stats_statement(user_id, now=now)).mappings().one()
        return TaskStats(
            total=int(counts["total"]),
            overdue=int(counts["overdue"]),
            by_status={status: int(counts[status.value]) for status in TaskStatus},
            by_priority={priority: int(counts[priority.value]) for priority in TaskPriority},
        )
