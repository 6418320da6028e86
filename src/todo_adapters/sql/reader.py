"""``TaskReader`` over the listing and stats statements: one statement per question."""

from __future__ import annotations

import json
from datetime import datetime

from todo_adapters.sql.listing import list_statement, stats_statement, storable, tags_statement
from todo_adapters.sql.mapper import task_from_values
from todo_adapters.sql.repository import StatementRunner
from todo_core.model import TaskPriority, TaskStatus
from todo_core.queries import Page, TagCount, TaskQuery, TaskStats, page_from_rows


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
        statement = stats_statement(user_id, now=now, dialect=self._runner.dialect_name)
        counts = self._runner.read(*statement).mappings().one()
        return TaskStats(
            total=int(counts["total"]),
            overdue=int(counts["overdue"]),
            by_status={status: int(counts[status.value]) for status in TaskStatus},
            by_priority={priority: int(counts[priority.value]) for priority in TaskPriority},
            by_tag=_json_object(counts["by_tag"]),
        )

    def tags(self, user_id: str) -> tuple[TagCount, ...]:
        if not storable(user_id):
            return ()
        rows = self._runner.read(*tags_statement(user_id)).mappings().all()
        return tuple(TagCount(str(row["name"]), int(row["count"])) for row in rows)


def _json_object(value: object) -> dict[str, int]:
    """The tag counts aggregate: parsed by psycopg2 already, JSON text from SQLite, or NULL."""
    if value is None:
        return {}
    loaded = json.loads(value) if isinstance(value, str) else value
    if not isinstance(loaded, dict):
        raise TypeError("the tag counts aggregate is a JSON object")
    return {str(name): int(count) for name, count in loaded.items()}
