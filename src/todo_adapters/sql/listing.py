"""The SQL of a listing and of the stats, mirroring ``todo_core.queries`` exactly.

One statement per page: the matching rows' count, left-joined with the page
itself, so an empty page still reports the total::

    SELECT matching.total, page.*
    FROM (SELECT count(*) AS total FROM tasks WHERE <filters>) AS matching
    LEFT OUTER JOIN (
        SELECT * FROM tasks WHERE <filters> AND <after the cursor>
        ORDER BY <sort> [NULLS LAST], id LIMIT :limit OFFSET :offset
    ) AS page ON true
    ORDER BY <sort> [NULLS LAST], id

The count ignores the cursor (a window ``count(*) OVER ()`` on the page would
count only the rows after it). The order is ``TaskQuery.order``: the sort
value, then the id, both in the query's direction, rows without a value last;
the cursor condition is ``TaskQuery.is_after`` as a row-value comparison the
database can serve from the ``(user_id, <sort>, id)`` indexes.

A query is split into its *shape* (the sort, which filters are set, what kind
of cursor) and its *parameters* (the values). Statements are built once per
shape with named bound parameters, because building and cache-keying a
SQLAlchemy statement costs more than running it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache, lru_cache
from typing import Any, Final, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    bindparam,
    false,
    func,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.sql.elements import KeyedColumnElement, UnaryExpression
from sqlalchemy.sql.expression import ColumnCollection

from todo_adapters.sql.rows import DESCRIPTION_KEY_LENGTH, task_tags_table, tasks_table
from todo_adapters.sql.statements import AnySelect
from todo_adapters.sql.types import to_utc
from todo_core.model import TaskPriority, TaskStatus
from todo_core.queries import Position, SortField, TaskFilter, TaskQuery

Columns = ColumnCollection[str, KeyedColumnElement[Any]]
Parameters = dict[str, Any]

#: The column each sort orders by (ranks and case-folded title are stored).
SORT_COLUMNS: Final = {
    SortField.CREATED_AT: "created_at",
    SortField.UPDATED_AT: "updated_at",
    SortField.DUE_DATE: "due_date",
    SortField.PRIORITY: "priority_rank",
    SortField.STATUS: "status_rank",
    SortField.TITLE: "title_key",
    SortField.REMIND_AT: "remind_at",
}
LIKE_ESCAPE: Final = "\\"
COMPLETED: Final = TaskStatus.COMPLETED.value
#: Every stored rank lies strictly between these (ranks from a cursor are clamped).
_RANK_FLOOR: Final = -1
_RANK_CEILING: Final = max(len(TaskStatus), len(TaskPriority))

#: Names of the bound parameters; a query's values travel under these.
USER_ID: Final = "user_id"
NOW: Final = "now"
STATUSES: Final = "statuses"
PRIORITIES: Final = "priorities"
PATTERN: Final = "pattern"
DUE_AFTER: Final = "due_after"
DUE_BEFORE: Final = "due_before"
REMIND_AFTER: Final = "remind_after"
REMIND_BEFORE: Final = "remind_before"
TAG_KEYS: Final = "tag_keys"
AFTER_VALUE: Final = "after_value"
AFTER_ID: Final = "after_id"
LIMIT: Final = "limit"
OFFSET: Final = "offset"


class Condition(StrEnum):
    """A WHERE condition a filter or a cursor can add, named by what it keeps."""

    STATUSES = "statuses"
    PRIORITIES = "priorities"
    COMPLETED = "completed"
    NOT_COMPLETED = "not_completed"
    SEARCH = "search"
    DUE_AFTER = "due_after"
    DUE_BEFORE = "due_before"
    HAS_DUE_DATE = "has_due_date"
    REMIND_AFTER = "remind_after"
    REMIND_BEFORE = "remind_before"
    HAS_REMIND_AT = "has_remind_at"
    TAGS = "tags"
    NOTHING = "nothing"
    OVERDUE = "overdue"
    NOT_OVERDUE = "not_overdue"


class After(StrEnum):
    """How the cursor's position is compared (see ``after_condition``)."""

    PAIR = "pair"  # (value, id) beyond the cursor's, as a row value
    NULL_TAIL = "null_tail"  # inside the rows without a value: by id alone
    ALL_PRESENT = "all_present"  # a value beyond every storable one: all rows with a value
    NONE_PRESENT = "none_present"  # ... or none of them
    TEXT_ABOVE = "text_above"  # a text no row can equal: strictly above it
    TEXT_AT_OR_ABOVE = "text_at_or_above"  # ... or from a bound on


