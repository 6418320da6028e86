"""Turn "the database cannot be reached" into the domain's ``StorageUnavailable``.

Only connectivity failures are translated: operational errors (connection
refused or dropped, server shutting down, SQLite busy), interface errors,
any error after which SQLAlchemy invalidated the connection, and a pool that
has no connection to give. Integrity and data errors are bugs or bad data,
not an outage, and pass through unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc

from todo_core.errors import StorageUnavailable


def is_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database cannot be used right now."""
    if isinstance(error, exc.TimeoutError):
        return True
    if isinstance(error, exc.OperationalError | exc.InterfaceError):
        return True
    return isinstance(error, exc.DBAPIError) and error.connection_invalidated


@contextmanager
def storage_errors() -> Iterator[None]:
    """Re-raise connectivity failures inside the block as ``StorageUnavailable``."""
    try:
        yield
    except exc.SQLAlchemyError as error:
        if is_unavailable(error):
            raise StorageUnavailable() from error
        raise
