"""``UnitOfWork`` over one pooled SQLAlchemy ``Connection``, taken at the first statement.

Reads open no transaction on PostgreSQL: until the first write-intent call
(``get(..., for_update=True)``, ``add``, ``add_many``, ``save``, ``remove``)
the connection is in psycopg2's autocommit mode, so a read use case sends its
one statement and nothing else (no ``BEGIN``, no ``ROLLBACK``). Each statement
reads its own snapshot then, exactly as it would inside a READ COMMITTED
transaction, and a listing's page and total are one statement. The first
write-intent call leaves autocommit (client-side only, no round trip): from
there on everything is one transaction, which ends at ``commit`` or, at the
latest, when the unit of work is left: anything not committed is rolled back.
Autocommit is always switched off again before the connection goes back to
the pool.

SQLite (in-process, no round trips) keeps a transaction for reads too; one
that will write begins with ``BEGIN IMMEDIATE`` (see ``engine``).

Connectivity failures at any of these points surface as ``StorageUnavailable``.
"""

from __future__ import annotations

import contextlib
import logging
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from todo_adapters.sql.engine import WRITE_INTENT
from todo_adapters.sql.errors import storage_errors
from todo_adapters.sql.repository import SqlTaskRepository

logger = logging.getLogger(__name__)


class SqlUnitOfWork:
    """One use case's connection and transaction on ``engine``; build one per use case."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sqlite = self._engine.dialect.name == "sqlite"
        self._connection: Connection | None = None
        # The psycopg2 connection while it is in autocommit for reads.
        self._reading: Any = None
        self.tasks = SqlTaskRepository(self._connection_for)

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
        if self._connection is not None:
            with storage_errors():
                self._connection.commit()

    def rollback(self) -> None:
        if self._connection is not None:
            with storage_errors():
                self._connection.rollback()

    def _connection_for(self, write: bool) -> Connection:
        """The unit's connection; a write-intent call makes it transactional from then on.

        Called by the repository inside ``storage_errors``.
        """
        connection = self._connection
        if connection is None:
            connection = self._engine.connect()
            self._connection = connection
            if self._sqlite:
                connection.execution_options(**{WRITE_INTENT: write})
            elif not write:
                dbapi_connection = connection.connection.dbapi_connection
                dbapi_connection.autocommit = True  # type: ignore[union-attr]
                self._reading = dbapi_connection
            return connection
        if write:
            if self._reading is not None:
                self._end_autocommit()
            elif self._sqlite and not connection.in_transaction():
                connection.execution_options(**{WRITE_INTENT: True})
        elif self._sqlite and not connection.in_transaction():
            connection.execution_options(**{WRITE_INTENT: False})
        return connection

    def _end_autocommit(self) -> None:
        """Back to transactions (psycopg2 begins one at the next statement); client-side only."""
        dbapi_connection = self._reading
        if dbapi_connection is None:
            return
        self._reading = None
        if not dbapi_connection.closed:
            dbapi_connection.autocommit = False
