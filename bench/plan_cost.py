"""What parsing and planning cost the database per statement: pgbench, simple against prepared.

    .venv/bin/python -m bench.plan_cost POSTGRESQL_URL

psycopg2 speaks PostgreSQL's simple protocol: every statement the service
sends is parsed, analysed and planned anew. The floor's psycopg 3 prepares a
statement after a few uses, and PostgreSQL then skips all of that. This runs
the service's own statements (the SQL adapter's, compiled for psycopg2) and
the floor's, one client, ``SECONDS`` each, once as plain ``Query`` messages
(``-M simple``) and once prepared (``-M prepared``): what the gap between
the two is, statement by statement, with no Python server in the way.

``synchronous_commit = off`` for these sessions only: a write's commit then
does not wait for its WAL flush, which is the disk's and the same in both
modes, so the rates weigh the statement itself. The tables are vacuumed
first (in ``make bench`` it runs after the writes of every scenario and of
``write_ceiling``, whose dead rows and pending index entries would otherwise
land on whichever statement runs first).

Rows are written under a user id of this run's own and deleted afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import psycopg2
from sqlalchemy.dialects import postgresql

from bench.floor import GET_SQL, update_sql
from bench.write_ceiling import create_scripts, pgbench_tps
from todo_adapters.sql.changes import DELETED_AT, row_stamped_statement
from todo_adapters.sql.statements import (
    MATCH_ID,
    MATCH_USER_ID,
    NEW_PREFIX,
    get_statement,
    patch_statement,
)

SECONDS: Final = 3
MODES: Final = ("simple", "prepared")
#: A new title per update, so that every one really changes the row.
_TITLE: Final = "Edited :n"


def _new_title(sql: str) -> str:
    """The title literal made a pgbench expression of ``:n``, a random number set first."""
    sql = sql.replace(f"'{_TITLE}'", "'Edited ' || :n")
    sql = sql.replace(f"'{_TITLE.lower()}'", "'edited ' || :n")
    return "\\set n random(1, 1000000000)\n" + sql.replace("\n", " ")


def _scripts(cursor: Any, user: str, task: str) -> dict[str, str]:
    """Each statement as a pgbench script, the service's beside the floor's."""
    dialect = postgresql.psycopg2.dialect()  # type: ignore[no-untyped-call]
    now = datetime.now(UTC)
    get = get_statement(for_update=False).compile(dialect=dialect)
    title = {"title", "title_key", "updated_at"}
    patch = row_stamped_statement(
        patch_statement(frozenset(title), frozenset({"title"}), checked=False)
    )
    patched = patch.compile(dialect=dialect)
    new = {NEW_PREFIX + "title": _TITLE, NEW_PREFIX + "title_key": _TITLE.lower()}
    app_update = {
        **patched.params,
        MATCH_ID: task,
        MATCH_USER_ID: user,
        **new,
        NEW_PREFIX + "updated_at": now,
        DELETED_AT: None,
    }
    floor_update = {"title": _TITLE, "title_key": _TITLE.lower(), "now": now}
    floor_update |= {"id": task, "user": user}
    creates = {
        name: sql.replace("\n", " ")
        for name, sql in create_scripts(cursor.connection, user).items()
    }
    return {
        "get, service": cursor.mogrify(str(get), {MATCH_ID: task, MATCH_USER_ID: user})
        .decode()
        .replace("\n", " "),
        "get, floor": cursor.mogrify(GET_SQL, {"id": task, "user": user}).decode(),
        "create, service": creates["feed, one user"],
        "create, floor": creates["plain"],
        "update, service": _new_title(cursor.mogrify(str(patched), app_update).decode()),
        "update, floor": _new_title(
            cursor.mogrify(update_sql(frozenset({"title"}), False), floor_update).decode()
        ),
    }


def _rate(pgbench: str, url: str, script: Path, mode: str) -> float:
    options = ["-M", mode, "-c", "1", "-j", "1", "-T", str(SECONDS)]
    env = os.environ | {"PGOPTIONS": "-c synchronous_commit=off"}
    return pgbench_tps(pgbench, url, script, options, env)


def measure(url: str) -> dict[str, Any] | None:
    """Statements a second, by statement and mode, or ``None`` without pgbench."""
    pgbench = shutil.which("pgbench")
    if pgbench is None:
        return None
    user, task = f"bench-plans-{uuid.uuid4().hex[:8]}", str(uuid.uuid4())
    with contextlib.closing(psycopg2.connect(url)) as connection:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) tasks, task_changes, change_clocks")
            cursor.execute(
                "INSERT INTO tasks (id, user_id, title, title_key, status, status_rank, "
                "priority, priority_rank, created_at, updated_at, version) VALUES "
                "(%s, %s, 'Planned', 'planned', 'pending', 0, 'low', 0, now(), now(), 1)",
                (task, user),
            )
            try:
                scripts = _scripts(cursor, user, task)
                rates: dict[str, dict[str, float]] = {}
                with tempfile.TemporaryDirectory(prefix="todo-plans-") as work:
                    for index, (name, sql) in enumerate(scripts.items()):
                        script = Path(work) / f"{index}.sql"
                        script.write_text(sql + ";\n")
                        rates[name] = {mode: _rate(pgbench, url, script, mode) for mode in MODES}
                return {"seconds": SECONDS, "rates": rates}
            finally:
                for table in ("task_changes", "tasks", "change_clocks"):
                    cursor.execute(
                        f"DELETE FROM {table} WHERE user_id = %s",  # noqa: S608 - constant names
                        (user,),
                    )


def main(argv: list[str]) -> int:
    measured = measure(argv[1])
    if measured is None:
        print("pgbench is not installed", file=sys.stderr)
        return 1
    print(f"{'statement':18s} {'simple/s':>10s} {'prepared/s':>11s}")
    for name, rates in measured["rates"].items():
        print(f"{name:18s} {rates['simple']:10,.0f} {rates['prepared']:11,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
