"""The SQL of the changes feed (``todo_core.changes``): take numbers, stamp tasks, read, prune.

A write takes its numbers with one upsert of the user's ``change_clocks`` row
(``seq = seq + n ... RETURNING seq``), which locks that row until the
transaction ends: a user's writers are serialised from that point to their
commit, so numbers follow commit order and "seq > token" never skips a change
that commits late. It is the write's last step (after the task's own row
lock), so every writer takes its locks in the same order. Then one upsert per
task into ``task_changes`` records the number (and ``deleted_at`` for a
tombstone). The read is one statement, so the page, the clock and the pruned
mark come from one snapshot.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import (
    CTE,
    BigInteger,
    ColumnElement,
    Delete,
    Insert,
    Select,
    Update,
    and_,
    bindparam,
    cast,
    delete,
    exists,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from todo_adapters.sql.prepared import prepared
from todo_adapters.sql.rows import (
    change_clocks_table,
    idempotency_keys_table,
    task_changes_table,
    tasks_table,
)
from todo_adapters.sql.statements import AnySelect

BoundStatement = tuple[Any, dict[str, Any]]


def _insert(dialect_name: str, table: Any) -> postgresql.Insert | sqlite.Insert:
    if dialect_name == "postgresql":
        return postgresql.insert(table)
    if dialect_name == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"unsupported dialect {dialect_name!r}")  # pragma: no cover


#: Parameter of the quota's statements: how many tasks the user may have.
TASK_LIMIT = "task_limit"


@cache
def take_numbers_statement(dialect_name: str) -> Insert:
    """Advance ``:user_id``'s clock by ``:count``, its task count down by ``:removed``.

    Returns the last number taken.
    """
    table = change_clocks_table()
    statement = _insert(dialect_name, table).values(
        user_id=bindparam("user_id"),
        seq=bindparam("count"),
        pruned_seq=literal(0),
        task_count=literal(0),
    )
    return statement.on_conflict_do_update(
        index_elements=[table.c.user_id],
        set_={
            "seq": table.c.seq + statement.excluded.seq,
            "task_count": table.c.task_count - bindparam("removed"),
        },
    ).returning(table.c.seq)


@cache
def reserve_statement(dialect_name: str) -> Insert:
    """Count ``:count`` more tasks for ``:user_id`` unless that would pass ``:task_limit``.

    Returns the new count, or no row when the limit refused it (the clock row
    stays locked to the end of the transaction either way). A user without a
    clock row gets one with ``:count`` (the caller checks it against the limit).
    """
    table = change_clocks_table()
    statement = _insert(dialect_name, table).values(
        user_id=bindparam("user_id"),
        seq=literal(0),
        pruned_seq=literal(0),
        task_count=bindparam("count"),
    )
    total = table.c.task_count + statement.excluded.task_count
    return statement.on_conflict_do_update(
        index_elements=[table.c.user_id],
        set_={"task_count": total},
        where=total <= bindparam(TASK_LIMIT),
    ).returning(table.c.task_count)


@cache
def stamp_statement(dialect_name: str) -> Insert:
    """Record a task's last change (``:deleted_at`` set for a tombstone)."""
    table = task_changes_table()
    statement = _insert(dialect_name, table)
    return statement.on_conflict_do_update(
        index_elements=[table.c.user_id, table.c.task_id],
        set_={"seq": statement.excluded.seq, "deleted_at": statement.excluded.deleted_at},
    )


@cache
def mark_pruned_statement() -> Update:
    """Remember, per user, the highest number whose tombstone is about to be pruned."""
    clocks, changes = change_clocks_table(), task_changes_table()
    old = and_(
        changes.c.user_id == clocks.c.user_id,
        changes.c.deleted_at.is_not(None),
        changes.c.deleted_at < bindparam("before"),
    )
    highest = select(func.max(changes.c.seq)).where(old).scalar_subquery()
    return update(clocks).where(exists().where(old)).values(pruned_seq=highest)


@cache
def prune_statement() -> Delete:
    """Forget tombstones older than ``:before``."""
    changes = task_changes_table()
    return delete(changes).where(
        changes.c.deleted_at.is_not(None), changes.c.deleted_at < bindparam("before")
    )