@dataclass(frozen=True, slots=True)
class Shape:
    """Everything about a listing that changes its SQL; the values are parameters."""

    sort: SortField
    descending: bool
    conditions: tuple[Condition, ...]
    after: After | None
    offset: bool


class BoundStatement(NamedTuple):
    """A statement and the parameters to run it with."""

    statement: AnySelect
    parameters: Parameters


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


def list_statement(query: TaskQuery) -> BoundStatement | None:
    """The one statement of a listing (see the module docstring); ``None`` if nothing matches."""
    if not storable(query.user_id):
        return None
    parameters: Parameters = {USER_ID: query.user_id, NOW: query.now, LIMIT: query.limit + 1}
    conditions = filter_conditions(query.filter, parameters)
    if conditions is None:
        return None
    after = None if query.after is None else after_kind(query, query.after, parameters)
    if query.offset:
        parameters[OFFSET] = query.offset
    shape = Shape(query.sort, query.descending, conditions, after, bool(query.offset))
    return BoundStatement(_statement(shape), parameters)


def stats_statement(user_id: str, *, now: datetime, dialect: str) -> BoundStatement:
    """Counts of ``TaskStats`` over one owner's tasks, tag counts included, in one statement."""
    return BoundStatement(_stats_statement(dialect), {USER_ID: user_id, NOW: now})


def tags_statement(user_id: str) -> BoundStatement:
    """Every tag of one owner's tasks with its count, in ``TaskStats.by_tag`` order."""
    ranked = _ranked_tags()
    statement = (
        select(ranked.c.name, ranked.c.count)
        .where(ranked.c.recency == 1)
        .order_by(ranked.c.name_key, ranked.c.name)
    )
    return BoundStatement(statement, {USER_ID: user_id})


def filter_conditions(
    task_filter: TaskFilter, parameters: Parameters
) -> tuple[Condition, ...] | None:
    """The conditions of ``TaskFilter.matches``, their values put in ``parameters``.

    ``None`` if no stored task can match.
    """
    conditions: list[Condition] = []
    if task_filter.statuses is not None:
        conditions.append(Condition.STATUSES)
        parameters[STATUSES] = sorted(str(s) for s in task_filter.statuses)
    if task_filter.priorities is not None:
        conditions.append(Condition.PRIORITIES)
        parameters[PRIORITIES] = sorted(str(p) for p in task_filter.priorities)
    if task_filter.completed is not None:
        conditions.append(Condition.COMPLETED if task_filter.completed else Condition.NOT_COMPLETED)
    if task_filter.search is not None:
        needle = task_filter.search.casefold()
        if not storable(needle) or len(needle) > DESCRIPTION_KEY_LENGTH:
            return None  # no stored text can contain it
        conditions.append(Condition.SEARCH)
        parameters[PATTERN] = f"%{escape_like(needle)}%"
    if task_filter.due_after is not None:
        conditions.append(_bound(task_filter.due_after, DUE_AFTER, parameters))
    if task_filter.due_before is not None:
        conditions.append(_bound(task_filter.due_before, DUE_BEFORE, parameters))
    if task_filter.remind_after is not None:
        conditions.append(_bound(task_filter.remind_after, REMIND_AFTER, parameters))
    if task_filter.remind_before is not None:
        conditions.append(_bound(task_filter.remind_before, REMIND_BEFORE, parameters))
    if task_filter.tags is not None:
        keys = sorted(key for key in task_filter.tags if storable(key))
        if not keys:
            return None  # no stored tag can match
        conditions.append(Condition.TAGS)
        parameters[TAG_KEYS] = keys
    if task_filter.overdue is not None:
        conditions.append(Condition.OVERDUE if task_filter.overdue else Condition.NOT_OVERDUE)
    return tuple(conditions)


#: name of the bound -> (its condition, the condition when every stored moment passes it).
_BOUNDS: Final = {
    DUE_AFTER: (Condition.DUE_AFTER, Condition.HAS_DUE_DATE),
    DUE_BEFORE: (Condition.DUE_BEFORE, Condition.HAS_DUE_DATE),
    REMIND_AFTER: (Condition.REMIND_AFTER, Condition.HAS_REMIND_AT),
    REMIND_BEFORE: (Condition.REMIND_BEFORE, Condition.HAS_REMIND_AT),
}


