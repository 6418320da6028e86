"""The honest floor: the same HTTP work as the service, done the fastest practical way.

    BENCH_FLOOR_DSN=postgresql://... BENCH_FLOOR_SECRET=... BENCH_FLOOR_POOL=16 \\
        python -m bench.floor --port 8001 [--workers 2]

(Several workers each accept on a socket of their own, ``SO_REUSEPORT``, on Linux.)

Starlette under the same uvicorn (uvloop, httptools), a psycopg 3 async pool in
autocommit, ONE statement per request (an update is a single version-bumping
``UPDATE ... RETURNING``), python-jose HS256 on every request, orjson out. It
serves the routes and headers the benchmark uses: ``GET/POST /api/tasks``
(limit, offset, cursor, status, search; ``X-Total-Count``, ``Link``),
``GET/PATCH /api/tasks/{id}`` (``ETag``, ``If-Match``). The SQL is written by
hand against the service's table ``tasks``; nothing here comes from the
service (no settings, no presenter, no adapter), so it inherits none of its
choices.

On request only, ``?feed=1``, a write also does the changes feed's
bookkeeping (API.md section 10), so that the bench can weigh it on the floor
and hold the service's writes against a floor doing the same work:
``POST /api/tasks?feed=1`` creates with the statement in
``BENCH_FLOOR_FEED_SQL``, which ``bench/run.py`` compiles from the SQL adapter
(the service's own create on PostgreSQL: the ``INSERT`` with the per-user
bookkeeping, the feed's number and the quota's count, in data-modifying CTEs,
still one statement; like the service, it reads nothing back and answers from
the values it sent); ``PATCH
/api/tasks/{id}?feed=1`` wraps the floor's own one-statement update in the
same bookkeeping (``update_feed_sql``).
"""

from __future__ import annotations

import argparse
import base64
import multiprocessing
import os
import signal
import socket
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import cache
from typing import Any, Final

import orjson
import uvicorn
from jose import JOSEError, jwt
from psycopg.rows import dict_row
from psycopg.types.json import Json
from psycopg_pool import AsyncConnectionPool
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

COLUMNS: Final = (
    "id, user_id, title, description, status, priority, due_date, completed_at, "
    "created_at, updated_at, version"
)
RANKS: Final = {"low": 0, "medium": 1, "high": 2, "pending": 0, "in_progress": 1, "completed": 2}
# Built from constants only (S608): every value goes through psycopg's parameters.
GET_SQL: Final = f"SELECT {COLUMNS} FROM tasks WHERE id = %(id)s AND user_id = %(user)s"  # noqa: S608
INSERT_SQL: Final = (
    "INSERT INTO tasks (id, user_id, title, title_key, description, description_key, status, "  # noqa: S608
    "status_rank, priority, priority_rank, completed_at, created_at, updated_at, version) "
    "VALUES (%(id)s, %(user)s, %(title)s, %(title_key)s, %(description)s, %(description_key)s, "
    "%(status)s, %(status_rank)s, %(priority)s, %(priority_rank)s, %(completed_at)s, %(now)s, "
    f"%(now)s, 1) RETURNING {COLUMNS}"
)
#: The PATCH fields the floor takes, and the columns each one sets.
UPDATABLE: Final = {
    "title": "title = %(title)s, title_key = %(title_key)s",
    "description": "description = %(description)s, description_key = %(description_key)s",
    "priority": "priority = %(priority)s, priority_rank = %(priority_rank)s",
}
PAGE_ORDER: Final = "ORDER BY created_at DESC, id DESC"


@cache
def update_sql(fields: frozenset[str], checked: bool) -> str:
    sets = ", ".join(UPDATABLE[name] for name in sorted(fields))
    version = " AND version = %(version)s" if checked else ""
    return (
        f"UPDATE tasks SET {sets}, updated_at = %(now)s, version = version + 1 "  # noqa: S608
        f"WHERE id = %(id)s AND user_id = %(user)s{version} RETURNING {COLUMNS}"
    )


