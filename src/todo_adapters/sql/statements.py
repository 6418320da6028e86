"""The SQL of everything but the listing and the stats: read one, write, delete.

Statements are built once and take their values as parameters, so
SQLAlchemy's compiled cache serves every call.
"""

from __future__ import annotations

import uuid
from functools import cache
from typing import Any, Final, TypeAlias

from sqlalchemy import (
    Delete,
    Insert,
    Select,
    Update,
    bindparam,
    delete,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from todo_adapters.sql.mapper import COLUMNS, IMMUTABLE_COLUMNS
from todo_adapters.sql.prepared import prepared
from todo_adapters.sql.rows import task_tags_table, tasks_table

#: A SELECT of any columns.
AnySelect: TypeAlias = Select[*tuple[Any, ...]]

#: Parameters naming the row a write expects (kept apart from the column names).
MATCH_ID: Final = "match_id"
MATCH_USER_ID: Final = "match_user_id"
MATCH_VERSION: Final = "match_version"

#: Prefix of the parameters carrying an update's new column values.
NEW_PREFIX: Final = "new_"

#: Columns an update writes.
MUTABLE_COLUMNS: Final = tuple(name for name in COLUMNS if name not in IMMUTABLE_COLUMNS)


@cache
def get_statement(*, for_update: bool) -> AnySelect:
    """One owner's task by id; ``FOR UPDATE`` locks it (PostgreSQL; SQLite ignores it)."""
    table = tasks_table()
    statement = select(*table.c).where(
        table.c.id == bindparam(MATCH_ID), table.c.user_id == bindparam(MATCH_USER_ID)
    )
    return statement.with_for_update() if for_update else prepared(statement)


@cache
def insert_statement(dialect_name: str, *, returning_ids: bool) -> Insert:
    """``INSERT ... ON CONFLICT (id) DO NOTHING``: a duplicate is reported, never aborts.

    With ``returning_ids`` the inserted ids come back, so a batch can tell
    whether every row went in (``rowcount`` of a batch is not reliable).
    """
    table = tasks_table()
    statement: postgresql.Insert | sqlite.Insert
    if dialect_name == "postgresql":
        statement = postgresql.insert(table).on_conflict_do_nothing(index_elements=[table.c.id])
    elif dialect_name == "sqlite":
        statement = sqlite.insert(table).on_conflict_do_nothing(index_elements=[table.c.id])
    else:  # pragma: no cover - make_engine accepts only these two
        raise ValueError(f"unsupported dialect {dialect_name!r}")
    if returning_ids:
        return statement.returning(table.c.id)
    # One row with every column named (it may also be a CTE, see ``changes``).
    return statement.values({name: bindparam(name) for name in COLUMNS})


@cache
def update_statement() -> Update:
    """Write every changeable column if the row is still at the expected version."""
    table = tasks_table()
    return (
        update(table)
        .where(
            table.c.id == bindparam(MATCH_ID),
            table.c.user_id == bindparam(MATCH_USER_ID),
            table.c.version == bindparam(MATCH_VERSION),
        )
        .values({name: bindparam(NEW_PREFIX + name) for name in MUTABLE_COLUMNS})
    )


@cache
def patch_statement(columns: frozenset[str], fields: frozenset[str], *, checked: bool) -> Update:
    """Write ``columns`` (a plain patch's, ``mapper.patch_values``) and bump the version,
    if the row is at the expected version (``checked``) and one of ``fields`` differs.

    Returns the whole row as written.
    """
    table = tasks_table()
    conditions = [table.c.id == bindparam(MATCH_ID), table.c.user_id == bindparam(MATCH_USER_ID)]
    if checked:
        conditions.append(table.c.version == bindparam(MATCH_VERSION))
    changed = [
        table.c[name].is_distinct_from(bindparam(NEW_PREFIX + name)) for name in sorted(fields)
    ]
    values: dict[str, Any] = {name: bindparam(NEW_PREFIX + name) for name in sorted(columns)}
    values["version"] = table.c.version + 1
    return update(table).where(*conditions, or_(*changed)).values(values).returning(*table.c)


@cache
def delete_statement() -> Delete:
    """Delete the row if it is still at the expected version."""
    table = tasks_table()
    return delete(table).where(
        table.c.id == bindparam(MATCH_ID),
        table.c.user_id == bindparam(MATCH_USER_ID),
        table.c.version == bindparam(MATCH_VERSION),
    )


def match_parameters(
    user_id: str, task_id: uuid.UUID, version: int | None = None
) -> dict[str, Any]:
    """The parameters naming the row a statement addresses."""
    parameters: dict[str, Any] = {MATCH_ID: task_id, MATCH_USER_ID: user_id}
    if version is not None:
        parameters[MATCH_VERSION] = version
    return parameters


@cache
def insert_tags_statement() -> Insert:
    """Add ``task_tags`` rows (run with a list of ``mapper.tag_values``)."""
    return insert(task_tags_table())


@cache
def delete_tags_statement() -> Delete:
    """Drop every tag row of one owner's task, before its new tags go in."""
    table = task_tags_table()
    return delete(table).where(
        table.c.task_id == bindparam(MATCH_ID), table.c.user_id == bindparam(MATCH_USER_ID)
    )