def _bound(moment: datetime, name: str, parameters: Parameters) -> Condition:
    """``column >= moment`` (an ``*_after`` bound) or ``column < moment``, for any aware moment.

    A moment outside years 1-9999 in UTC cannot be bound, but it is before (or
    after) every storable moment, which decides the comparison outright.
    """
    condition, every_present = _BOUNDS[name]
    after = name.endswith("_after")
    try:
        parameters[name] = to_utc(moment)
    except OverflowError:
        before_all = moment.year == 1
        return every_present if before_all == after else Condition.NOTHING
    return condition


def after_kind(query: TaskQuery, position: Position, parameters: Parameters) -> After:
    """How to keep the rows strictly after ``position`` (``TaskQuery.is_after``).

    Cursors made by the server always hold storable values; the other kinds
    keep a hand-made cursor (a NUL in a title, a moment outside years 1-9999
    in UTC, an out-of-range rank) ordered exactly as the core orders it.
    """
    parameters[AFTER_ID] = position.task_id
    value = position.value
    if value is None:
        return After.NULL_TAIL
    if isinstance(value, datetime):
        try:
            parameters[AFTER_VALUE] = to_utc(value)
        except OverflowError:
            before_all = value.year == 1
            return After.ALL_PRESENT if before_all != query.descending else After.NONE_PRESENT
        return After.PAIR
    if isinstance(value, int) and query.sort in (SortField.PRIORITY, SortField.STATUS):
        parameters[AFTER_VALUE] = min(max(value, _RANK_FLOOR), _RANK_CEILING)
        return After.PAIR
    if isinstance(value, str):
        return _text_after(value, parameters)
    parameters[AFTER_VALUE] = value
    return After.PAIR


def _text_after(value: str, parameters: Parameters) -> After:
    index = _first_unstorable(value)
    if index is None:
        parameters[AFTER_VALUE] = value
        return After.PAIR
    prefix = value[:index]
    if value[index] == "\x00":
        # NUL sorts before every character: stored s > value <=> s > prefix.
        parameters[AFTER_VALUE] = prefix
        return After.TEXT_ABOVE
    # A surrogate sorts before U+E000 and after U+D7FF: s > value <=> s >= prefix + U+E000.
    parameters[AFTER_VALUE] = prefix + "\ue000"
    return After.TEXT_AT_OR_ABOVE


# ---- statements, one per shape ----------------------------------------------------------


def _condition_sql(condition: Condition) -> ColumnElement[bool]:
    c = tasks_table().c
    now = bindparam(NOW, type_=c.due_date.type)
    pattern = bindparam(PATTERN, type_=c.title_key.type)
    builders: dict[Condition, Callable[[], ColumnElement[bool]]] = {
        Condition.STATUSES: lambda: c.status.in_(bindparam(STATUSES, expanding=True)),
        Condition.PRIORITIES: lambda: c.priority.in_(bindparam(PRIORITIES, expanding=True)),
        Condition.COMPLETED: lambda: c.status == COMPLETED,
        Condition.NOT_COMPLETED: lambda: c.status != COMPLETED,
        Condition.SEARCH: lambda: or_(
            c.title_key.like(pattern, escape=LIKE_ESCAPE),
            c.description_key.like(pattern, escape=LIKE_ESCAPE),
        ),
        Condition.DUE_AFTER: lambda: c.due_date >= bindparam(DUE_AFTER, type_=c.due_date.type),
        Condition.DUE_BEFORE: lambda: c.due_date < bindparam(DUE_BEFORE, type_=c.due_date.type),
        Condition.HAS_DUE_DATE: lambda: c.due_date.is_not(None),
        Condition.REMIND_AFTER: lambda: (
            c.remind_at >= bindparam(REMIND_AFTER, type_=c.remind_at.type)
        ),
        Condition.REMIND_BEFORE: lambda: (
            c.remind_at < bindparam(REMIND_BEFORE, type_=c.remind_at.type)
        ),
        Condition.HAS_REMIND_AT: lambda: c.remind_at.is_not(None),
        Condition.TAGS: _tagged,
        Condition.NOTHING: false,
        Condition.OVERDUE: lambda: and_(c.due_date < now, c.status != COMPLETED),
        Condition.NOT_OVERDUE: lambda: or_(
            c.due_date.is_(None), c.due_date >= now, c.status == COMPLETED
        ),
    }
    return builders[condition]()


def _tagged() -> ColumnElement[bool]:
    """The task carries one of the tags: its id among those the tag index lists."""
    tags = task_tags_table().c
    tagged = select(tags.task_id).where(
        tags.user_id == bindparam(USER_ID),
        tags.name_key.in_(bindparam(TAG_KEYS, expanding=True)),
    )
    return tasks_table().c.id.in_(tagged)


