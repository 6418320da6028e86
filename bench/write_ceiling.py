"""How many creates a second PostgreSQL itself allows one user: pgbench, no Python server.

    .venv/bin/python -m bench.write_ceiling POSTGRESQL_URL

The service's create is one statement (``changes.created_statement``) that
moves the user's ``change_clocks`` row first: the changes feed's number,
which must follow commit order (API.md section 10), and the quota's count.
That row stays locked to the commit, WAL flush included, so one user's
creates are serialised, whichever server sends them. The bench's writer is
one user at 16 and 64 connections, so this is the ceiling the app's create
meets, and the plain floor (one ``INSERT``, no bookkeeping) does not.

pgbench, ``CLIENTS`` clients, prepared statements (the floor's psycopg 3
prepares too), ``SECONDS`` each, three statements:

- ``plain``: the floor's ``INSERT``, every client one user;
- ``feed, one user``: the adapter's own create statement, every client one user;
- ``feed, a user per client``: the same statement, each client a user of its own.

Rows are written under user ids of this run's own and deleted afterwards.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import psycopg2
from sqlalchemy.dialects import postgresql

from bench.floor import INSERT_SQL
from todo_adapters.sql.changes import TASK_LIMIT, created_statement

CLIENTS: Final = 16
SECONDS: Final = 5
#: Never reached: the quota is checked, as in the service, and never refuses.
LIMIT: Final = 1_000_000_000
#: Stand-in for the row's id in the rendered SQL, replaced by a fresh id per row.
_ID: Final = "00000000-0000-4000-8000-00000000c0de"
TPS: Final = re.compile(r"^tps = ([0-9.]+)", re.MULTILINE)


def create_scripts(connection: Any, user: str) -> dict[str, str]:
    """The three statements as pgbench scripts (values inlined by psycopg2)."""
    now = datetime.now(UTC)
    common = {
        "id": _ID,
        "title": "Bench task",
        "title_key": "bench task",
        "description": None,
        "description_key": None,
        "status": "pending",
        "status_rank": 0,
        "priority": "low",
        "priority_rank": 0,
        "completed_at": None,
    }
    plain = common | {"user": user, "now": now}
    compiled = created_statement().compile(dialect=postgresql.psycopg2.dialect())
    feed = {
        **compiled.params,
        **common,
        "user_id": user,
        "due_date": None,
        "created_at": now,
        "updated_at": now,
        "version": 1,
        "tags": json.dumps([]),
        "recurrence": None,
        "next_occurrence_id": None,
        "remind_at": None,
        TASK_LIMIT: LIMIT,
    }
    with connection.cursor() as cursor:
        scripts = {
            "plain": cursor.mogrify(INSERT_SQL, plain).decode(),
            "feed": cursor.mogrify(str(compiled), feed).decode(),
        }
    fresh = {name: sql.replace(f"'{_ID}'", "gen_random_uuid()") for name, sql in scripts.items()}
    per_client = fresh["feed"].replace(f"'{user}'", f"('{user}-' || :client_id)")
    return {
        "plain": fresh["plain"],
        "feed, one user": fresh["feed"],
        "feed, a user per client": per_client,
    }


def pgbench_tps(
    pgbench: str, url: str, script: Path, options: list[str], env: dict[str, str] | None = None
) -> float:
    """Transactions a second of ``pgbench -n <options> -f script url``."""
    argv = [pgbench, "-n", *options, "-f", str(script), url]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, env=env)  # noqa: S603
    found = TPS.search(done.stdout)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"pgbench failed: {done.stderr.strip()[-500:]}")
    return float(found.group(1))


def measure(url: str) -> dict[str, Any] | None:
    """How it ran and the creates a second of each statement, or ``None`` without pgbench."""
    pgbench = shutil.which("pgbench")
    if pgbench is None:
        return None
    user = f"bench-ceiling-{uuid.uuid4().hex[:8]}"
    with contextlib.closing(psycopg2.connect(url)) as connection:
        connection.autocommit = True
        scripts = create_scripts(connection, user)
        try:
            with tempfile.TemporaryDirectory(prefix="todo-ceiling-") as work:
                rates = {}
                for name, sql in scripts.items():
                    script = Path(work) / f"{len(rates)}.sql"
                    script.write_text(sql + ";\n")
                    options = ["-M", "prepared", "-c", str(CLIENTS), "-j", "2", "-T", str(SECONDS)]
                    rates[name] = pgbench_tps(pgbench, url, script, options)
                return {"clients": CLIENTS, "seconds": SECONDS, "rates": rates}
        finally:
            with connection.cursor() as cursor:
                for table in ("task_changes", "tasks", "change_clocks"):
                    cursor.execute(
                        f"DELETE FROM {table} WHERE user_id LIKE %s",  # noqa: S608 - constant names
                        (f"{user}%",),
                    )


def main(argv: list[str]) -> int:
    measured = measure(argv[1])
    if measured is None:
        print("pgbench is not installed", file=sys.stderr)
        return 1
    for name, rate in measured["rates"].items():
        print(f"{name:26s} {rate:9,.0f} creates/s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
