"""The OpenAPI document: exact request bodies, error responses, and the choices made.

Request bodies are read by ``body`` (after authentication), so they are
declared here instead of by FastAPI: ``request_body`` for a route's
``openapi_extra``, and the components added by ``install_openapi``. The
``{user_id}`` path parameter is read by the caller dependency from the
path, and declared here for every operation of the long route shape.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import FastAPI

from todo_core.model import USER_ID_MAX_LENGTH
from todo_http.errors import RETRY_AFTER_SECONDS
from todo_http.schemas import REQUEST_BODIES, ErrorBody, ValidationErrorBody

DESCRIPTION: Final = f"""\
Tasks of the user named by the bearer token's `sub`.

Every route under `/api` exists in two shapes: `/api/{{user_id}}/tasks...` (the
path's user id must equal the token's `sub`, else 403) and `/api/tasks...`
(the token's user). `/api/tasks/...` always means the second shape.

**Order of checks**: 401, 403, 413, 415, 422, 404, 412; the 422 for
`completed` and `status` disagreeing with each other and with the stored task
comes last.

**Choices where the contract is silent**

- Schemas are exact in one direction: everything they allow is accepted.
  The server also accepts a little more: timestamps without offset (UTC) or
  without seconds, a space or lower-case `t`/`z`; titles longer than 255
  characters whose trimmed form fits; `true`/`false`/`1`/`0` for boolean query
  parameters in any letter case; comma-separated `status`/`priority`.
- What a schema cannot say: the path's user id must be the token's `sub`
  (403); a `task_id` must exist (404); `If-Match` must name the current
  version (412); on update, `completed` and `status` may disagree only when
  one of them matches the stored task (422).
- Paging: `cursor` is not declared as a parameter on purpose. It is opaque
  and only valid as found in a `Link: <...>; rel="next"` header (follow that
  URL, changing `limit` if you like); a made-up cursor, one made for other
  filters, or a cursor together with `offset` is a 422 naming `cursor`.
- `If-Match` / `If-None-Match`: a blank header counts as absent. `If-Match`
  with several tags succeeds when the current version is one of them.
- Listing: when an alias and its name are both given, the name wins
  (`search` over `q`, `sort` over `sort_by`, `order` over `sort_order`); a
  repeated single-valued parameter takes its last value; `offset` is at most
  2147483647.
- Request bodies are read only on routes that take one (POST, PUT, PATCH);
  a body sent with GET or DELETE is ignored. An empty body counts as none.
- `null` is refused for `title`, `status`, `priority` and `completed`
  (leave the field out instead).
- 503 answers carry `Retry-After: {RETRY_AFTER_SECONDS}`; every 401 carries
  `WWW-Authenticate: Bearer`.
- Authentication comes before routing: any request under `/api` without a
  valid token is a 401, whatever its path or method; with one, an unknown path
  is a 404 and a method the path does not take a 405 with `Allow`.
- Limits: each user's requests are counted (`RATE_LIMIT`, 1200 a minute by
  default; a 429 carries `Retry-After` and `RateLimit-Limit`,
  `RateLimit-Remaining`, `RateLimit-Reset`, which successful answers carry
  too); a user keeps at most `MAX_TASKS_PER_USER` tasks (10,000 by default;
  a create beyond is a 409 `Task limit reached`).
- Every authenticated answer carries `Cache-Control: private, no-cache` and
  `X-Content-Type-Options: nosniff`.
"""

OWNER_PARAMETER: Final[dict[str, Any]] = {
    "name": "user_id",
    "in": "path",
    "required": True,
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": USER_ID_MAX_LENGTH,
        "pattern": "^[^/]+$",
        "not": {"enum": ["tasks", ".", ".."]},
    },
    "description": (
        "Must equal the token's `sub` (case-sensitive), else 403. `tasks` is not a user id "
        "in this position: `/api/tasks/...` is the short route shape."
    ),
}

_ERRORS: Final[dict[int, str]] = {
    401: (
        "No usable bearer token: `Not authenticated`, `Invalid or expired token` or "
        "`Invalid token payload`."
    ),
    403: "The path's user id is not the token's subject.",
    404: "No such task for this user (or not a route).",
    409: (
        "`Task limit reached` (the user has `MAX_TASKS_PER_USER` tasks; nothing was written), "
        "or `A request with this Idempotency-Key is in progress`: retry later."
    ),
    410: "`Sync token expired; fetch everything again`: older than the deletions kept.",
    412: "`If-Match` does not name the task's current version.",
    413: "The body is over the configured limit (64 KiB by default).",
    415: "A body whose Content-Type is not application/json.",
    422: "Invalid input; one item per bad field, the input never echoed.",
    429: (
        "`Too many requests`: the user's `RATE_LIMIT` is spent; retry after `Retry-After` seconds."
    ),
    503: "The database cannot be reached (or its schema is out of date); retry later.",
}


def header(description: str, schema_type: str = "string") -> dict[str, Any]:
    """A response header declaration."""
    return {"description": description, "schema": {"type": schema_type}}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The documented error answers of a route."""
    responses: dict[int | str, dict[str, Any]] = {}
    if 401 in statuses and 429 not in statuses:
        statuses = (*statuses, 429)  # every authenticated request is counted
    for status in sorted(statuses):
        entry: dict[str, Any] = {
            "description": _ERRORS[status],
            "model": ValidationErrorBody if status == 422 else ErrorBody,
        }
        if status == 401:
            entry["headers"] = {"WWW-Authenticate": header("Always `Bearer`.")}
        if status == 503:
            entry["headers"] = {"Retry-After": header("Seconds to wait.", "integer")}
        if status == 429:
            entry["headers"] = {
                "Retry-After": header("Seconds until the window frees up.", "integer"),
                "RateLimit-Limit": header("Requests allowed per window.", "integer"),
                "RateLimit-Remaining": header("Requests left in this window.", "integer"),
                "RateLimit-Reset": header("Seconds until the window resets.", "integer"),
            }
        responses[status] = entry
    return responses


def request_body(component: str, *, required: bool) -> dict[str, Any]:
    """``openapi_extra`` declaring a JSON request body by component name."""
    return {
        "requestBody": {
            "required": required,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}
            },
        }
    }


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` return FastAPI's document completed as described above."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = FastAPI.openapi(app)
            _add_request_bodies(document)
            _declare_owner_parameter(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _add_request_bodies(document: dict[str, Any]) -> None:
    components = document.setdefault("components", {}).setdefault("schemas", {})
    for name, adapter in REQUEST_BODIES.items():
        schema = adapter.json_schema(ref_template="#/components/schemas/{model}")
        for def_name, definition in schema.pop("$defs", {}).items():
            components.setdefault(def_name, definition)
        components[name] = schema


def _declare_owner_parameter(document: dict[str, Any]) -> None:
    for path, operations in document.get("paths", {}).items():
        if "{user_id}" not in path:
            continue
        for operation in operations.values():
            operation["parameters"] = [OWNER_PARAMETER, *operation.get("parameters", [])]
