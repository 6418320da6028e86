"""``Idempotency-Key`` on the writes that honour it (API.md section 11): parse, fingerprint, reply.

The fingerprint is the method, the route with its ``/{user_id}`` segment
left out (both route shapes of a collection are one request), the task id
and the parsed body: a retry of the same request matches, another body does
not. The response remembered is the one sent: status, JSON body, ``ETag``,
``Location`` and ``Link``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Annotated, Final

from fastapi import Header
from pydantic import WithJsonSchema
from starlette.requests import Request
from starlette.responses import Response

from todo_core.idempotency import Once, StoredResponse, parse_key
from todo_core.services import Written
from todo_http.errors import JSON
from todo_http.paths import shape_free

REMEMBERED_HEADERS: Final = ("etag", "location", "link")
REPLAYED: Final = "Idempotent-Replayed"

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description=(
            'A key of 1-255 printable ASCII characters, as a Structured Field string (`"k"`) '
            "or bare: a retry with the same key and request replays the first response "
            "(`Idempotent-Replayed: true`); another request with it is a 422; while the "
            "first runs, 409. Remembered for 24 hours."
        ),
    ),
    WithJsonSchema({"type": "string", "minLength": 1}),
]


def fingerprint(request: Request, *parts: object) -> str:
    """The request as far as a key is concerned (see the module docstring)."""
    route: str = getattr(request.scope.get("route"), "path", None) or request.scope["path"]
    shape = shape_free(route)
    text = "\n".join([request.method, shape, *(repr(part) for part in parts)])
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def once(
    header: str, request: Request, respond: Callable[[Written], Response], *parts: object
) -> Once:
    """The ``Once`` of a write: its key, its fingerprint, and how to remember its response."""

    def remembered(written: Written) -> StoredResponse:
        response = respond(written)
        headers = tuple(
            (name, value) for name, value in response.headers.items() if name in REMEMBERED_HEADERS
        )
        return StoredResponse(response.status_code, bytes(response.body).decode(), headers)

    return Once(parse_key(header), fingerprint(request, *parts), remembered)


def reply(response: StoredResponse, *, replayed: bool) -> Response:
    """The remembered response, marked as a replay when it is one."""
    headers = dict(response.headers)
    if replayed:
        headers[REPLAYED] = "true"
    return Response(
        response.body.encode(), status_code=response.status, media_type=JSON, headers=headers
    )
