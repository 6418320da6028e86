"""ONE table from error class to HTTP status; the message always comes from the error.

Domain errors (``todo_core.errors``) and the two HTTP-only refusals defined
here (413, 415) are all ``TodoError``s, so one handler answers them all.
422 bodies list one ``{"loc", "msg", "type"}`` item per bad field and never
echo the input.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any, Final

import orjson
from fastapi.exceptions import RequestValidationError
from starlette.requests import Request
from starlette.responses import Response

from todo_core.errors import (
    AccessDenied,
    InvalidInput,
    InvalidToken,
    InvalidTokenPayload,
    NotAuthenticated,
    StorageUnavailable,
    SyncTokenExpired,
    TaskLimitReached,
    TaskNotFound,
    TodoError,
    VersionConflict,
)
from todo_core.idempotency import IdempotencyInProgress
from todo_http.unavailable import report_unavailable

logger = logging.getLogger("todo_http")

RETRY_AFTER_SECONDS: Final = 5
INTERNAL_ERROR_MESSAGE: Final = "Internal server error"


class PayloadTooLarge(TodoError):
    """The request body is over ``MAX_BODY_BYTES``."""

    default_message = "Request body too large"


class UnsupportedMediaType(TodoError):
    """A request body that is not declared as JSON."""

    default_message = "Content-Type must be application/json"


STATUS_BY_ERROR: Final[Mapping[type[TodoError], int]] = {
    NotAuthenticated: 401,
    InvalidToken: 401,
    InvalidTokenPayload: 401,
    AccessDenied: 403,
    TaskNotFound: 404,
    VersionConflict: 412,
    IdempotencyInProgress: 409,
    TaskLimitReached: 409,
    SyncTokenExpired: 410,
    PayloadTooLarge: 413,
    UnsupportedMediaType: 415,
    InvalidInput: 422,
    StorageUnavailable: 503,
}

HEADERS_BY_STATUS: Final[Mapping[int, Mapping[str, str]]] = {
    401: {"WWW-Authenticate": "Bearer"},
    503: {"Retry-After": str(RETRY_AFTER_SECONDS)},
}

JSON: Final = "application/json"


def status_for(error: TodoError) -> int | None:
    """The status of the nearest class in the table, or ``None`` for an unmapped error."""
    for cls in type(error).__mro__:
        status = STATUS_BY_ERROR.get(cls)
        if status is not None:
            return status
    return None


def detail_response(status: int, detail: object) -> Response:
    """``{"detail": ...}`` with the headers every response of that status carries."""
    return Response(
        orjson.dumps({"detail": detail}),
        status_code=status,
        media_type=JSON,
        headers=HEADERS_BY_STATUS.get(status),
    )


def internal_error() -> Response:
    """The generic 500: nothing internal in it."""
    return detail_response(500, INTERNAL_ERROR_MESSAGE)


def validation_item(loc: Iterable[str | int], msg: str, kind: str) -> dict[str, Any]:
    """One 422 item."""
    return {"loc": list(loc), "msg": msg, "type": kind}


def invalid_input_items(error: InvalidInput) -> list[dict[str, Any]]:
    """The core's field errors as 422 items: ``["body", field]``, ``["query", param]``.

    An empty field name means the whole source (``["body"]``: no body, not JSON...).
    """
    return [
        validation_item((e.source, e.field) if e.field else (e.source,), e.message, e.kind)
        for e in error.errors
    ]


# FastAPI validates only path parameters here (bodies and queries are parsed by
# this package); pydantic's UUID message quotes a character of the input.
_SAFE_MESSAGES: Final[Mapping[str, str]] = {
    "uuid_parsing": "Input should be a valid UUID",
    "uuid_type": "Input should be a valid UUID",
    "uuid_version": "Input should be a valid UUID",
}


def request_validation_items(error: RequestValidationError) -> list[dict[str, Any]]:
    """FastAPI's validation errors without ``input``/``ctx``, with messages that echo nothing."""
    items = []
    for item in error.errors():
        kind = str(item.get("type", "value_error"))
        message = _SAFE_MESSAGES.get(kind, str(item.get("msg", "Invalid value")))
        items.append(validation_item(item.get("loc", ()), message, kind))
    return items


async def handle_todo_error(request: Request, error: Exception) -> Response:
    """Answer any ``TodoError`` from the table; a 503 logs its cause (see ``unavailable``)."""
    assert isinstance(error, TodoError)
    status = status_for(error)
    if status is None:
        logger.error("unmapped domain error %s", type(error).__name__)
        return internal_error()
    if status == 503:
        report_unavailable(request, getattr(error, "cause", None))
    if isinstance(error, InvalidInput):
        return detail_response(status, invalid_input_items(error))
    return detail_response(status, error.message)


async def handle_request_validation_error(_request: Request, error: Exception) -> Response:
    """FastAPI's own 422, in this API's shape."""
    assert isinstance(error, RequestValidationError)
    return detail_response(422, request_validation_items(error))
