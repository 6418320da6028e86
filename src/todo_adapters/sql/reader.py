"""``TaskReader`` over the listing and stats statements: one statement per question."""

from __future__ import annotations

import json
from datetime import datetime

from todo_adapters.sql.changes import changes_statement, mark_statement, recall_statement
from todo_adapters.sql.listing import list_statement, stats_statement, storable, tags_statement
from todo_adapters.sql.mapper import task_from_values
from todo_adapters.sql.repository import StatementRunner
from todo_core.changes import ChangeBatch, ChangeEntry
from todo_core.idempotency import Remembered, StoredResponse
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
        rows = self._runner.read_rows(*listing)
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

    def changes(
        self, user_id: str, *, after: int, limit: int, include_deleted: bool
    ) -> ChangeBatch:
        if not storable(user_id):
            return ChangeBatch((), 0, 0)
        statement = changes_statement(
            user_id, after=after, limit=limit, include_deleted=include_deleted
        )
        rows = self._runner.read(*statement).mappings().all()
        if not rows:
            return ChangeBatch((), 0, 0)
        entries = tuple(
            ChangeEntry(
                seq=int(row["change_seq"]),
                task_id=row["change_task_id"],
                task=task_from_values(row) if row["id"] is not None else None,
                deleted_at=row["change_deleted_at"],
            )
            for row in rows
            if row["change_seq"] is not None
        )
        return ChangeBatch(entries, int(rows[0]["clock_seq"]), int(rows[0]["clock_pruned"]))

    def change_mark(self, user_id: str) -> int:
        if not storable(user_id):
            return 0
        seq = self._runner.read(mark_statement(), {"user_id": user_id}).scalar_one_or_none()
        return 0 if seq is None else int(seq)

    def recall(self, user_id: str, key: str) -> Remembered | None:
        if not storable(user_id) or not storable(key):
            return None
        parameters = {"user_id": user_id, "key": key}
        row = self._runner.read(recall_statement(), parameters).mappings().one_or_none()
        if row is None:
            return None
        headers = row["headers"]
        if isinstance(headers, str):
            headers = json.loads(headers)
        response = StoredResponse(
            int(row["status"]), str(row["body"]), tuple((str(n), str(v)) for n, v in headers)
        )
        return Remembered(str(row["key"]), str(row["fingerprint"]), response, row["created_at"])


def _json_object(value: object) -> dict[str, int]:
    """The tag counts aggregate: parsed by psycopg2 already, JSON text from SQLite, or NULL."""
    if value is None:
        return {}
    loaded = json.loads(value) if isinstance(value, str) else value
    if not isinstance(loaded, dict):
        raise TypeError("the tag counts aggregate is a JSON object")
    return {str(name): int(count) for name, count in loaded.items()}