@cache
def update_feed_sql(fields: frozenset[str], checked: bool) -> str:
    """The same ``UPDATE`` with the changes feed's bookkeeping, still one statement.

    What the service's feed asks of a write (API.md section 10: a per-user
    number taken in the writing transaction, the task's last change recorded),
    written by hand in the cheapest shape: data-modifying CTEs around the
    floor's own update, which still returns the row.
    """
    return (
        f"WITH written AS ({update_sql(fields, checked)}), "  # noqa: S608 - constant SQL
        "bumped AS (INSERT INTO change_clocks (user_id, seq, pruned_seq) "
        "SELECT user_id, 1, 0 FROM written ON CONFLICT (user_id) "
        "DO UPDATE SET seq = change_clocks.seq + excluded.seq RETURNING user_id, seq), "
        "stamped AS (INSERT INTO task_changes (user_id, task_id, seq, deleted_at) "
        "SELECT w.user_id, w.id, b.seq, NULL FROM written w JOIN bumped b USING (user_id) "
        "ON CONFLICT (user_id, task_id) "
        "DO UPDATE SET seq = excluded.seq, deleted_at = excluded.deleted_at) "
        "SELECT * FROM written"
    )


@cache
def list_sql(statuses: bool, search: bool, cursor: bool, offset: bool) -> str:
    """Count of the matches joined with the page: one statement, as the service's listing."""
    where = "user_id = %(user)s"
    if statuses:
        where += " AND status = ANY(%(statuses)s)"
    if search:
        where += " AND (title_key LIKE %(pattern)s OR description_key LIKE %(pattern)s)"
    after = " AND (created_at, id) < (%(after_at)s, %(after_id)s)" if cursor else ""
    skip = " OFFSET %(offset)s" if offset else ""
    return (
        f"SELECT m.total, p.* FROM (SELECT count(*) AS total FROM tasks WHERE {where}) AS m "  # noqa: S608
        f"LEFT JOIN (SELECT {COLUMNS} FROM tasks WHERE {where}{after} {PAGE_ORDER} "
        f"LIMIT %(limit)s{skip}) AS p ON true ORDER BY p.created_at DESC, p.id DESC"
    )


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def stamp(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def document(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "user_id": row["user_id"],
        "title": row["title"],
        "description": row["description"],
        "status": row["status"],
        "priority": row["priority"],
        "due_date": stamp(row["due_date"]),
        "completed": row["status"] == "completed",
        "completed_at": stamp(row["completed_at"]),
        "created_at": stamp(row["created_at"]),
        "updated_at": stamp(row["updated_at"]),
        "version": row["version"],
    }


def reply(content: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(content), status, headers, "application/json")


def one_task(row: dict[str, Any] | None, status: int = 200, **headers: str) -> Response:
    if row is None:
        raise HTTPException(404, "Task not found")
    return reply(document(row), status, {"etag": f'"{row["version"]}"', **headers})


def cursor_token(row: dict[str, Any]) -> str:
    raw = orjson.dumps([row["created_at"].isoformat(), row["id"].hex])
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def read_cursor(token: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        created_at, task_hex = orjson.loads(raw)
        return datetime.fromisoformat(created_at), uuid.UUID(hex=task_hex)
    except (ValueError, TypeError):
        raise HTTPException(422, "cursor is not valid") from None


class Floor:
    """One per worker process: the pool, the secret, the handlers."""

    def __init__(
        self,
        *,
        dsn: str,
        secret: str,
        pool_size: int,
        feed_sql: str | None = None,
        feed_constants: dict[str, Any] | None = None,
    ) -> None:
        self.secret = secret
        self.feed_sql = feed_sql
        self.feed_constants = feed_constants or {}
        # Autocommit: every statement is its own transaction, no BEGIN/COMMIT on the wire.
        # min = max: every connection is opened at start-up and kept, none under load.
        self.pool = AsyncConnectionPool(
            dsn,
            min_size=pool_size,
            max_size=pool_size,
            kwargs={"autocommit": True, "row_factory": dict_row},
            open=False,
        )

    def user(self, request: Request) -> str:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        try:
            if scheme.lower() != "bearer":
                raise JOSEError("not a bearer token")
            subject = jwt.decode(token, self.secret, algorithms=["HS256"]).get("sub")
        except JOSEError:
            subject = None
        if not isinstance(subject, str) or not subject:
            raise HTTPException(401, "Not authenticated", {"www-authenticate": "Bearer"})
        return subject

    async def fetch(self, sql: str, parameters: dict[str, Any]) -> list[dict[str, Any]]:
        async with self.pool.connection() as connection:
            cursor = await connection.execute(sql, parameters)
            return await cursor.fetchall()

    async def get(self, request: Request) -> Response:
        user = self.user(request)
        rows = await self.fetch(GET_SQL, {"id": request.path_params["id"], "user": user})
        return one_task(rows[0] if rows else None)

    async def list(self, request: Request) -> Response:
        user = self.user(request)
        query = request.query_params
        try:
            limit, offset = int(query.get("limit") or 50), int(query.get("offset") or 0)
        except ValueError:
            raise HTTPException(422, "limit and offset are integers") from None
        if not 1 <= limit <= 100 or offset < 0:
            raise HTTPException(422, "limit is 1-100, offset at least 0")
        statuses = sorted({s for v in query.getlist("status") for s in v.split(",") if s})
        statuses = [] if "all" in statuses else statuses
        search, token = query.get("search") or None, query.get("cursor") or None
        parameters: dict[str, Any] = {"user": user, "limit": limit + 1, "offset": offset}
        parameters["statuses"] = statuses
        if search is not None:
            parameters["pattern"] = f"%{escape_like(search.casefold())}%"
        if token is not None:
            parameters["after_at"], parameters["after_id"] = read_cursor(token)
        sql = list_sql(bool(statuses), search is not None, token is not None, bool(offset))
        rows = await self.fetch(sql, parameters)
        items = [row for row in rows if row["id"] is not None]
        headers = {"x-total-count": str(rows[0]["total"] if rows else 0)}
        if len(items) > limit:
            items = items[:limit]
            link = request.url.remove_query_params(["cursor", "offset"])
            link = link.include_query_params(cursor=cursor_token(items[-1]))
            headers["link"] = f'<{link.path}?{link.query}>; rel="next"'
        return reply([document(row) for row in items], headers=headers)

    async def create(self, request: Request) -> Response:
        user = self.user(request)
        body = await json_object(request)
        title, description = body.get("title"), body.get("description")
        status, priority = body.get("status", "pending"), body.get("priority", "medium")
        if not isinstance(title, str) or not 1 <= len(title.strip()) <= 255:
            raise HTTPException(422, "title must be 1-255 characters")
        if status not in RANKS or priority not in RANKS or status in ("low", "medium", "high"):
            raise HTTPException(422, "unknown status or priority")
        now = datetime.now(UTC)
        task_id = uuid.uuid4()
        values = {
            "id": task_id,
            "user": user,
            "title": title.strip(),
            "title_key": title.strip().casefold(),
            "description": description,
            "description_key": description.casefold() if description else None,
            "status": status,
            "status_rank": RANKS[status],
            "priority": priority,
            "priority_rank": RANKS[priority],
            "completed_at": now if status == "completed" else None,
            "now": now,
        }
        if request.query_params.get("feed") == "1" and self.feed_sql is not None:
            return await self.create_with_feed(values)
        rows = await self.fetch(INSERT_SQL, values)
        return one_task(rows[0], 201, location=f"/api/tasks/{task_id}")

    async def create_with_feed(self, values: dict[str, Any]) -> Response:
        """The same row, with the service's statement (the feed's bookkeeping included)."""
        assert self.feed_sql is not None
        row = {
            "id": values["id"],
            "user_id": values["user"],
            "title": values["title"],
            "description": values["description"],
            "status": values["status"],
            "priority": values["priority"],
            "due_date": None,
            "completed_at": values["completed_at"],
            "created_at": values["now"],
            "updated_at": values["now"],
            "version": 1,
        }
        parameters = {
            **self.feed_constants,
            **row,
            "title_key": values["title_key"],
            "description_key": values["description_key"],
            "status_rank": values["status_rank"],
            "priority_rank": values["priority_rank"],
            "tags": Json([]),
            "recurrence": None,
            "next_occurrence_id": None,
            "remind_at": None,
            "change_deleted_at": None,
        }
        async with self.pool.connection() as connection:
            await connection.execute(self.feed_sql, parameters)
        return one_task(row, 201, location=f"/api/tasks/{row['id']}")

    async def update(self, request: Request) -> Response:
        user = self.user(request)
        body = await json_object(request)
        if not body or set(body) - set(UPDATABLE):
            raise HTTPException(422, f"the floor updates {', '.join(UPDATABLE)}")
        values: dict[str, Any] = {"id": request.path_params["id"], "user": user}
        values["now"] = datetime.now(UTC)
        if "title" in body:
            title = body["title"]
            if not isinstance(title, str) or not 1 <= len(title.strip()) <= 255:
                raise HTTPException(422, "title must be 1-255 characters")
            values["title"], values["title_key"] = title.strip(), title.strip().casefold()
        if "description" in body:
            values["description"] = body["description"]
            values["description_key"] = (body["description"] or "").casefold() or None
        if "priority" in body:
            if body["priority"] not in ("low", "medium", "high"):
                raise HTTPException(422, "unknown priority")
            values["priority"], values["priority_rank"] = body["priority"], RANKS[body["priority"]]
        if_match = request.headers.get("if-match")
        if if_match is not None:
            values["version"] = int(if_match.strip('"')) if if_match.strip('"').isdigit() else -1
        with_feed = request.query_params.get("feed") == "1"
        sql = update_feed_sql if with_feed else update_sql
        rows = await self.fetch(sql(frozenset(body), if_match is not None), values)
        if not rows and if_match is not None:
            found = await self.fetch(GET_SQL, values)
            raise HTTPException(412 if found else 404)
        return one_task(rows[0] if rows else None)

    @asynccontextmanager
    async def lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        await self.pool.open(wait=True)
        try:
            yield
        finally:
            await self.pool.close()


async def json_object(request: Request) -> dict[str, Any]:
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise HTTPException(422, "body is not JSON") from None
    if not isinstance(body, dict):
        raise HTTPException(422, "body must be an object")
    return body


async def health(_request: Request) -> Response:
    return reply({"status": "ok"})


def create_app() -> Starlette:
    """The floor of one worker process, configured by ``BENCH_FLOOR_*`` (its own variables)."""
    floor = Floor(
        dsn=os.environ["BENCH_FLOOR_DSN"],
        secret=os.environ["BENCH_FLOOR_SECRET"],
        pool_size=int(os.environ["BENCH_FLOOR_POOL"]),
        feed_sql=os.environ.get("BENCH_FLOOR_FEED_SQL") or None,
        feed_constants=orjson.loads(os.environ.get("BENCH_FLOOR_FEED_CONSTANTS") or "{}"),
    )
    routes = [
        Route("/health", health),
        Route("/api/tasks", floor.list, methods=["GET"]),
        Route("/api/tasks", floor.create, methods=["POST"]),
        Route("/api/tasks/{id:uuid}", floor.get, methods=["GET"]),
        Route("/api/tasks/{id:uuid}", floor.update, methods=["PATCH"]),
    ]
    return Starlette(routes=routes, lifespan=floor.lifespan)


def _config() -> uvicorn.Config:
    return uvicorn.Config(
        "bench.floor:create_app",
        factory=True,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )


def _worker_on_own_socket(host: str, port: int) -> None:
    """One worker accepting on a socket of its own, in the address's SO_REUSEPORT group."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    uvicorn.Server(_config()).run(sockets=[sock])


def _serve_workers(host: str, port: int, count: int) -> None:
    """Several workers the fastest practical way on Linux: each on its own socket.

    With uvicorn's one shared socket the first worker awake takes every
    connection waiting, and wrk opens its connections at once: one worker
    could get them all. ``SO_REUSEPORT`` lets the kernel spread them.
    """
    spawn = multiprocessing.get_context("spawn")
    workers = [spawn.Process(target=_worker_on_own_socket, args=(host, port)) for _ in range(count)]
    for worker in workers:
        worker.start()

    def stop(_signal: int, _frame: object) -> None:
        for worker in workers:
            worker.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for worker in workers:
        worker.join()


def main() -> None:
    parser = argparse.ArgumentParser(description="The benchmark's floor server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    if args.workers > 1 and sys.platform == "linux":
        _serve_workers(args.host, args.port, args.workers)
        return
    config = _config()
    config.host, config.port = args.host, args.port
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
