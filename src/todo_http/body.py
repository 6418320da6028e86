"""Request bodies, read only after authentication: 413, then 415, then 422.

FastAPI reads and validates a declared body before any dependency runs, so
no route declares one: these dependencies depend on the caller (401/403
first), then read the stream themselves with a byte limit (413, also for
chunked bodies with no ``Content-Length``), check the content type (415),
and validate the JSON in one pass (422). The OpenAPI request bodies are
declared separately (``openapi.request_body``).
"""

from typing import Annotated, Any

from fastapi import Depends
from pydantic import TypeAdapter, ValidationError
from starlette.requests import Request

from todo_core.edits import UNSET, TaskChanges, TaskDraft
from todo_core.errors import FieldError, InvalidInput
from todo_core.model import TaskPriority
from todo_http.deps import CurrentCaller
from todo_http.errors import PayloadTooLarge, UnsupportedMediaType
from todo_http.schemas import TASK_COMPLETION, TASK_CREATE, TASK_UPDATE


def is_json_media_type(content_type: str | None) -> bool:
    """``application/json``, any parameters, any letter case."""
    if not content_type:
        return False
    return content_type.partition(";")[0].strip().lower() == "application/json"


async def read_limited(request: Request, limit: int) -> bytes:
    """The whole body, or ``PayloadTooLarge`` as soon as it is known to exceed ``limit``."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


async def raw_json_body(request: Request) -> bytes:
    """The body bytes (empty: no body); 413 and 415 checked.

    Called by each body dependency rather than being a dependency itself: the
    caller they depend on comes first either way, and every dependency costs
    FastAPI a resolution pass per request.
    """
    raw = await read_limited(request, request.app.state.max_body_bytes)
    if raw and not is_json_media_type(request.headers.get("content-type")):
        raise UnsupportedMediaType()
    return raw


def _missing_body() -> InvalidInput:
    return InvalidInput.single("", "Field required", kind="missing")


def _validate(adapter: TypeAdapter[Any], raw: bytes) -> dict[str, Any]:
    try:
        data: dict[str, Any] = adapter.validate_json(raw)
    except ValidationError as error:
        raise InvalidInput(
            [
                FieldError(
                    ".".join(str(part) for part in item["loc"]),
                    item["msg"],
                    item["type"],
                    source="body",
                )
                for item in error.errors(include_url=False, include_context=False)
            ]
        ) from None
    return data


async def draft_body(request: Request, _caller: CurrentCaller) -> TaskDraft:
    """A ``TaskDraft`` from a create body (a body is required)."""
    raw = await raw_json_body(request)
    if not raw:
        raise _missing_body()
    data = _validate(TASK_CREATE, raw)
    return TaskDraft(
        title=data["title"],
        description=data.get("description"),
        status=data.get("status"),
        priority=data.get("priority", TaskPriority.MEDIUM),
        due_date=data.get("due_date"),
        completed=data.get("completed"),
        tags=data.get("tags"),
        recurrence=data.get("recurrence"),
        remind_at=data.get("remind_at"),
    )


async def changes_body(request: Request, _caller: CurrentCaller) -> TaskChanges:
    """A ``TaskChanges`` (merge patch) from an update body (a body is required)."""
    raw = await raw_json_body(request)
    if not raw:
        raise _missing_body()
    data = _validate(TASK_UPDATE, raw)
    return TaskChanges(
        title=data.get("title", UNSET),
        description=data.get("description", UNSET),
        status=data.get("status", UNSET),
        priority=data.get("priority", UNSET),
        due_date=data.get("due_date", UNSET),
        completed=data.get("completed", UNSET),
        tags=data.get("tags", UNSET),
        recurrence=data.get("recurrence", UNSET),
        remind_at=data.get("remind_at", UNSET),
    )


async def completion_body(request: Request, _caller: CurrentCaller) -> bool | None:
    """``completed`` from an optional completion body; ``None`` (no body, ``{}``) toggles."""
    raw = await raw_json_body(request)
    if not raw:
        return None
    data = _validate(TASK_COMPLETION, raw)
    completed: bool | None = data.get("completed")
    return completed


DraftBody = Annotated[TaskDraft, Depends(draft_body)]
ChangesBody = Annotated[TaskChanges, Depends(changes_body)]
CompletionBody = Annotated[bool | None, Depends(completion_body)]