@cache
def _changes_statement(*, include_deleted: bool) -> AnySelect:
    clocks, changes, tasks = change_clocks_table(), task_changes_table(), tasks_table()
    on = [changes.c.user_id == clocks.c.user_id, changes.c.seq > bindparam("after")]
    if not include_deleted:
        on.append(changes.c.deleted_at.is_(None))
    return (
        select(
            clocks.c.seq.label("clock_seq"),
            clocks.c.pruned_seq.label("clock_pruned"),
            changes.c.seq.label("change_seq"),
            changes.c.task_id.label("change_task_id"),
            changes.c.deleted_at.label("change_deleted_at"),
            *tasks.c,
        )
        .select_from(
            clocks.outerjoin(changes, and_(*on)).outerjoin(
                tasks, and_(tasks.c.id == changes.c.task_id, tasks.c.user_id == changes.c.user_id)
            )
        )
        .where(clocks.c.user_id == bindparam("user_id"))
        .order_by(changes.c.seq)
        .limit(bindparam("limit"))
    )


def changes_statement(
    user_id: str, *, after: int, limit: int, include_deleted: bool
) -> BoundStatement:
    """Changes above ``after`` with the clock and pruned mark on every row (one snapshot)."""
    parameters = {"user_id": user_id, "after": after, "limit": limit + 1}
    return _changes_statement(include_deleted=include_deleted), parameters


@cache
def mark_statement() -> AnySelect:
    """The user's clock: what a long poll compares its token with."""
    clocks = change_clocks_table()
    return select(clocks.c.seq).where(clocks.c.user_id == bindparam("user_id"))


#: Parameter of a stamped write: the tombstone's time (``None`` unless deleting).
DELETED_AT = "change_deleted_at"


def _stamp_written(
    written: CTE, numbered: CTE, deleted_at: ColumnElement[Any]
) -> postgresql.Insert:
    """``INSERT INTO task_changes`` of the task ``written`` returned, with the number
    ``numbered`` (the user's clock as moved) returned: a write's stamp, in its statement."""
    changes = task_changes_table()
    return postgresql.insert(changes).from_select(
        ["user_id", "task_id", "seq", "deleted_at"],
        select(written.c.user_id, written.c.id, numbered.c.seq, deleted_at).select_from(
            written.join(numbered, numbered.c.user_id == written.c.user_id)
        ),
    )


@cache
def stamped_statement(base: Insert | Update | Delete, *, removed: int = 0) -> Insert:
    """PostgreSQL: a task's write and its bookkeeping as one statement (data-modifying CTEs).

    ``WITH written AS (<write> RETURNING user_id, id), bumped AS (INSERT INTO
    change_clocks ... SELECT FROM written ON CONFLICT DO UPDATE ... RETURNING)
    INSERT INTO task_changes SELECT ... FROM written JOIN bumped``: the clock
    moves only if the task's write matched a row (its row count is the
    statement's, 0 or 1), the task's row is locked before the clock's as in a
    transaction, and a lone write still goes out alone in autocommit, atomic
    and one round trip, with the clock's lock held to its commit. ``removed``:
    the task count goes down by one (a delete).
    """
    tasks = tasks_table()
    written = base.returning(tasks.c.user_id, tasks.c.id).cte("written")
    bumped = _bumped(written, removed)
    return prepared(_stamp_upsert(written, bumped).add_cte(written, bumped))


@cache
def row_stamped_statement(base: Update) -> Select[Any]:
    """``stamped_statement`` of a write that returns its whole row, which comes back.

    The stamp becomes a third CTE (PostgreSQL runs every data-modifying CTE,
    whether or not the statement reads it) and the statement reads
    ``written``: a plain patch (``statements.patch_statement``) in one round trip.
    """
    written = base.cte("written")
    bumped = _bumped(written, removed=0)
    stamped = _stamp_upsert(written, bumped).cte("stamped")
    return prepared(select(*written.c).add_cte(bumped, stamped))


def _bumped(written: CTE, removed: int) -> CTE:
    """The user's clock moved by one for the task ``written`` returned (if any)."""
    clocks = change_clocks_table()
    bump = postgresql.insert(clocks).from_select(
        ["user_id", "seq", "pruned_seq"],
        select(written.c.user_id, literal(1, BigInteger()), literal(0, BigInteger())),
    )
    moved: dict[str, Any] = {"seq": clocks.c.seq + bump.excluded.seq}
    if removed:
        moved["task_count"] = clocks.c.task_count - literal(removed, BigInteger())
    return (
        bump.on_conflict_do_update(index_elements=[clocks.c.user_id], set_=moved)
        .returning(clocks.c.user_id, clocks.c.seq)
        .cte("bumped")
    )


def _stamp_upsert(written: CTE, bumped: CTE) -> postgresql.Insert:
    changes = task_changes_table()
    stamp = _stamp_written(written, bumped, bindparam(DELETED_AT, type_=changes.c.deleted_at.type))
    return stamp.on_conflict_do_update(
        index_elements=[changes.c.user_id, changes.c.task_id],
        set_={"seq": stamp.excluded.seq, "deleted_at": stamp.excluded.deleted_at},
    )


