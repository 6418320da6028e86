"""The reference "floor": the same work as the app with nothing in between.

    python -m bench.floor --host 127.0.0.1 --port 8001

A raw ASGI callable under the same uvicorn (one worker, uvloop + httptools),
python-jose HS256 decode, a **psycopg2** ``ThreadedConnectionPool``, stdlib
``json``, and the very SQL the SQL adapter emits (copied from
``python -m bench.capture_sql``; the benchmark re-captures it at start-up and
its census compares the statements each scenario sends). Database work runs
in anyio's worker threads, as Starlette runs a sync endpoint, since psycopg2
blocks. No validation beyond what the benchmark's requests need, no logging,
no framework, no dependency injection, no domain objects, no pool pre-ping.

Routes (the app's "/api/tasks" shape, for the token's subject):
``GET /health``, ``GET /api/tasks`` (limit, offset, cursor, status, search),
``POST /api/tasks``, ``GET /api/tasks/{id}``, ``PATCH /api/tasks/{id}``.
Settings from the environment, like the app: ``DATABASE_URL``,
``JWT_SECRET``, ``DB_POOL_SIZE``, ``DB_MAX_OVERFLOW``.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import os
import threading
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import parse_qs, quote

import anyio.to_thread
import uvicorn
from jose import JWTError, jwt
from psycopg2.extensions import connection as Connection  # noqa: N812
from psycopg2.extras import register_uuid
from psycopg2.pool import ThreadedConnectionPool

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# ---- the adapter's SQL, verbatim (python -m bench.capture_sql) -------------------------

COLUMNS: Final = (
    "id, user_id, title, title_key, description, description_key, status, status_rank, "
    "priority, priority_rank, due_date, completed_at, created_at, updated_at, version"
)
TASK_COLUMNS: Final = ", ".join(f"tasks.{name}" for name in COLUMNS.split(", "))
PAGE_COLUMNS: Final = ", ".join(f"page.{name}" for name in COLUMNS.split(", "))
ALIASED_COLUMNS: Final = ", ".join(f"tasks.{name} AS {name}" for name in COLUMNS.split(", "))

# Built from constants only; every value goes through psycopg2's parameters.
GET_SQL: Final = (
    f"SELECT {TASK_COLUMNS} \nFROM tasks \n"
    "WHERE tasks.id = %(match_id)s::UUID AND tasks.user_id = %(match_user_id)s"
)
GET_FOR_UPDATE_SQL: Final = GET_SQL + " FOR UPDATE"
INSERT_SQL: Final = (
    f"INSERT INTO tasks ({COLUMNS}) VALUES (%(id)s::UUID, %(user_id)s, %(title)s, "  # noqa: S608
    "%(title_key)s, %(description)s, %(description_key)s, %(status)s, %(status_rank)s, "
    "%(priority)s, %(priority_rank)s, %(due_date)s, %(completed_at)s, %(created_at)s, "
    "%(updated_at)s, %(version)s) ON CONFLICT (id) DO NOTHING"
)
UPDATE_SQL: Final = (
    "UPDATE tasks SET title=%(new_title)s, title_key=%(new_title_key)s, "
    "description=%(new_description)s, description_key=%(new_description_key)s, "
    "status=%(new_status)s, status_rank=%(new_status_rank)s, priority=%(new_priority)s, "
    "priority_rank=%(new_priority_rank)s, due_date=%(new_due_date)s, "
    "completed_at=%(new_completed_at)s, updated_at=%(new_updated_at)s, "
    "version=%(new_version)s WHERE tasks.id = %(match_id)s::UUID AND tasks.user_id = "
    "%(match_user_id)s AND tasks.version = %(match_version)s"
)
LIKE_SQL: Final = (
    "(tasks.title_key LIKE %(pattern)s ESCAPE '\\' "
    "OR tasks.description_key LIKE %(pattern)s ESCAPE '\\')"
)
ORDER_SQL: Final = "ORDER BY tasks.created_at DESC, tasks.id DESC"
AFTER_SQL: Final = "(tasks.created_at, tasks.id) < (%(after_value)s, %(after_id)s::UUID)"


def list_sql(*, statuses: list[str], search: bool, cursor: bool, offset: bool) -> str:
    """The adapter's one-statement page (count joined with the page), default sort only."""
    where = ["tasks.user_id = %(user_id)s"]
    if statuses:
        where.append(
            "tasks.status IN ("
            + ", ".join(f"%(statuses_{n})s" for n in range(1, len(statuses) + 1))
            + ")"
        )
    if search:
        where.append(LIKE_SQL)
    page_where = [*where, AFTER_SQL] if cursor else where
    page_limit = "LIMIT %(limit)s" + (" OFFSET %(offset)s" if offset else "")
    return (
        f"SELECT matching.total, {PAGE_COLUMNS} \nFROM (SELECT count(*) AS total \nFROM tasks \n"
        f"WHERE {' AND '.join(where)}) AS matching LEFT OUTER JOIN (SELECT {ALIASED_COLUMNS} \n"
        f"FROM tasks \nWHERE {' AND '.join(page_where)} {ORDER_SQL} \n {page_limit}) AS page "
        "ON true ORDER BY page.created_at DESC, page.id DESC"
    )


