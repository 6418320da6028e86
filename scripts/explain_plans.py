"""Show PostgreSQL's plans for the exact statements the SQL adapter sends.

Creates a database of its own, migrates it, loads ``--rows`` tasks (``--heavy``
of them for one user, the rest spread over other users) with
``generate_series``, runs ``VACUUM ANALYZE``, then drives the real
``TaskService`` over ``SqlUnitOfWork``, captures each statement it sends, and
prints ``EXPLAIN (ANALYZE, BUFFERS)`` of it with the same parameters. Writes are
explained inside a transaction that is rolled back. The database is dropped at
the end, whatever happens.

    .venv/bin/python scripts/explain_plans.py > /tmp/explain_plans.txt
    .venv/bin/python scripts/explain_plans.py --admin-url postgresql://me@host/postgres
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from todo_adapters.sql import (
    SqlUnitOfWork,
    make_engine,
    normalize_database_url,
    upgrade_database,
)
from todo_core.edits import TaskChanges
from todo_core.model import TaskStatus
from todo_core.queries import Position, SortField, TaskFilter, TaskQuery
from todo_core.services import ListRequest, TaskService

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
HEAVY_USER = "heavy-user"
USERS_OF_THE_REST = 9000
TIMED_RUNS = 7
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
#: A due date for the update that is not a plain patch (it reads the task first).
DUE = datetime(2027, 1, 15, 9, 0, tzinfo=UTC)

LOAD = """
INSERT INTO tasks (
    id, user_id, title, title_key, description, description_key, status, status_rank,
    priority, priority_rank, due_date, completed_at, created_at, updated_at, version
)
SELECT
    gen_random_uuid(),
    CASE WHEN n <= :heavy THEN :heavy_user ELSE 'user-' || (n % :users) END,
    'Task number ' || n,
    'task number ' || n,
    CASE WHEN n % 4 = 0 THEN NULL ELSE 'Details of task ' || n END,
    CASE WHEN n % 4 = 0 THEN NULL ELSE 'details of task ' || n END,
    (ARRAY['pending', 'in_progress', 'completed'])[n % 3 + 1],
    n % 3,
    (ARRAY['low', 'medium', 'high'])[n % 7 % 3 + 1],
    n % 7 % 3,
    CASE WHEN n % 3 = 0 THEN NULL ELSE :now + (n % 1000 - 500) * interval '1 hour' END,
    CASE WHEN n % 3 = 2 THEN :now - n * interval '1 second' END,
    :now - n * interval '1 second',
    :now - n * interval '1 second' + (n % 5) * interval '1 minute',
    1 + n % 5
