"""Statements on the DBAPI cursor: compiled by SQLAlchemy once, sent without its execution.

The read of one task by id is the one statement of every ``GET`` and the
first of every checked write; a listing's page is the one statement of a
list; a lone write (a create, a plain patch) is the one statement of its
request. Executed by SQLAlchemy, each read cost about 70 us of client CPU beyond
psycopg2's own (the execution context, the compiled-cache lookup, the
result's metadata and row processing; measured on 10,000 reads of one
connection), about an eighth of a ``GET``. Here a statement is compiled once
per dialect, its parameters go through the types' own bind processors
(aware UTC datetimes, JSON), and it is sent on the connection's cursor.

What SQLAlchemy's execution gives is kept: the ``before_cursor_execute``
listeners run as they would (the statement timeout's prefix, the tests'
statement counters), a driver error is raised as SQLAlchemy's own
``DBAPIError`` subclass (so ``storage_errors`` translates it alike), and a
disconnect invalidates the connection, so the pool does not hand it out
again. Rows come back as psycopg2 decodes them (aware datetimes, UUIDs,
parsed JSON), which the mapper reads as it reads SQLAlchemy's. Used only in
autocommit (``SqlUnitOfWork``), where SQLAlchemy has no transaction to keep
track of. A statement marked ``prepared`` goes as its
``EXECUTE`` when the engine allows it (``prepared``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import ClauseElement, Connection, Select, exc
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler

from todo_adapters.sql.outcome import Outcome
from todo_adapters.sql.prepared import (
    PREPARED,
    PreparedStatement,
    is_marked,
    known_names,
    prepared_statement,
    send_prepared,
)

Processor = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class CursorStatement:
    """A statement's SQL in the driver's parameter style, its binds and its columns."""

    sql: str
    compiled: SQLCompiler
    processors: tuple[tuple[str, Processor], ...]
    columns: tuple[str, ...]
    prepared: PreparedStatement | None = None

    def parameters(self, given: Mapping[str, Any]) -> MutableMapping[str, Any]:
        """``given`` with the statement's own literals added, each through its type's processor."""
        sent = self.compiled.construct_params(dict(given))
        for name, process in self.processors:
            sent[name] = process(sent[name])
        return sent


@lru_cache(maxsize=1024)
def cursor_statement(statement: ClauseElement, dialect: Dialect) -> CursorStatement | None:
    """``statement`` compiled for ``dialect``, once; ``None`` if it must go through SQLAlchemy.

    A statement whose SQL is finished at execution (expanding ``IN`` lists,
    literal-execute parameters: some listing filters) is left to SQLAlchemy's
    execution, which renders it per call.
    """
    compiled = statement.compile(dialect=dialect)
    if not isinstance(compiled, SQLCompiler) or compiled.post_compile_params:
        return None
    processors: dict[str, Processor] = {}  # by name: a parameter used twice is processed once
    for bind, name in compiled.bind_names.items():
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processors[compiled.escaped_bind_names.get(name, name)] = process
    columns = tuple(statement.selected_columns.keys()) if isinstance(statement, Select) else ()
    marked = dialect.name == "postgresql" and is_marked(statement)
    as_prepared = prepared_statement(compiled) if marked else None
    return CursorStatement(
        compiled.string, compiled, tuple(processors.items()), columns, as_prepared
    )


def send_on_cursor(
    connection: Connection, statement: CursorStatement, parameters: Mapping[str, Any]
) -> Outcome:
    """Send ``statement`` on the cursor: its row count and every row it returned, by
    column name."""
    dialect = connection.dialect
    dbapi_error = dialect.loaded_dbapi.Error
    dbapi_connection = connection.connection.dbapi_connection
    assert dbapi_connection is not None  # a connection in use is never detached
    prepared = statement.prepared
    if prepared is not None and not connection.get_execution_options().get(PREPARED):
        prepared = None
    processed: Any = statement.parameters(parameters)
    try:
        cursor = dbapi_connection.cursor()
        try:

            def send(sql: str) -> None:
                sent = processed
                for listener in connection.dispatch.before_cursor_execute:
                    sql, sent = listener(connection, cursor, sql, sent, None, False)
                cursor.execute(sql, sent)

            if prepared is None:
                send(statement.sql)
            else:
                send_prepared(prepared, known_names(connection.info), send, dbapi_error)
            description = cursor.description
            rows = cursor.fetchall() if description is not None else []
            rowcount = cursor.rowcount
        finally:
            cursor.close()
    except dbapi_error as error:
        disconnected = dialect.is_disconnect(error, dbapi_connection, None)
        if disconnected:
            connection.invalidate(error)
        raise exc.DBAPIError.instance(
            statement.sql,
            parameters,
            error,
            dbapi_error,
            connection_invalidated=disconnected,
            dialect=dialect,
        ) from error
    if description is None:
        return Outcome(rowcount)
    columns = statement.columns or tuple(column[0] for column in description)
    rows_by_name = [dict(zip(columns, row, strict=True)) for row in rows]
    return Outcome(rowcount, rows_by_name, returned_rows=True)
