"""Cursors: opaque, bound to their query, and never anything but a 422 when bad."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.support.builders import make_task
from tests.support.clock import DEFAULT_START
from tests.support.strategies import sort_fields, task_filters, utc_datetimes
from todo_core.errors import InvalidInput
from todo_core.model import TaskPriority, TaskStatus
from todo_core.queries import (
    Position,
    SortField,
    TaskFilter,
    TaskQuery,
    decode_cursor,
    encode_cursor,
)

NOW = DEFAULT_START


def query(**fields: object) -> TaskQuery:
    fields.setdefault("user_id", "alice")
    return TaskQuery(now=NOW, **fields)  # type: ignore[arg-type]


def decode_or_refusal(cursor: str, q: TaskQuery) -> Position | InvalidInput:
    """The decoded position, or the ``InvalidInput`` refusing it (anything else escapes)."""
    try:
        return decode_cursor(cursor, q)
    except InvalidInput as error:
        return error


def token(payload: object) -> str:
    raw = json.dumps(payload).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@given(
    sort=sort_fields,
    descending=st.booleans(),
    task_filter=task_filters(),
    title=st.text(st.characters(exclude_categories=["Cc", "Cs"]), min_size=1, max_size=50),
    moment=utc_datetimes,
    due=st.none() | utc_datetimes,
    status=st.sampled_from(TaskStatus),
    priority=st.sampled_from(TaskPriority),
)
def test_a_cursor_decodes_to_the_position_it_was_made_from(
    sort: SortField,
    descending: bool,
    task_filter: TaskFilter,
    title: str,
    moment: object,
    due: object,
    status: TaskStatus,
    priority: TaskPriority,
) -> None:
    q = query(sort=sort, descending=descending, filter=task_filter)
    task = make_task(
        user_id="alice",
        title=title,
        status=status,
        priority=priority,
        due_date=due,  # type: ignore[arg-type]
        created_at=moment,  # type: ignore[arg-type]
    )
    position = q.position_of(task)

    cursor = encode_cursor(q, position)

    assert decode_cursor(cursor, q) == position
    assert cursor.isascii()
    assert not set(cursor) & set("=+/")


def test_a_cursor_does_not_depend_on_limit_or_offset() -> None:
    position = Position(NOW, uuid.uuid4())

    cursor = encode_cursor(query(limit=5), position)

    assert decode_cursor(cursor, query(limit=50)) == position


@pytest.mark.parametrize(
    "other",
    [
        {"user_id": "bob"},
        {"user_id": "Alice"},
        {"sort": SortField.UPDATED_AT},
        {"descending": False},
        {"filter": TaskFilter(search="x")},
        {"filter": TaskFilter(overdue=False)},
        {"filter": TaskFilter(due_after=NOW)},
        {"filter": TaskFilter(statuses=frozenset({TaskStatus.PENDING}))},
    ],
    ids=repr,
)
def test_a_cursor_is_refused_by_a_query_with_another_user_sort_direction_or_filter(
    other: dict[str, object],
) -> None:
    cursor = encode_cursor(query(), Position(NOW, uuid.uuid4()))

    with pytest.raises(InvalidInput) as caught:
        decode_cursor(cursor, query(**other))

    assert caught.value.fields == ("cursor",)
    assert caught.value.errors[0].source == "query"


def test_filters_given_as_equal_sets_in_any_order_share_cursors() -> None:
    first = query(filter=TaskFilter(statuses=frozenset([TaskStatus.PENDING, TaskStatus.COMPLETED])))
    second = query(
        filter=TaskFilter(statuses=frozenset([TaskStatus.COMPLETED, TaskStatus.PENDING]))
    )
    position = Position(NOW, uuid.uuid4())

    decoded = decode_cursor(encode_cursor(first, position), second)

    assert decoded == position


@pytest.mark.parametrize(
    ("sort", "value"),
    [
        (SortField.CREATED_AT, None),
        (SortField.CREATED_AT, 5),
        (SortField.CREATED_AT, "yesterday"),
        (SortField.CREATED_AT, "2026-01-01T00:00:00"),
        (SortField.PRIORITY, "high"),
        (SortField.PRIORITY, True),
        (SortField.PRIORITY, 1.5),
        (SortField.TITLE, 3),
        (SortField.TITLE, None),
        (SortField.DUE_DATE, ["2026-01-01T00:00:00+00:00"]),
    ],
)
def test_a_cursor_with_a_value_of_the_wrong_kind_is_refused(sort: SortField, value: object) -> None:
    q = query(sort=sort)

    with pytest.raises(InvalidInput) as caught:
        decode_cursor(token([q.fingerprint(), value, uuid.uuid4().hex]), q)

    assert caught.value.fields == ("cursor",)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(
    sort=sort_fields,
    fingerprint_is_right=st.booleans(),
    value=json_values | utc_datetimes.map(lambda moment: moment.isoformat()),
    task_hex=st.text(max_size=40) | st.uuids().map(lambda u: u.hex),
)
@example(sort=SortField.DUE_DATE, fingerprint_is_right=True, value=None, task_hex="0" * 32)
def test_a_tampered_cursor_either_decodes_or_is_refused_on_cursor(
    sort: SortField, fingerprint_is_right: bool, value: object, task_hex: str
) -> None:
    q = query(sort=sort)
    fingerprint = q.fingerprint() if fingerprint_is_right else "0" * 16

    outcome = decode_or_refusal(token([fingerprint, value, task_hex]), q)

    if isinstance(outcome, InvalidInput):
        assert outcome.fields == ("cursor",)
    else:
        assert fingerprint_is_right
        assert outcome.task_id == uuid.UUID(hex=task_hex)


@given(st.text(max_size=200) | json_values.map(token))
def test_any_string_as_a_cursor_either_decodes_or_is_refused_on_cursor(cursor: str) -> None:
    outcome = decode_or_refusal(cursor, query())

    if isinstance(outcome, InvalidInput):
        assert outcome.fields == ("cursor",)


@pytest.mark.parametrize("task_id", [123, 4.5, ["ab"], {"hex": "ab"}])
def test_a_cursor_whose_task_id_is_not_a_string_is_refused(task_id: object) -> None:
    q = query()

    with pytest.raises(InvalidInput) as caught:
        decode_cursor(token([q.fingerprint(), NOW.isoformat(), task_id]), q)

    assert caught.value.fields == ("cursor",)


def test_a_deeply_nested_cursor_is_refused() -> None:
    cursor = base64.urlsafe_b64encode(b"[" * 4000).rstrip(b"=").decode()

    with pytest.raises(InvalidInput) as caught:
        decode_cursor(cursor, query())

    assert caught.value.fields == ("cursor",)


# --- the query's own checks -----------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": 1, "after": Position(NOW, uuid.UUID(int=1))}, "cursor"),
    ],
)
def test_a_query_refuses_bad_paging_naming_the_parameter(
    fields: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        query(**fields)

    assert caught.value.fields == (field,)
    assert caught.value.errors[0].source == "query"


def test_a_query_defaults_to_newest_first_50_per_page() -> None:
    q = query()

    assert (q.sort, q.descending, q.limit, q.offset, q.after) == (
        SortField.CREATED_AT,
        True,
        50,
        0,
        None,
    )
