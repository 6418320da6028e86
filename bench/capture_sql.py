"""The SQL the real adapter emits per use case, captured with SQLAlchemy events.

    python -m bench.capture_sql [DATABASE_URL]

Runs each benchmarked use case once through ``TaskService`` over the SQL
adapter (the container's own wiring is not needed for that) and prints every
statement with its parameters, plus the transaction events SQLAlchemy sees.
This is where ``bench/floor.py``'s SQL was copied from; the benchmark calls
``capture`` at start-up and reports whether the floor still matches.

Without an argument it uses a temporary database on 127.0.0.1:5432.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event

from bench.database import bench_database
from todo_adapters.sql import (
    SqlUnitOfWork,
    make_engine,
    upgrade_database,
)
from todo_core.edits import TaskChanges, TaskDraft
from todo_core.model import TaskStatus
from todo_core.queries import TaskFilter
from todo_core.services import ListRequest, TaskService


@dataclass(slots=True)
class Captured:
    """Statements in the order the adapter ran them (``-- begin`` etc. for events)."""

    statements: list[tuple[str, Any]] = field(default_factory=list)


@contextmanager
def recording(engine: Engine) -> Iterator[Captured]:
    captured = Captured()

    def before(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        captured.statements.append((statement, parameters))

    def on(name: str) -> Callable[..., None]:
        def listener(*_: Any) -> None:
            captured.statements.append((f"-- {name}", None))

        return listener

    listeners: list[tuple[str, Callable[..., Any]]] = [("before_cursor_execute", before)]
    listeners += [(name, on(name)) for name in ("begin", "commit", "rollback")]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        yield captured
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)


def capture(url: str, user_prefix: str = "capture-") -> dict[str, list[tuple[str, Any]]]:
    """Use case name -> statements the adapter ran for it (the database gets a few rows)."""
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        upgrade_database(engine)
        service = TaskService(uow_factory=lambda: SqlUnitOfWork(engine))
        user = f"{user_prefix}{uuid.uuid4().hex[:8]}"
        service.create_many(
            actor=user, drafts=[TaskDraft(title=f"seed {n} foo") for n in range(30)]
        )
        results: dict[str, list[tuple[str, Any]]] = {}

        def run(name: str, action: Callable[[], Any]) -> Any:
            with recording(engine) as captured:
                value = action()
            results[name] = captured.statements
            return value

        task = run("create", lambda: service.create(actor=user, draft=TaskDraft(title="bench")))
        run("get", lambda: service.get(actor=user, task_id=task.id))
        first = run("list", lambda: service.list(actor=user, request=ListRequest(limit=20)))
        run(
            "filter",
            lambda: service.list(
                actor=user,
                request=ListRequest(
                    limit=20,
                    filter=TaskFilter(statuses=frozenset({TaskStatus.PENDING}), search="foo"),
                ),
            ),
        )
        run(
            "deep_cursor",
            lambda: service.list(
                actor=user, request=ListRequest(limit=20, cursor=first.next_cursor)
            ),
        )
        run(
            "deep_offset",
            lambda: service.list(actor=user, request=ListRequest(limit=20, offset=20)),
        )
        run(
            "update",
            lambda: service.update(
                actor=user, task_id=task.id, changes=TaskChanges(title="edited")
            ),
        )
        return results
    finally:
        engine.dispose()


def main(argv: list[str]) -> int:
    def show(url: str) -> None:
        for name, statements in capture(url).items():
            print(f"== {name}")
            for statement, parameters in statements:
                print(statement if parameters is None else f"{statement}\n   {parameters!r}")

    if len(argv) > 1:
        show(argv[1])
        return 0
    with bench_database(user_prefix="capture-") as database:
        show(database.url)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