def _after_sql(shape: Shape) -> ColumnElement[bool]:
    """Rows strictly after the cursor in the shape's order, for each ``After`` kind."""
    c = tasks_table().c
    value = c[SORT_COLUMNS[shape.sort]]
    after_id = bindparam(AFTER_ID, type_=c.id.type)
    after_value = bindparam(AFTER_VALUE, type_=value.type)
    descending = shape.descending
    if shape.after is After.NULL_TAIL:
        return and_(value.is_(None), c.id < after_id if descending else c.id > after_id)
    present: ColumnElement[bool]
    if shape.after is After.ALL_PRESENT:
        present = true()
    elif shape.after is After.NONE_PRESENT:
        present = false()
    elif shape.after is After.TEXT_ABOVE:
        present = value <= after_value if descending else value > after_value
    elif shape.after is After.TEXT_AT_OR_ABOVE:
        present = value < after_value if descending else value >= after_value
    else:
        pair, key = tuple_(value, c.id), tuple_(after_value, after_id)
        present = pair < key if descending else pair > key
    return or_(present, value.is_(None)) if shape.sort.nullable else present


def ordering(columns: Columns, sort: SortField, descending: bool) -> list[UnaryExpression[Any]]:
    """ORDER BY of ``TaskQuery.order``: value then id in the query's direction, nulls last."""
    value = columns[SORT_COLUMNS[sort]]
    task_id = columns["id"]
    if descending:
        value_order, id_order = value.desc(), task_id.desc()
    else:
        value_order, id_order = value.asc(), task_id.asc()
    if sort.nullable:
        value_order = value_order.nulls_last()
    return [value_order, id_order]


@lru_cache(maxsize=512)
def _statement(shape: Shape) -> AnySelect:
    table = tasks_table()
    conditions = [table.c.user_id == bindparam(USER_ID)]
    conditions += [_condition_sql(condition) for condition in shape.conditions]
    page_conditions = list(conditions)
    if shape.after is not None:
        page_conditions.append(_after_sql(shape))
    page_select = (
        select(*table.c)
        .where(*page_conditions)
        .order_by(*ordering(table.c, shape.sort, shape.descending))
        .limit(bindparam(LIMIT, type_=Integer))
    )
    if shape.offset:
        page_select = page_select.offset(bindparam(OFFSET, type_=Integer))
    page = page_select.subquery("page")
    matching = (select(func.count().label("total")).select_from(table).where(*conditions)).subquery(
        "matching"
    )
    return (
        select(matching.c.total, *page.c)
        .select_from(matching.outerjoin(page, true()))
        .order_by(*ordering(page.c, shape.sort, shape.descending))
    )


def _ranked_tags() -> Any:
    """One owner's tag rows with the count per tag and each row's recency within its tag.

    The spelling of a tag is that of its most recent use: the row whose task
    was updated last (ties: the greater task id), as ``queries.tag_counts``.
    """
    tags, tasks = task_tags_table().c, tasks_table().c
    return (
        select(
            tags.name,
            tags.name_key,
            func.count().over(partition_by=tags.name_key).label("count"),
            func.row_number()
            .over(partition_by=tags.name_key, order_by=(tasks.updated_at.desc(), tasks.id.desc()))
            .label("recency"),
        )
        .select_from(task_tags_table().join(tasks_table(), tasks.id == tags.task_id))
        .where(tags.user_id == bindparam(USER_ID))
        .subquery("ranked")
    )


#: The JSON object aggregate of each backend: {tag: count}.
_JSON_OBJECT_AGGREGATE: Final = {"postgresql": "json_object_agg", "sqlite": "json_group_object"}


@cache
def _stats_statement(dialect: str) -> AnySelect:
    ranked = _ranked_tags()
    aggregate = getattr(func, _JSON_OBJECT_AGGREGATE[dialect])
    by_tag = (
        select(aggregate(ranked.c.name, ranked.c.count))
        .where(ranked.c.recency == 1)
        .correlate(None)
        .scalar_subquery()
        .label("by_tag")
    )
    c = tasks_table().c
    now = bindparam(NOW, type_=c.due_date.type)
    overdue = and_(c.due_date < now, c.status != COMPLETED)
    counts = [func.count().label("total")]
    counts += [
        func.count().filter(c.status == status.value).label(status.value) for status in TaskStatus
    ]
    counts.append(func.count().filter(overdue).label("overdue"))
    counts += [
        func.count().filter(c.priority == priority.value).label(priority.value)
        for priority in TaskPriority
    ]
    counts.append(by_tag)
    return select(*counts).where(c.user_id == bindparam(USER_ID))
