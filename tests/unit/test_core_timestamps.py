"""The API's timestamp formats (API.md section 1), as the core parses and prints them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.strategies import offsets, utc_datetimes
from todo_core.errors import InvalidInput
from todo_core.timestamps import format_timestamp, parse_timestamp

RFC3339_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")


@given(moment=utc_datetimes)
def test_a_formatted_timestamp_parses_back_to_the_same_moment(moment: datetime) -> None:
    text = format_timestamp(moment)

    assert RFC3339_UTC.fullmatch(text)
    assert parse_timestamp(text) == moment


@given(
    moment=st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)), zone=offsets
)
def test_a_timestamp_with_any_offset_is_the_same_moment_in_utc_or_refused_out_of_range(
    moment: datetime, zone: timezone
) -> None:
    text = moment.replace(tzinfo=zone).isoformat()

    try:
        parsed: datetime | InvalidInput = parse_timestamp(text)
    except InvalidInput as error:
        parsed = error

    if isinstance(parsed, InvalidInput):
        assert parsed.fields == ("due_date",)
        with pytest.raises(OverflowError):
            moment.replace(tzinfo=zone).astimezone(UTC)
    else:
        assert parsed == moment.replace(tzinfo=zone)
        assert parsed.utcoffset() == timedelta(0)


@given(
    text=st.text(max_size=40) | utc_datetimes.map(lambda m: m.isoformat()[: len("2026-01-01T1")])
)
def test_any_text_parses_to_an_aware_utc_moment_or_is_refused_naming_the_field(text: str) -> None:
    try:
        parsed: datetime | InvalidInput = parse_timestamp(text, field="due_after")
    except InvalidInput as error:
        parsed = error

    if isinstance(parsed, InvalidInput):
        assert parsed.fields == ("due_after",)
    else:
        assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01", datetime(2026, 12, 1, tzinfo=UTC)),
        ("2026-12-01T09:30", datetime(2026, 12, 1, 9, 30, tzinfo=UTC)),
        ("2026-12-01T09:30:15", datetime(2026, 12, 1, 9, 30, 15, tzinfo=UTC)),
        ("2026-12-01T09:30:15.5Z", datetime(2026, 12, 1, 9, 30, 15, 500000, tzinfo=UTC)),
        ("2026-12-01t09:30:15.123456z", datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=UTC)),
        ("2026-12-01 09:30+05:30", datetime(2026, 12, 1, 4, 0, tzinfo=UTC)),
        ("2026-12-01T23:30:00-0100", datetime(2026, 12, 2, 0, 30, tzinfo=UTC)),
        ("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=UTC)),
    ],
)
def test_the_lenient_input_forms_are_read_as_utc(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text)

    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "tomorrow",
        "2026-13-01",
        "2026-12-01T25:00",
        "2026-12-01T10:00:00.1234567Z",
        "2026-12-01T10:00+24:00",
        "0000-12-31",
        "9999-12-31T23:00:00-05:00",
        "0001-01-01T00:00:00+00:01",
        "\u0662\u0660\u0662\u0666-\u0661\u0662-\u0660\u0661",  # Arabic-Indic digits
        "1767225600",
    ],
)
def test_anything_else_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_timestamp(text, field="due_date")

    assert caught.value.fields == ("due_date",)


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(196, 1, 22, 3, 4, 5, tzinfo=UTC), "0196-01-22T03:04:05.000000Z"),
        (
            datetime(2026, 1, 9, 13, 0, 0, 123456, tzinfo=timezone(timedelta(hours=1))),
            "2026-01-09T12:00:00.123456Z",
        ),
        (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), "9999-12-31T23:59:59.999999Z"),
    ],
)
def test_output_is_utc_with_microseconds_a_z_and_a_four_digit_year(
    moment: datetime, text: str
) -> None:
    assert format_timestamp(moment) == text
