"""The SQL of a listing and of the stats, mirroring ``todo_core.queries`` exactly.

One statement per page: the matching rows' count, left-joined with the page
itself, so an empty page still reports the total::

    SELECT matching.total, page.*
    FROM (SELECT count(*) AS total FROM tasks WHERE <filters>) AS matching
    LEFT OUTER JOIN (
        SELECT * FROM tasks WHERE <filters> AND <after the cursor>
        ORDER BY <sort> [NULLS LAST], id LIMIT :limit + 1 OFFSET :offset
    ) AS page ON true
    ORDER BY <sort> [NULLS LAST], id

The count ignores the cursor (a window ``count(*) OVER ()`` on the page would
count only the rows after it). The order is ``TaskQuery.order``: the sort
value, then the id, both in the query's direction, rows without a value last;
the cursor condition is ``TaskQuery.is_after`` as a row-value comparison the
database can serve from the ``(user_id, <sort>, id)`` indexes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    and_,
    false,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.sql.elements import KeyedColumnElement, UnaryExpression
from sqlalchemy.sql.expression import ColumnCollection

from todo_adapters.sql.rows import DESCRIPTION_KEY_LENGTH, tasks_table
from todo_adapters.sql.statements import AnySelect
from todo_adapters.sql.types import to_utc
from todo_core.model import TaskPriority, TaskStatus
from todo_core.queries import Position, SortField, TaskFilter, TaskQuery

Columns = ColumnCollection[str, KeyedColumnElement[Any]]

#: The column each sort orders by (ranks and case-folded title are stored).
SORT_COLUMNS: Final = {
    SortField.CREATED_AT: "created_at",
    SortField.UPDATED_AT: "updated_at",
    SortField.DUE_DATE: "due_date",
    SortField.PRIORITY: "priority_rank",
    SortField.STATUS: "status_rank",
    SortField.TITLE: "title_key",
}
NULLABLE_SORTS: Final = frozenset({SortField.DUE_DATE})
LIKE_ESCAPE: Final = "\\"
COMPLETED: Final = TaskStatus.COMPLETED.value
#: Every stored rank lies strictly between these (ranks from a cursor are clamped).
_RANK_FLOOR: Final = -1
_RANK_CEILING: Final = max(len(TaskStatus), len(TaskPriority))


def storable(text: str) -> bool:
    """Whether the database can hold ``text`` (no NUL, valid UTF-8: no lone surrogates)."""
    return _first_unstorable(text) is None


def _first_unstorable(text: str) -> int | None:
    for index, char in enumerate(text):
        if char == "\x00" or "\ud800" <= char <= "\udfff":
            return index
    return None


def escape_like(text: str) -> str:
    """``text`` with LIKE's wildcards and the escape character made literal."""
    return (
        text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )


def filter_conditions(
    user_id: str, task_filter: TaskFilter, *, now: datetime
) -> list[ColumnElement[bool]] | None:
    """WHERE conditions of ``TaskFilter.matches`` for one owner; ``None`` if nothing can match."""
    c = tasks_table().c
    if not storable(user_id):
        return None
    conditions: list[ColumnElement[bool]] = [c.user_id == user_id]
    if task_filter.statuses is not None:
        conditions.append(c.status.in_(sorted(str(s) for s in task_filter.statuses)))
    if task_filter.priorities is not None:
        conditions.append(c.priority.in_(sorted(str(p) for p in task_filter.priorities)))
    if task_filter.completed is not None:
        completed = c.status == COMPLETED
        conditions.append(completed if task_filter.completed else c.status != COMPLETED)
    if task_filter.search is not None:
        needle = task_filter.search.casefold()
        if not storable(needle) or len(needle) > DESCRIPTION_KEY_LENGTH:
            return None  # no stored text can contain it
        pattern = f"%{escape_like(needle)}%"
        conditions.append(
            or_(
                c.title_key.like(pattern, escape=LIKE_ESCAPE),
                c.description_key.like(pattern, escape=LIKE_ESCAPE),
            )
        )
    if task_filter.due_after is not None:
        conditions.append(_due_bound(task_filter.due_after, after=True))
    if task_filter.due_before is not None:
        conditions.append(_due_bound(task_filter.due_before, after=False))
    if task_filter.overdue is not None:
        overdue = and_(c.due_date < now, c.status != COMPLETED)
        not_overdue = or_(c.due_date.is_(None), c.due_date >= now, c.status == COMPLETED)
        conditions.append(overdue if task_filter.overdue else not_overdue)
    return conditions


