"""One row of a read on the DBAPI cursor: a statement SQLAlchemy compiled once.

The read of one task by id is the one statement of every ``GET`` and the
first of every write. Executed by SQLAlchemy, it cost about 70 us of client
CPU per call beyond psycopg2's own 87 us (the execution context, the
compiled-cache lookup, the result's metadata and row processing; measured
on 10,000 calls of one connection), about an eighth of a ``GET``. Here the
statement is compiled once per dialect and sent on the connection's cursor.

What SQLAlchemy's execution gives is kept: the ``before_cursor_execute``
listeners run as they would (the statement timeout's prefix, the tests'
statement counters), a driver error is raised as SQLAlchemy's own
``DBAPIError`` subclass (so ``storage_errors`` translates it alike), and a
disconnect invalidates the connection, so the pool does not hand it out
again. Rows come back as psycopg2 decodes them (aware datetimes, UUIDs,
parsed JSON), which the mapper reads as it reads SQLAlchemy's. Used only
for reads in autocommit (``SqlUnitOfWork``), where SQLAlchemy has no
transaction to keep track of.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Select, exc
from sqlalchemy.engine import Dialect


@dataclass(frozen=True, slots=True)
class CursorStatement:
    """A SELECT's SQL in the driver's parameter style, and the names of its columns."""

    sql: str
    columns: tuple[str, ...]


@lru_cache(maxsize=64)
def cursor_statement(statement: Select[Any], dialect: Dialect) -> CursorStatement:
    """``statement`` compiled for ``dialect``, once."""
    compiled = statement.compile(dialect=dialect)
    return CursorStatement(compiled.string, tuple(statement.selected_columns.keys()))


def fetch_one(
    connection: Connection, statement: CursorStatement, parameters: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The first row of ``statement`` as a column-name mapping, or ``None``."""
    dialect = connection.dialect
    dbapi_error = dialect.loaded_dbapi.Error
    dbapi_connection = connection.connection.dbapi_connection
    assert dbapi_connection is not None  # a connection in use is never detached
    sql: str = statement.sql
    sent: Any = parameters
    try:
        cursor = dbapi_connection.cursor()
        try:
            for listener in connection.dispatch.before_cursor_execute:
                sql, sent = listener(connection, cursor, sql, sent, None, False)
            cursor.execute(sql, sent)
            row = cursor.fetchone()
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
    return None if row is None else dict(zip(statement.columns, row, strict=True))
