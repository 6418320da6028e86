"""What a write did, as its check reads it: the row count and the rows it returned.

One shape whichever way the statement went: sent on the DBAPI cursor
(``cursor.run``, a lone write in autocommit) or executed by SQLAlchemy
(``Outcome.of``, inside a transaction and on SQLite).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import CursorResult


@dataclass(frozen=True, slots=True)
class Outcome:
    """``rowcount`` as the driver reports it; ``rows`` by column name (empty: none returned)."""

    rowcount: int
    rows: Sequence[Mapping[Any, Any]] = ()
    returned_rows: bool = False

    @classmethod
    def of(cls, result: CursorResult[Any]) -> Outcome:
        """The outcome of a statement SQLAlchemy executed."""
        if not result.returns_rows:
            return cls(result.rowcount)
        rows = result.mappings().all()
        return cls(result.rowcount, rows, returned_rows=True)

    def one_or_none(self) -> Mapping[Any, Any] | None:
        """The one row returned, if any; ``ValueError`` if there were several."""
        if len(self.rows) > 1:
            raise ValueError(f"{len(self.rows)} rows where at most one was expected")
        return self.rows[0] if self.rows else None

    def scalar_one_or_none(self) -> Any:
        """The first column of the one row returned, if any."""
        row = self.one_or_none()
        return None if row is None else next(iter(row.values()))

    def scalars(self) -> list[Any]:
        """The first column of every row returned."""
        return [next(iter(row.values())) for row in self.rows]