@cache
def remember_statement(dialect_name: str) -> Insert:
    """Store a key; an expired one of the same name is replaced, a live one is left (0 rows).

    The unique key ``(user_id, key)`` decides which request stores it. On
    PostgreSQL an insert that meets another transaction's uncommitted row of
    the same key would wait for that transaction to end, so the row is only
    offered if ``pg_try_advisory_xact_lock`` on the key's hash succeeds: the
    first request holds that lock from this statement to its commit or
    rollback (a transaction-level lock, so it holds through PgBouncer in
    transaction mode), and a concurrent one inserts nothing at once (0 rows,
    as for a key already stored), finds no committed key and answers
    ``IdempotencyInProgress``. The lock is released only after the commit is
    visible, so once it is free the key's row is either committed or gone.
    No statement is added: the check is part of the insert. SQLite serialises
    writers (``BEGIN IMMEDIATE``), so a second request begins only after the
    first has committed, and finds its key.
    """
    table = idempotency_keys_table()
    statement: postgresql.Insert | sqlite.Insert
    if dialect_name == "postgresql":
        parameters = {column.name: bindparam(column.name, type_=column.type) for column in table.c}
        offered = select(*(cast(parameters[column.name], column.type) for column in table.c)).where(
            func.pg_try_advisory_xact_lock(
                func.hashtext(parameters["user_id"]), func.hashtext(parameters["key"])
            )
        )
        statement = postgresql.insert(table).from_select(list(parameters), offered)
    else:
        statement = _insert(dialect_name, table).values(
            {column.name: bindparam(column.name) for column in table.c}
        )
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[table.c.user_id, table.c.key],
        set_={
            "fingerprint": excluded.fingerprint,
            "status": excluded.status,
            "body": excluded.body,
            "headers": excluded.headers,
            "created_at": excluded.created_at,
        },
        where=table.c.created_at < bindparam("expired_before"),
    )


@cache
def recall_statement() -> AnySelect:
    """One user's key."""
    table = idempotency_keys_table()
    return select(*table.c).where(
        table.c.user_id == bindparam("user_id"), table.c.key == bindparam("key")
    )


@cache
def prune_keys_statement() -> Delete:
    """Forget keys stored before ``:before``."""
    table = idempotency_keys_table()
    return delete(table).where(table.c.created_at < bindparam("before"))


@cache
def created_statement() -> Insert:
    """PostgreSQL: a create, its quota check and its bookkeeping as one statement.

    ``WITH counted AS (INSERT INTO change_clocks ... ON CONFLICT DO UPDATE SET
    seq = seq + 1, task_count = task_count + 1 WHERE task_count < :task_limit
    RETURNING ...), written AS (INSERT INTO tasks SELECT :id, ... FROM counted
    RETURNING ...) INSERT INTO task_changes SELECT ... FROM written JOIN
    counted``: the task goes in only if the count moved, and the count moves
    under the clock row's lock, so concurrent creates queue on that row and
    none can pass the limit. The clock is the only row a create locks (the
    task's row is new), so no lock order with other writers is introduced.
    Its row count is 1, or 0 when the limit refused it.
    """
    tasks, clocks, changes = tasks_table(), change_clocks_table(), task_changes_table()
    count = postgresql.insert(clocks).values(
        user_id=bindparam("user_id", type_=tasks.c.user_id.type),
        seq=literal(1, BigInteger()),
        pruned_seq=literal(0, BigInteger()),
        task_count=literal(1, BigInteger()),
    )
    counted = (
        count.on_conflict_do_update(
            index_elements=[clocks.c.user_id],
            set_={"seq": clocks.c.seq + 1, "task_count": clocks.c.task_count + 1},
            where=clocks.c.task_count < bindparam(TASK_LIMIT, type_=BigInteger()),
        )
        .returning(clocks.c.user_id, clocks.c.seq)
        .cte("counted")
    )
    names = [column.name for column in tasks.c]
    written = (
        postgresql.insert(tasks)
        .from_select(
            names,
            select(*[bindparam(name, type_=tasks.c[name].type) for name in names]).select_from(
                counted
            ),
        )
        .returning(tasks.c.user_id, tasks.c.id)
        .cte("written")
    )
    stamp = _stamp_written(written, counted, literal(None, type_=changes.c.deleted_at.type))
    return prepared(stamp.add_cte(counted, written))
