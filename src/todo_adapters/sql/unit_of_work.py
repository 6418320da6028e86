"""``UnitOfWork`` over one pooled SQLAlchemy ``Connection``, taken at the first statement.

PostgreSQL gets as few round trips as the guarantees allow:

- **Reads open no transaction.** The connection stays in psycopg2's
  autocommit mode, so a read sends its one statement and nothing else (no
  ``BEGIN``, no ``ROLLBACK``); each statement reads its own snapshot, as it
  would inside a READ COMMITTED transaction. The read of a task by id and a
  listing's page go on the cursor there (``cursor``).
- **A unit with one write sends it alone.** A write is held back (like a
  session's flush) until the unit commits; if it is still the only one then,
  it goes out by itself in autocommit, where a single statement is atomic
  anyway: an ``INSERT`` or a plain patch's ``UPDATE ... RETURNING`` is one
  round trip, and a version-checked ``UPDATE`` or ``DELETE`` after its read is
  two. Its checks (the row count, the row returned) run then, so a lost
  race surfaces from ``commit``. It goes on the cursor as the reads do
  (``cursor``): through SQLAlchemy's execution, the result's metadata for a
  patch's returned row alone was a few percent of a ``PATCH``. A lone write
  marked ``prepared`` goes as its ``EXECUTE`` (``prepared``), still one
  message.
- **Anything more is one transaction.** A second write, a read after a
  write, a locking read (``for update``) or a batch leaves autocommit
  (client-side, no round trip), flushes the held-back write first and keeps
  everything in one transaction until ``commit``; leaving the unit without
  committing rolls it back. Autocommit is always switched off again before
  the connection goes back to the pool.

SQLite (in-process, no round trips) keeps a transaction for everything, and
one that will write begins with ``BEGIN IMMEDIATE`` (see ``engine``) so that
concurrent writers queue on the busy timeout; a read-only transaction still
open when the first write comes is ended first, since upgrading it could fail
with "database is locked" (the write's version check covers what was read).

Connectivity failures at any of these points surface as ``StorageUnavailable``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from sqlalchemy import ClauseElement, Connection, CursorResult, Engine, Executable, Select
from sqlalchemy.exc import SQLAlchemyError

from todo_adapters.sql.cursor import CursorStatement, cursor_statement, send_on_cursor
from todo_adapters.sql.engine import WRITE_INTENT
from todo_adapters.sql.errors import storage_errors
from todo_adapters.sql.outcome import Outcome
from todo_adapters.sql.reader import SqlTaskReader
from todo_adapters.sql.repository import Check, SqlTaskRepository

logger = logging.getLogger(__name__)

Parameters = Mapping[str, Any] | Sequence[Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class _Write:
    """A write held back until commit, with the check of its result."""

    statement: Executable
    parameters: Parameters
    check: Check


class SqlUnitOfWork:
    """One use case's connection and transaction on ``engine``; build one per use case."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        self._connection: Connection | None = None
        # The psycopg2 connection while it is in autocommit (no transaction yet).
        self._autocommit: Any = None
        self._held: _Write | None = None
        self._wrote = False
        self.tasks = SqlTaskRepository(self)
        self.reader = SqlTaskReader(self)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # Closing rolls back whatever was not committed and returns the connection.
        # A failure here cannot lose data (the transaction is gone either way), so
        # it is logged rather than allowed to hide the use case's own outcome.
        self._held = None
        connection = self._connection
        if connection is None:
            return
        self._connection = None
        try:
            self._end_autocommit()
        except Exception:
            # Never hand an autocommit connection back to the pool.
            logger.warning("leaving autocommit failed; connection discarded", exc_info=True)
            with contextlib.suppress(SQLAlchemyError):
                connection.invalidate()
        try:
            connection.close()
        except SQLAlchemyError:
            logger.warning("closing a unit of work failed", exc_info=True)

    def commit(self) -> None:
        held, self._held = self._held, None
        with storage_errors():
            if held is not None:
                # Still the unit's only write: sent alone, atomic by itself.
                self._run(self._connect(write=True), held)
            if self._connection is not None:
                self._connection.commit()

    def rollback(self) -> None:
        self._held = None
        if self._connection is not None:
            with storage_errors():
                self._connection.rollback()

    # -- what the repository calls -------------------------------------------------

    @property
    def dialect_name(self) -> str:
        """``postgresql`` or ``sqlite``: the few statements that differ are built per dialect."""
        return self._engine.dialect.name

    def read(
        self, statement: Executable, parameters: Mapping[str, Any], *, lock: bool = False
    ) -> CursorResult[Any]:
        """Run a read; ``lock`` (``FOR UPDATE``) needs a transaction, so it starts one."""
        with storage_errors():
            connection = self._transaction() if lock or self._held else self._connect(lock)
            return connection.execute(statement, parameters)

    def read_row(
        self, statement: Select[Any], parameters: Mapping[str, Any], *, lock: bool = False
    ) -> Mapping[Any, Any] | None:
        """The row of a read of at most one (``read_rows``); ``lock`` as ``read``."""
        if lock:
            return self.read(statement, parameters, lock=True).mappings().one_or_none()
        rows = self.read_rows(statement, parameters)
        return rows[0] if rows else None

    def read_rows(
        self, statement: Executable, parameters: Mapping[str, Any]
    ) -> Sequence[Mapping[Any, Any]]:
        """Every row of a read, as ``read`` would; in autocommit, on the cursor.

        PostgreSQL's plain reads (no lock, no transaction yet) skip
        SQLAlchemy's execution (``cursor``); the rest goes through it.
        """
        if self._held or self._sqlite:
            return self.read(statement, parameters).mappings().all()
        with storage_errors():
            connection = self._connect(write=False)
            on_cursor = self._on_cursor(connection, statement)
            if on_cursor is None:
                return connection.execute(statement, parameters).mappings().all()
            return send_on_cursor(connection, on_cursor, parameters).rows

    def write(
        self, statement: Executable, parameters: Parameters, *, check: Check, alone: bool = True
    ) -> None:
        """Run a write, or hold it back until commit (see the module docstring).

        ``alone=False`` for a write that may be several statements on the wire
        (a batch), which must never run in autocommit.
        """
        write = _Write(statement, parameters, check)
        if alone and self._may_hold():
            self._held = write
            return
        with storage_errors():
            self._run(self._transaction(), write)

    # -- connection and transaction ------------------------------------------------

    def _may_hold(self) -> bool:
        if self._sqlite or self._held is not None or self._wrote:
            return False
        return self._connection is None or self._autocommit is not None

    def _run(self, connection: Connection, write: _Write) -> None:
        self._wrote = True
        write.check(self._execute(connection, write))

    def _execute(self, connection: Connection, write: _Write) -> Outcome:
        """``write`` on the cursor when it is a lone write (in autocommit), else through
        SQLAlchemy. On the cursor a statement marked ``prepared`` goes as its ``EXECUTE``."""
        parameters = write.parameters
        if isinstance(parameters, Mapping):  # one row, not a batch
            on_cursor = self._on_cursor(connection, write.statement)
            if on_cursor is not None:
                return send_on_cursor(connection, on_cursor, parameters)
        return Outcome.of(connection.execute(write.statement, parameters))

    def _on_cursor(self, connection: Connection, statement: Executable) -> CursorStatement | None:
        """``statement`` ready for the cursor, if it may go there: only in autocommit,
        where SQLAlchemy has no transaction to keep track of."""
        if self._autocommit is None or not isinstance(statement, ClauseElement):
            return None
        return cursor_statement(statement, connection.dialect)

    def _connect(self, write: bool) -> Connection:
        """The unit's connection, taken at the first statement (autocommit on PostgreSQL)."""
        connection = self._connection
        if connection is not None:
            if self._sqlite and write:
                self._sqlite_intend_write(connection)
            return connection
        connection = self._engine.connect()
        self._connection = connection
        if self._sqlite:
            connection.execution_options(**{WRITE_INTENT: write})
        else:
            dbapi_connection = connection.connection.dbapi_connection
            dbapi_connection.autocommit = True  # type: ignore[union-attr]
            self._autocommit = dbapi_connection
        return connection

    def _transaction(self) -> Connection:
        """The connection inside a transaction, with any held-back write sent first."""
        connection = self._connect(write=True)
        self._end_autocommit()
        held, self._held = self._held, None
        if held is not None:
            self._run(connection, held)
        return connection

    def _sqlite_intend_write(self, connection: Connection) -> None:
        if connection.get_execution_options().get(WRITE_INTENT):
            return
        if connection.in_transaction():
            connection.rollback()  # a read-only transaction: nothing is lost
        connection.execution_options(**{WRITE_INTENT: True})

    def _end_autocommit(self) -> None:
        """Back to transactions (psycopg2 begins one at the next statement); client-side only."""
        dbapi_connection = self._autocommit
        if dbapi_connection is None:
            return
        self._autocommit = None
        if not dbapi_connection.closed:
            dbapi_connection.autocommit = False
