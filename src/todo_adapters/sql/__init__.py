"""The SQL adapter: PostgreSQL (psycopg2) and SQLite through SQLAlchemy and SQLModel.

Nothing here runs at import time; callers build an engine and one
``SqlUnitOfWork`` per use case::

    engine = make_engine(url)
    upgrade_database(engine)
    service = TaskService(uow_factory=lambda: SqlUnitOfWork(engine))
"""

from todo_adapters.sql.engine import (
    database_is_reachable,
    make_engine,
    normalize_database_url,
)
from todo_adapters.sql.migrations import current_revision, downgrade_database, upgrade_database
from todo_adapters.sql.repository import SqlTaskRepository
from todo_adapters.sql.unit_of_work import SqlUnitOfWork

__all__ = [
    "SqlTaskRepository",
    "SqlUnitOfWork",
    "current_revision",
    "database_is_reachable",
    "downgrade_database",
    "make_engine",
    "normalize_database_url",
    "upgrade_database",
]