FROM generate_series(1, :rows) AS n
"""


@dataclass
class Captured:
    """One statement as the driver received it."""

    statement: str
    parameters: Any


def _admin(admin_url: str) -> Engine:
    return create_engine(
        normalize_database_url(admin_url), poolclass=NullPool, isolation_level="AUTOCOMMIT"
    )


@contextmanager
def own_database(admin_url: str) -> Iterator[str]:
    """Create a database with a random name; drop it (ending its connections) afterwards."""
    name = f"todo_explain_{uuid.uuid4().hex[:12]}"
    admin = _admin(admin_url)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(normalize_database_url(admin_url)).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        admin.dispose()


def load(engine: Engine, *, rows: int, heavy: int) -> None:
    """Bulk-load the tasks server-side, then refresh statistics and the visibility map."""
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(
            text(LOAD),
            {
                "rows": rows,
                "heavy": heavy,
                "heavy_user": HEAVY_USER,
                "users": USERS_OF_THE_REST,
                "now": NOW,
            },
        )
    loaded = time.perf_counter() - started
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE tasks")
        counts = connection.execute(
            text("SELECT count(*), count(*) FILTER (WHERE user_id = :u) FROM tasks"),
            {"u": HEAVY_USER},
        ).one()
    print(f"-- loaded {counts[0]:,} tasks ({counts[1]:,} for {HEAVY_USER}) in {loaded:.1f} s")


def capture(engine: Engine, action: Callable[[], object]) -> list[Captured]:
    """The statements ``action`` sends through ``engine``, with their parameters."""
    seen: list[Captured] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append(Captured(statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def explain(engine: Engine, title: str, captured: list[Captured]) -> None:
    """Print the plan of each captured statement, run for real and rolled back."""
    for number, item in enumerate(captured, start=1):
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + item.statement, item.parameters)
            plan = [row[0] for row in cursor.fetchall()]
            raw.rollback()
            timings = []
            for _ in range(TIMED_RUNS):
                started = time.perf_counter()
                cursor.execute(item.statement, item.parameters)
                if cursor.description is not None:
                    cursor.fetchall()
                timings.append((time.perf_counter() - started) * 1000)
                raw.rollback()
        finally:
            raw.close()
        print(f"\n==== {title} [statement {number} of {len(captured)}] ====")
        print(" ".join(item.statement.split()))
        print(f"-- parameters: {item.parameters}")
        print("\n".join(plan))
        print(f"-- summary: {summarize(plan)}")
        print(
            f"-- timed without EXPLAIN: median {statistics.median(timings):.3f} ms "
            f"over {TIMED_RUNS} runs (client round trip included)"
        )


def summarize(plan: list[str]) -> str:
    """Node types (in plan order) and the execution time."""
    nodes = []
    for line in plan:
        match = re.match(
            r"\s*(?:->\s*)?([A-Z][A-Za-z ]+?)(?: using (\S+))?(?: on \S+.*)?  \(", line
        )
        if match:
            nodes.append(match.group(1) + (f" [{match.group(2)}]" if match.group(2) else ""))
    execution = next((line.strip() for line in plan if line.startswith("Execution Time")), "")
    return "; ".join(nodes) + f" | {execution}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--admin-url", default=os.environ.get("EXPLAIN_ADMIN_URL", DEFAULT_ADMIN_URL)
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--heavy", type=int, default=100_000)
    args = parser.parse_args()

    with own_database(args.admin_url) as url:
        # Statements captured as SQLAlchemy compiles them (EXPLAIN takes no PREPARE);
        # prepared, PostgreSQL runs the same statements with these plans or generic ones.
        engine = make_engine(url, prepared_statements=False)
        try:
            upgrade_database(engine)
            load(engine, rows=args.rows, heavy=args.heavy)
            run(engine, heavy=args.heavy)
        finally:
            engine.dispose()
    return 0


def run(engine: Engine, *, heavy: int) -> None:
    """Drive the real use cases and explain what they send."""
    service = TaskService(
        uow_factory=lambda: SqlUnitOfWork(engine),
        clock=lambda: NOW,
    )
    first = service.list(actor=HEAVY_USER, request=ListRequest())
    target = first.items[0]
    deep_offset = heavy - 50  # the last page of 50, i.e. page 2000 of 100k
    with engine.connect() as connection:
        deep = connection.execute(
            text(
                "SELECT created_at, id FROM tasks WHERE user_id = :u "
                "ORDER BY created_at DESC, id DESC OFFSET :o LIMIT 1"
            ),
            {"u": HEAVY_USER, "o": deep_offset - 1},
        ).one()
    deep_query = TaskQuery(user_id=HEAVY_USER, now=NOW, after=Position(deep.created_at, deep.id))

    def deep_page() -> None:
        with SqlUnitOfWork(engine) as uow:
            uow.reader.list(deep_query)

    cases: list[tuple[str, Callable[[], object]]] = [
        (
            "default list: sort created_at desc, limit 50, with total",
            lambda: service.list(actor=HEAVY_USER, request=ListRequest()),
        ),
        ("get by id", lambda: service.get(actor=HEAVY_USER, task_id=target.id)),
        (f"list page {deep_offset // 50 + 1} by cursor (keyset)", deep_page),
        (
            "list page 2 by offset 50",
            lambda: service.list(actor=HEAVY_USER, request=ListRequest(offset=50)),
        ),
        (
            "list status=pending, default sort",
            lambda: service.list(
                actor=HEAVY_USER,
                request=ListRequest(filter=TaskFilter(statuses=frozenset({TaskStatus.PENDING}))),
            ),
        ),
        (
            "list sort=due_date asc",
            lambda: service.list(actor=HEAVY_USER, request=ListRequest(sort=SortField.DUE_DATE)),
        ),
        (
            "list sort=priority desc",
            lambda: service.list(actor=HEAVY_USER, request=ListRequest(sort=SortField.PRIORITY)),
        ),
        (
            "list sort=title asc",
            lambda: service.list(actor=HEAVY_USER, request=ListRequest(sort=SortField.TITLE)),
        ),
        (
            "list search='number 4242'",
            lambda: service.list(
                actor=HEAVY_USER, request=ListRequest(filter=TaskFilter(search="number 4242"))
            ),
        ),
        (
            "update of the title (one conditional patch)",
            lambda: service.update(
                actor=HEAVY_USER, task_id=target.id, changes=TaskChanges(title="Renamed")
            ),
        ),
        (
            "update of the due date (plain read + version-checked write)",
            lambda: service.update(
                actor=HEAVY_USER, task_id=target.id, changes=TaskChanges(due_date=DUE)
            ),
        ),
        ("stats", lambda: service.stats(actor=HEAVY_USER)),
    ]
    for title, action in cases:
        explain(engine, title, capture(engine, action))


if __name__ == "__main__":
    sys.exit(main())
