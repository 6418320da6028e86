"""Turn "the database cannot be used" into the domain's ``StorageUnavailable``, with its cause.

Translated: connectivity failures (connection refused or dropped, server
shutting down, SQLite busy), interface errors, any error after which
SQLAlchemy invalidated the connection, a pool that has no connection to
give, and a schema older than the code (a missing table or column: the
database was not migrated). Integrity and data errors are bugs or bad data,
not an outage, and pass through unchanged, but for one: a second task with an
id already taken (``pk_tasks``; PostgreSQL's one-statement create has no
``ON CONFLICT`` on the id, so that a duplicate aborts it, quota count
included) is the ``ValueError`` the other adapters raise.

The cause travels with the error as one line for the operator's log: the
driver's error class and the first line of its message. SQLAlchemy appends
the SQL and its parameters on later lines (and psycopg2's own message may
quote the statement from its second line on), so neither is ever included.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from sqlalchemy import exc

from todo_core.errors import StorageUnavailable

#: PostgreSQL SQLSTATEs of a schema older than the code: undefined_table, undefined_column.
_MISSING_SCHEMA_CODES: Final = frozenset({"42P01", "42703"})
_SQLITE_MISSING_SCHEMA: Final = ("no such table", "no such column")
_BACKGROUND_LINK: Final = re.compile(r"\s*\(Background on this error at: [^)]*\)\s*$")
MAX_CAUSE_LENGTH: Final = 200
#: The constraint a second task with an existing id breaks (migration 0001).
TASKS_PRIMARY_KEY: Final = "pk_tasks"


def is_missing_schema(error: BaseException) -> bool:
    """Whether ``error`` says a table or column is missing: the schema is out of date."""
    if not isinstance(error, exc.DBAPIError):
        return False
    orig = error.orig
    if getattr(orig, "pgcode", None) in _MISSING_SCHEMA_CODES:
        return True
    return isinstance(error, exc.OperationalError) and str(orig).startswith(_SQLITE_MISSING_SCHEMA)


def _broken_constraint(error: exc.IntegrityError) -> str | None:
    name = getattr(getattr(error.orig, "diag", None), "constraint_name", None)
    return name if isinstance(name, str) else None


def is_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database cannot be used right now."""
    if isinstance(error, exc.TimeoutError):
        return True
    if isinstance(error, exc.OperationalError | exc.InterfaceError):
        return True
    if is_missing_schema(error):
        return True
    return isinstance(error, exc.DBAPIError) and error.connection_invalidated


def describe(error: BaseException) -> str:
    """One safe line naming what went wrong: no SQL, no parameters, at most 200 characters."""
    source: BaseException = error
    if isinstance(error, exc.DBAPIError) and isinstance(error.orig, BaseException):
        source = error.orig
        text = str(source)
    elif isinstance(error, exc.SQLAlchemyError):
        text = _BACKGROUND_LINK.sub("", str(error).split("\n", 1)[0])
    else:
        text = str(error)
    first_line = text.strip().split("\n", 1)[0].strip()
    line = f"{type(source).__name__}: {first_line}" if first_line else type(source).__name__
    if is_missing_schema(error):
        line = f"schema out of date ({line})"
    return line[:MAX_CAUSE_LENGTH]


@contextmanager
def storage_errors() -> Iterator[None]:
    """Re-raise failures inside the block that mean "cannot be used" as ``StorageUnavailable``
    (and a task id already taken as ``ValueError``)."""
    try:
        yield
    except exc.SQLAlchemyError as error:
        if isinstance(error, exc.IntegrityError) and _broken_constraint(error) == TASKS_PRIMARY_KEY:
            raise ValueError("task already exists") from error
        if is_unavailable(error):
            raise StorageUnavailable(cause=describe(error)) from error
        raise
