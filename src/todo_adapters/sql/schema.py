"""Is the database usable by this version? Reachable, and migrated to the revision it ships.

One statement (``SELECT version_num FROM alembic_version``) answers both, so
the readiness probe stays as cheap as the ``SELECT 1`` it replaces, and start-up
can refuse an unmigrated database in words instead of serving 503s.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from sqlalchemy import Engine

from todo_adapters.sql.errors import describe, is_missing_schema
from todo_adapters.sql.migrations import head_revision

#: Alembic's bookkeeping table (its default name; ``env.py`` keeps it).
VERSION_TABLE: Final = "alembic_version"
_READ_REVISION: Final = f"SELECT version_num FROM {VERSION_TABLE}"  # noqa: S608 - a constant


class DatabaseStatus(StrEnum):
    """What ``/health/ready`` reports as ``database``."""

    OK = "ok"
    UNREACHABLE = "unreachable"
    SCHEMA_OUT_OF_DATE = "schema out of date"


@dataclass(frozen=True, slots=True)
class DatabaseCheck:
    """The outcome of one probe: the status, the revisions, and why it is unreachable."""

    status: DatabaseStatus
    revision: str | None = None
    head: str | None = None
    cause: str | None = None

    @property
    def schema_problem(self) -> str:
        """The one line start-up refuses an out-of-date schema with."""
        return (
            f"database schema is at {self.revision or 'none'}, this version needs "
            f"{self.head}: run 'todo db upgrade'"
        )

    @property
    def summary(self) -> str:
        """One line for the operator's log: what is wrong, and why."""
        if self.status is DatabaseStatus.SCHEMA_OUT_OF_DATE:
            return self.schema_problem
        if self.status is DatabaseStatus.UNREACHABLE:
            return f"database unreachable ({self.cause})"
        return "database ok"


@functools.cache
def shipped_head() -> str | None:
    """The newest revision the package ships (read from the scripts once per process)."""
    return head_revision()


def check_database(engine: Engine) -> DatabaseCheck:
    """Probe ``engine`` with one statement; never raises (a readiness probe must not 500)."""
    head = shipped_head()
    try:
        with engine.connect() as connection:
            rows = connection.exec_driver_sql(_READ_REVISION).scalars().all()
    except Exception as error:
        if is_missing_schema(error):
            rows = []
        else:
            return DatabaseCheck(DatabaseStatus.UNREACHABLE, head=head, cause=describe(error))
    revision = ",".join(sorted(str(row) for row in rows)) or None
    if revision != head:
        return DatabaseCheck(DatabaseStatus.SCHEMA_OUT_OF_DATE, revision=revision, head=head)
    return DatabaseCheck(DatabaseStatus.OK, revision=revision, head=head)
