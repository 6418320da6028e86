"""Column types the tasks table needs beyond SQLAlchemy's own.

- ``UtcDateTime``: aware UTC datetimes in and out, with microseconds, years
  1-9999. PostgreSQL stores ``timestamptz``; SQLite has no timestamp type, so
  it stores fixed-width text (``0001-01-01 00:00:00.000000``) that sorts and
  compares like the moments it spells.
- ``sort_key_string``: text compared by code point, as Python compares ``str``
  (``COLLATE "C"`` on PostgreSQL; SQLite's default BINARY collation already is).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import DateTime, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

#: ``YYYY-MM-DD HH:MM:SS.ffffff``: the width of every timestamp stored as text.
SQLITE_TIMESTAMP_WIDTH: Final = 26

#: PostgreSQL collation that orders text by code point (UTF-8 byte order).
CODE_POINT_COLLATION: Final = "C"


def to_utc(value: datetime) -> datetime:
    """The same moment in UTC; refuses naive datetimes, which have no moment."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamps stored must be timezone-aware")
    return value.astimezone(UTC)


def format_sqlite_timestamp(value: datetime) -> str:
    """Fixed-width text for an aware datetime, in UTC (sortable as text)."""
    moment = to_utc(value)
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} "
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}.{moment.microsecond:06d}"
    )


def parse_sqlite_timestamp(text: str) -> datetime:
    """Read back what ``format_sqlite_timestamp`` wrote, as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime: ``timestamptz`` on PostgreSQL, fixed-width text on SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(SQLITE_TIMESTAMP_WIDTH))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> object:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return format_sqlite_timestamp(value)
        return to_utc(value)

    def process_result_value(self, value: object, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            return parse_sqlite_timestamp(value)
        if isinstance(value, datetime):
            return to_utc(value)
        raise TypeError(f"unexpected timestamp value of type {type(value).__name__}")


def sort_key_string(length: int) -> TypeEngine[str]:
    """A VARCHAR that sorts by code point on every backend."""
    return String(length).with_variant(String(length, collation=CODE_POINT_COLLATION), "postgresql")
