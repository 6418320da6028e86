"""``UnitOfWork`` over a SQLAlchemy session: one connection, one transaction per use case.

The transaction begins with the first statement and ends at ``commit`` or,
at the latest, when the unit of work is left: anything not committed is
rolled back. Connectivity failures at any of these points surface as
``StorageUnavailable``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from todo_adapters.sql.errors import storage_errors
from todo_adapters.sql.repository import SqlTaskRepository

logger = logging.getLogger(__name__)


class SqlUnitOfWork:
    """One use case's transaction; build one per use case from ``make_session_factory``."""

    def __init__(self, session_factory: Callable[[], Session]) -> None:
        with storage_errors():
            self._session = session_factory()
        self.tasks = SqlTaskRepository(self._session)

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
        try:
            self._session.close()
        except SQLAlchemyError:
            logger.warning("closing a unit of work failed", exc_info=True)

    def commit(self) -> None:
        with storage_errors():
            self._session.commit()

    def rollback(self) -> None:
        with storage_errors():
            self._session.rollback()
