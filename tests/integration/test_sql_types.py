"""Timestamps as SQLite stores them: fixed-width text that sorts like the moments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from tests.support.strategies import aware_datetimes, utc_datetimes
from todo_adapters.sql.types import (
    SQLITE_TIMESTAMP_WIDTH,
    format_sqlite_timestamp,
    parse_sqlite_timestamp,
    to_utc,
)


@given(moment=aware_datetimes | utc_datetimes)
def test_a_timestamp_reads_back_as_the_same_aware_utc_moment(moment: datetime) -> None:
    stored = format_sqlite_timestamp(moment)

    loaded = parse_sqlite_timestamp(stored)

    assert len(stored) == SQLITE_TIMESTAMP_WIDTH
    assert loaded == moment
    assert loaded.utcoffset() == timedelta(0)


@given(first=utc_datetimes, second=utc_datetimes)
def test_stored_text_sorts_exactly_as_the_moments_do(first: datetime, second: datetime) -> None:
    as_text = (format_sqlite_timestamp(first), format_sqlite_timestamp(second))

    assert (as_text[0] < as_text[1]) == (first < second)
    assert (as_text[0] == as_text[1]) == (first == second)


def test_the_first_and_last_supported_moments_keep_four_digit_years() -> None:
    first = datetime(1, 1, 1, tzinfo=UTC)
    last = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)

    assert format_sqlite_timestamp(first) == "0001-01-01 00:00:00.000000"
    assert format_sqlite_timestamp(last) == "9999-12-31 23:59:59.999999"


def test_a_naive_timestamp_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        to_utc(datetime(2026, 1, 1))


def test_an_offset_timestamp_is_stored_in_utc() -> None:
    moment = datetime(2026, 1, 1, 1, 30, tzinfo=timezone(timedelta(hours=2)))

    assert format_sqlite_timestamp(moment) == "2025-12-31 23:30:00.000000"


def test_sqlite_date_functions_understand_the_stored_text(sqlite_engine: Engine) -> None:
    stored = format_sqlite_timestamp(datetime(2026, 3, 14, 15, 9, 26, 535897, tzinfo=UTC))

    with sqlite_engine.connect() as connection:
        parsed = connection.execute(text("SELECT strftime('%Y-%m-%d %H:%M:%f', :t)"), {"t": stored})

    assert parsed.scalar() == "2026-03-14 15:09:26.536"  # %f keeps milliseconds, rounded


@given(moment=st.datetimes(timezones=st.just(UTC)))
def test_any_aware_datetime_python_allows_survives_the_round_trip(moment: datetime) -> None:
    assert parse_sqlite_timestamp(format_sqlite_timestamp(moment)) == moment
