"""``todo_adapters.sql.cursor``: statements compiled once, sent on the DBAPI cursor.

What it sends is what SQLAlchemy would: the same SQL, parameters through the
same bind processors (checked here against SQLAlchemy's own), the statement's
literals filled in. The use cases' statements on the wire are counted in
``test_sql_round_trips``; errors and lost connections in ``test_sql_unavailable``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import JSON, bindparam, select

from tests.support.builders import make_task
from todo_adapters.sql import make_engine
from todo_adapters.sql.changes import created_statement
from todo_adapters.sql.cursor import cursor_statement
from todo_adapters.sql.mapper import values_from_task
from todo_adapters.sql.rows import tasks_table

DIALECT = make_engine("postgresql://nobody@127.0.0.1/never-connected").dialect


def test_the_parameters_are_what_sqlalchemy_would_send() -> None:
    statement = created_statement()
    task = make_task(
        user_id="user-1",
        tags=("home", "ünïcode"),
        due_date=datetime(2027, 1, 2, 3, 4, tzinfo=timezone(timedelta(hours=5))),
    )
    given = {**values_from_task(task), "task_limit": 10}
    compiled = statement.compile(dialect=DIALECT)
    expected = compiled.construct_params(given)
    for name, process in compiled._bind_processors.items():  # SQLAlchemy's own, for reference
        expected[name] = process(expected[name])  # type: ignore[operator]

    on_cursor = cursor_statement(statement, DIALECT)

    assert on_cursor is not None
    assert on_cursor.sql == compiled.string
    assert on_cursor.parameters(given) == expected
    assert on_cursor.parameters(given)["due_date"].utcoffset() == timedelta(0)


def test_a_parameter_used_twice_is_processed_once() -> None:
    tasks = tasks_table()
    twice = select(tasks.c.id).where(
        tasks.c.tags == bindparam("tags", type_=JSON), tasks.c.tags != bindparam("tags", type_=JSON)
    )

    on_cursor = cursor_statement(twice, DIALECT)

    assert on_cursor is not None
    assert on_cursor.parameters({"tags": ["a"]})["tags"] == '["a"]'


def test_a_statement_finished_at_execution_is_left_to_sqlalchemy() -> None:
    tasks = tasks_table()
    expanding = select(tasks.c.id).where(tasks.c.id.in_(bindparam("ids", expanding=True)))

    assert cursor_statement(expanding, DIALECT) is None