# ---- the minimum of the contract the benchmark exercises --------------------------------

STATUS_RANKS: Final = {"pending": 0, "in_progress": 1, "completed": 2}
PRIORITY_RANKS: Final = {"low": 0, "medium": 1, "high": 2}
JSON_HEADERS: Final = [(b"content-type", b"application/json")]


class HttpError(Exception):
    def __init__(self, status: int, detail: str, headers: list[tuple[bytes, bytes]] | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or []


def stamp(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
        f"{moment.minute:02d}:{moment.second:02d}.{moment.microsecond:06d}Z"
    )


def task_json(row: tuple[Any, ...]) -> dict[str, Any]:
    # Columns in COLUMNS order (list rows carry the total first; callers slice it off).
    status = row[6]
    return {
        "id": str(row[0]),
        "user_id": row[1],
        "title": row[2],
        "description": row[4],
        "status": status,
        "priority": row[8],
        "due_date": stamp(row[10]),
        "completed": status == "completed",
        "completed_at": stamp(row[11]),
        "created_at": stamp(row[12]),
        "updated_at": stamp(row[13]),
        "version": row[14],
    }


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def fingerprint(user_id: str, statuses: list[str], search: str | None) -> str:
    """``TaskQuery.fingerprint`` for the default sort with status/search filters."""
    filters = [sorted(statuses) or None, None, None, search, None, None, None]
    parts = [user_id, "created_at", True, filters]
    return hashlib.sha256(json.dumps(parts, separators=(",", ":")).encode()).hexdigest()[:16]


def encode_cursor(mark: str, created_at: datetime, task_id: uuid.UUID) -> str:
    payload = [mark, created_at.isoformat(), task_id.hex]
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(token: str, mark: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        found, value, task_hex = json.loads(raw)
        position = datetime.fromisoformat(value), uuid.UUID(hex=task_hex)
    except (ValueError, TypeError, binascii.Error):
        raise HttpError(422, "cursor is not valid") from None
    if found != mark:
        raise HttpError(422, "cursor does not match this user, sort or filters")
    return position


class Floor:
    """The ASGI application (one instance per process)."""

    def __init__(self, *, dsn: str, secret: str, pool_size: int, max_overflow: int) -> None:
        self._dsn = dsn
        self._secret = secret
        self._pool_size = pool_size
        self._max_connections = pool_size + max_overflow
        self._pool: ThreadedConnectionPool | None = None
        self._ready: set[int] = set()  # connections already switched to UTC
        # psycopg2's pool raises when exhausted; callers wait instead, like SQLAlchemy's.
        self._slots = threading.BoundedSemaphore(self._max_connections)

    # -- plumbing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        try:
            status, payload, headers = await self._route(scope, receive)
        except HttpError as error:
            status, payload, headers = error.status, {"detail": error.detail}, error.headers
        body = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [*JSON_HEADERS, *headers, (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                # UUIDs in and out as uuid.UUID ('...'::uuid), as SQLAlchemy's dialect does.
                register_uuid()
                # psycopg2's pool keeps ``minconn`` connections and closes the others
                # when they come back: SQLAlchemy's QueuePool does the same with its
                # overflow, so pool_size / pool_size + max_overflow mirror the app's.
                self._pool = ThreadedConnectionPool(
                    self._pool_size, self._max_connections, self._dsn
                )
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._pool is not None:
                    self._pool.closeall()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _connection(self) -> Connection:
        assert self._pool is not None
        self._slots.acquire()
        try:
            connection: Connection = self._pool.getconn()
        except BaseException:
            self._slots.release()
            raise
        if id(connection) not in self._ready:
            # As the adapter's engine does on connect: UTC for the session, once.
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute("SET TIME ZONE 'UTC'")
            connection.autocommit = False
            self._ready.add(id(connection))
        return connection

    def _transaction(self, work: Callable[[Any], Any], write: bool) -> Any:
        assert self._pool is not None
        connection = self._connection()
        try:
            with connection.cursor() as cursor:
                result = work(cursor)
            if write:
                connection.commit()
            else:
                connection.rollback()
            return result
        except BaseException:
            connection.rollback()
            raise
        finally:
            self._pool.putconn(connection)
            self._slots.release()

    def _user(self, scope: Scope) -> str:
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, token = value.decode("latin-1").partition(" ")
                if scheme.lower() == "bearer" and token:
                    try:
                        claims = jwt.decode(token, self._secret, algorithms=["HS256"])
                    except JWTError:
                        break
                    subject = claims.get("sub")
                    if isinstance(subject, str) and subject:
                        return subject
                break
        raise HttpError(401, "Not authenticated", [(b"www-authenticate", b"Bearer")])

    async def _body(self, receive: Receive) -> dict[str, Any]:
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        try:
            data = json.loads(b"".join(chunks))
        except ValueError:
            raise HttpError(422, "body is not valid JSON") from None
        if not isinstance(data, dict):
            raise HttpError(422, "body must be an object")
        return data

    async def _route(
        self, scope: Scope, receive: Receive
    ) -> tuple[int, Any, list[tuple[bytes, bytes]]]:
        path: str = scope["path"]
        method: str = scope["method"]
        if path == "/health":
            return 200, {"status": "ok"}, []
        if not path.startswith("/api/tasks"):
            raise HttpError(404, "Not Found")
        user = self._user(scope)
        rest = path[len("/api/tasks") :]
        if rest in ("", "/"):
            if method == "GET":
                return await self._list(user, scope)
            if method == "POST":
                return await self._create(user, await self._body(receive))
            raise HttpError(405, "Method Not Allowed")
        try:
            task_id = uuid.UUID(rest.lstrip("/"))
        except ValueError:
            raise HttpError(422, "task_id is not a UUID") from None
        if method == "GET":
            return await self._get(user, task_id)
        if method == "PATCH":
            return await self._update(user, task_id, await self._body(receive))
        raise HttpError(405, "Method Not Allowed")

    # -- the handlers

    async def _get(
        self, user: str, task_id: uuid.UUID
    ) -> tuple[int, Any, list[tuple[bytes, bytes]]]:
        def work(cursor: Any) -> Any:
            cursor.execute(GET_SQL, {"match_id": task_id, "match_user_id": user})
            return cursor.fetchone()

        row = await anyio.to_thread.run_sync(self._transaction, work, False)
        if row is None:
            raise HttpError(404, "Task not found")
        return 200, task_json(row), [(b"etag", f'"{row[14]}"'.encode())]

    async def _list(self, user: str, scope: Scope) -> tuple[int, Any, list[tuple[bytes, bytes]]]:
        query = parse_qs(scope["query_string"].decode("latin-1"))
        limit = int(query.get("limit", ["50"])[0] or 50)
        offset = int(query.get("offset", ["0"])[0] or 0)
        statuses = sorted({s for v in query.get("status", []) for s in v.split(",") if s})
        if "all" in statuses:
            statuses = []
        search = query.get("search", [""])[0] or None
        token = query.get("cursor", [""])[0] or None
        if not 1 <= limit <= 100:
            raise HttpError(422, "limit must be between 1 and 100")
        mark = fingerprint(user, statuses, search)
        parameters: dict[str, Any] = {"user_id": user, "limit": limit + 1}
        for number, status in enumerate(statuses, start=1):
            parameters[f"statuses_{number}"] = status
        if search is not None:
            pattern = f"%{escape_like(search.casefold())}%"
            parameters["pattern"] = pattern
        if token is not None:
            created_at, after_id = decode_cursor(token, mark)
            parameters.update(after_value=created_at, after_id=after_id)
        elif offset:
            parameters["offset"] = offset
        sql = list_sql(
            statuses=statuses,
            search=search is not None,
            cursor=token is not None,
            offset=bool(offset) and token is None,
        )

        def work(cursor: Any) -> Any:
            cursor.execute(sql, parameters)
            return cursor.fetchall()

        rows = await anyio.to_thread.run_sync(self._transaction, work, False)
        total = rows[0][0] if rows else 0
        items = [row[1:] for row in rows if row[1] is not None]
        headers = [(b"x-total-count", str(total).encode())]
        if len(items) > limit:
            items = items[:limit]
            last = items[-1]
            link = f"/api/tasks?limit={limit}&cursor={encode_cursor(mark, last[12], last[0])}"
            for status in statuses:
                link += f"&status={status}"
            if search is not None:
                link += f"&search={quote(search)}"
            headers.append((b"link", f'<{link}>; rel="next"'.encode()))
        return 200, [task_json(row) for row in items], headers

    async def _create(
        self, user: str, body: dict[str, Any]
    ) -> tuple[int, Any, list[tuple[bytes, bytes]]]:
        title = body.get("title")
        if not isinstance(title, str) or not 1 <= len(title.strip()) <= 255:
            raise HttpError(422, "title is required")
        title = title.strip()
        priority = body.get("priority", "medium")
        status = body.get("status", "pending")
        description = body.get("description")
        if priority not in PRIORITY_RANKS or status not in STATUS_RANKS:
            raise HttpError(422, "bad enum value")
        now = datetime.now(UTC)
        values = {
            "id": uuid.uuid4(),
            "user_id": user,
            "title": title,
            "title_key": title.casefold(),
            "description": description,
            "description_key": description.casefold() if description else None,
            "status": status,
            "status_rank": STATUS_RANKS[status],
            "priority": priority,
            "priority_rank": PRIORITY_RANKS[priority],
            "due_date": None,
            "completed_at": now if status == "completed" else None,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }

        def work(cursor: Any) -> None:
            cursor.execute(INSERT_SQL, values)

        await anyio.to_thread.run_sync(self._transaction, work, True)
        row = tuple(values[name] for name in COLUMNS.split(", "))
        headers = [
            (b"etag", b'"1"'),
            (b"location", f"/api/tasks/{values['id']}".encode()),
        ]
        return 201, task_json(row), headers

    async def _update(
        self, user: str, task_id: uuid.UUID, body: dict[str, Any]
    ) -> tuple[int, Any, list[tuple[bytes, bytes]]]:
        title = body.get("title")
        if title is not None and (not isinstance(title, str) or not title.strip()):
            raise HttpError(422, "title must not be empty")
        priority = body.get("priority")
        if priority is not None and priority not in PRIORITY_RANKS:
            raise HttpError(422, "bad priority")

        def work(cursor: Any) -> Any:
            cursor.execute(GET_FOR_UPDATE_SQL, {"match_id": task_id, "match_user_id": user})
            row = cursor.fetchone()
            if row is None:
                return None
            values = dict(zip(COLUMNS.split(", "), row, strict=True))
            changed = dict(values)
            if title is not None:
                changed["title"] = title.strip()
                changed["title_key"] = changed["title"].casefold()
            if priority is not None:
                changed["priority"] = priority
                changed["priority_rank"] = PRIORITY_RANKS[priority]
            if changed == values:
                return row
            changed["updated_at"] = datetime.now(UTC)
            changed["version"] = values["version"] + 1
            parameters = {f"new_{name}": changed[name] for name in COLUMNS.split(", ")[2:]}
            del parameters["new_created_at"]
            parameters.update(match_id=task_id, match_user_id=user, match_version=values["version"])
            cursor.execute(UPDATE_SQL, parameters)
            return tuple(changed[name] for name in COLUMNS.split(", "))

        row = await anyio.to_thread.run_sync(self._transaction, work, True)
        if row is None:
            raise HttpError(404, "Task not found")
        return 200, task_json(row), [(b"etag", f'"{row[14]}"'.encode())]


def create_floor() -> Floor:
    """The floor configured from the environment, as the app is."""
    url = os.environ["DATABASE_URL"]
    dsn = url.replace("postgresql+psycopg2://", "postgresql://", 1)
    return Floor(
        dsn=dsn,
        secret=os.environ["JWT_SECRET"],
        pool_size=int(os.environ.get("DB_POOL_SIZE", "5")),
        max_overflow=int(os.environ.get("DB_MAX_OVERFLOW", "10")),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The benchmark's floor server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args(argv)
    uvicorn.run(
        create_floor(),
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
        lifespan="on",
    )


if __name__ == "__main__":
    main()