def _due_bound(moment: datetime, *, after: bool) -> ColumnElement[bool]:
    """``due_date >= moment`` (after) or ``due_date < moment``, for any aware moment.

    A moment outside years 1-9999 in UTC cannot be bound, but it is before (or
    after) every storable due date, which decides the comparison outright.
    """
    due = tasks_table().c.due_date
    try:
        bound = to_utc(moment)
    except OverflowError:
        before_all = moment.year == 1
        return due.is_not(None) if before_all == after else false()
    return due >= bound if after else due < bound


def ordering(columns: Columns, query: TaskQuery) -> list[UnaryExpression[Any]]:
    """ORDER BY of ``TaskQuery.order``: value then id in the query's direction, nulls last."""
    value = columns[SORT_COLUMNS[query.sort]]
    task_id = columns["id"]
    if query.descending:
        value_order, id_order = value.desc(), task_id.desc()
    else:
        value_order, id_order = value.asc(), task_id.asc()
    if query.sort in NULLABLE_SORTS:
        value_order = value_order.nulls_last()
    return [value_order, id_order]


def after_condition(query: TaskQuery, position: Position) -> ColumnElement[bool]:
    """Rows strictly after ``position`` in the query's order (``TaskQuery.is_after``)."""
    c = tasks_table().c
    value = c[SORT_COLUMNS[query.sort]]
    nullable = query.sort in NULLABLE_SORTS
    if position.value is None:
        # Inside the tail of rows without a value: only that tail, by id.
        later_id = c.id < position.task_id if query.descending else c.id > position.task_id
        return and_(value.is_(None), later_id)
    bound = _comparable(query.sort, position.value, query.descending)
    if isinstance(bound, _Everything):
        present: ColumnElement[bool] = true() if bound.all_present else false()
    elif isinstance(bound, _Plain):
        present = bound.condition
    else:
        pair = tuple_(value, c.id)
        key = tuple_(literal(bound, value.type), literal(position.task_id, c.id.type))
        present = pair < key if query.descending else pair > key
    return or_(present, value.is_(None)) if nullable else present


class _Everything:
    """A cursor value beyond every storable one: all present values are after it, or none."""

    def __init__(self, *, all_present: bool) -> None:
        self.all_present = all_present


class _Plain:
    """A cursor value no row can equal, so the id tie-break drops out."""

    def __init__(self, condition: ColumnElement[bool]) -> None:
        self.condition = condition


def _comparable(sort: SortField, value: object, descending: bool) -> object | _Everything | _Plain:
    """The cursor value as the database can compare it, preserving Python's order.

    Cursors made by the server always hold storable values; these cases keep a
    hand-made cursor (a NUL in a title, a moment outside years 1-9999 in UTC,
    an out-of-range rank) ordered exactly as the core orders it.
    """
    if isinstance(value, datetime):
        try:
            return to_utc(value)
        except OverflowError:
            before_all = value.year == 1
            return _Everything(all_present=before_all != descending)
    if isinstance(value, int) and sort in (SortField.PRIORITY, SortField.STATUS):
        return min(max(value, _RANK_FLOOR), _RANK_CEILING)
    if isinstance(value, str):
        return _text_bound(value, descending)
    return value


def _text_bound(value: str, descending: bool) -> str | _Plain:
    index = _first_unstorable(value)
    if index is None:
        return value
    key = tasks_table().c.title_key
    prefix = value[:index]
    if value[index] == "\x00":
        # NUL sorts before every character: stored s > value <=> s > prefix.
        return _Plain(key <= prefix if descending else key > prefix)
    # A surrogate sorts before U+E000 and after U+D7FF: s > value <=> s >= prefix + U+E000.
    upper = prefix + "\ue000"
    return _Plain(key < upper if descending else key >= upper)


def list_statement(query: TaskQuery) -> AnySelect | None:
    """The one statement of a listing (see the module docstring); ``None`` if nothing matches."""
    table = tasks_table()
    conditions = filter_conditions(query.user_id, query.filter, now=query.now)
    if conditions is None:
        return None
    page_conditions = list(conditions)
    if query.after is not None:
        page_conditions.append(after_condition(query, query.after))
    page_select = (
        select(*table.c)
        .where(*page_conditions)
        .order_by(*ordering(table.c, query))
        .limit(query.limit + 1)
    )
    if query.offset:
        page_select = page_select.offset(query.offset)
    page = page_select.subquery("page")
    matching = (select(func.count().label("total")).select_from(table).where(*conditions)).subquery(
        "matching"
    )
    return (
        select(matching.c.total, *page.c)
        .select_from(matching.outerjoin(page, true()))
        .order_by(*ordering(page.c, query))
    )
