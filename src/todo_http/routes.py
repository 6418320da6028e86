"""The task routes: parse, call one use case, shape the reply.

One router, included twice by `create_app`: under `/api` (the token's
own tasks) and under `/api/{user_id}` (the path must name the token's
user). The caller dependency reads `user_id` from the path when there
is one, and brings the use cases along. Handlers are synchronous (the SQL
adapter is) and run whole on a thread of the database gate
(``through_gate``); authentication and body reading happen before, in the
event loop.
"""

import uuid
from collections.abc import Callable
from typing import Annotated, Final
from urllib.parse import quote

from fastapi import APIRouter, Header
from pydantic import WithJsonSchema
from starlette.requests import Request
from starlette.responses import Response

from todo_core.edits import TaskChanges
from todo_core.services import Written
from todo_http.auth import Caller
from todo_http.body import ChangesBody, CompletionBody, DraftBody
from todo_http.changes import CHANGES_PARAMETERS, follow_changes, parse_changes_query
from todo_http.conditional import ENTITY_TAGS_SCHEMA, expected_version, none_match
from todo_http.deps import CurrentCaller
from todo_http.gate import through_gate
from todo_http.idempotency import IdempotencyKey, once, reply
from todo_http.listing import page_headers
from todo_http.listing_parameters import LIST_PARAMETERS
from todo_http.openapi import error_responses, header, request_body
from todo_http.paths import TASK_PATH
from todo_http.presenters import (
    json_response,
    no_content,
    not_modified,
    task_response,
    tasks_response,
)
from todo_http.schemas import TagCount, Task, TaskChangeFeed, TaskStats
from todo_presentation.documents import changes_document, stats_document, tags_document
from todo_presentation.listing import parse_listing

router = APIRouter()

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description=(
            '`"<version>"`, a list of tags, or `*` (strong comparison); blank counts as absent. '
            "A tag that does not name the current version (a stale, weak or unknown one): 412."
        ),
    ),
    WithJsonSchema(ENTITY_TAGS_SCHEMA),
]
IfNoneMatch = Annotated[
    str | None,
    Header(
        alias="If-None-Match",
        description='`"<version>"`, a list of tags, or `*`: a match gives 304.',
    ),
    WithJsonSchema(ENTITY_TAGS_SCHEMA),
]

_ETAG: Final = {"ETag": header('`"<version>"` of the task.')}
_WRITTEN: Final = {
    **_ETAG,
    "Link": header(
        '`<path of the new task>; rel="next-occurrence"` when completing a recurring task '
        "created its next occurrence."
    ),
}
_REPLAYED: Final = {
    "Idempotent-Replayed": header(
        "`true` when this is the remembered answer to an earlier request."
    )
}
_WRITE_ERRORS: Final = error_responses(401, 403, 404, 412, 413, 415, 422, 503)


def _collection_path(request: Request) -> str:
    """The path of the collection addressed, percent-encoded, in the request's route shape."""
    path: str = request.scope["path"]
    return quote(path.rstrip("/"), safe="/")


def _written_response(request: Request, written: Written, *, depth: int = 1) -> Response:
    """The task as written; ``Link`` to the occurrence its completion created, if any.

    ``depth``: path segments after the collection (``{task_id}``, ``/complete``).
    """
    headers: dict[str, str] = {}
    if written.created:
        collection = _collection_path(request).rsplit("/", depth)[0]
        links = [f'<{collection}/{task.id}>; rel="next-occurrence"' for task in written.created]
        headers["Link"] = ", ".join(links)
    return task_response(written.task, headers=headers)


def _current_version(caller: Caller, task_id: uuid.UUID) -> Callable[[], int]:
    """Reads the task's version, for an `If-Match` that lists several tags."""
    return lambda: (
        caller.service.get(actor=caller.actor, owner=caller.owner, task_id=task_id).version
    )


@router.get(
    "/tasks",
    response_model=list[Task],
    summary="List tasks",
    responses={
        200: {
            "headers": {
                "X-Total-Count": header("Tasks matching the filters, all pages.", "integer"),
                "Link": header('`<path?...&cursor=...>; rel="next"` while more remain.'),
            }
        },
        **error_responses(401, 403, 422, 503),
    },
    openapi_extra={"parameters": LIST_PARAMETERS},
)
@through_gate
def list_tasks(request: Request, caller: CurrentCaller) -> Response:
    """Filter, sort and page the user's tasks.

    Page with `limit` and `offset`, or follow the `Link: <...>; rel="next"`
    header: it carries an opaque `cursor` (stable and fast at any depth).
    """
    listing = parse_listing(request.query_params.multi_items())
    page = caller.service.list(actor=caller.actor, owner=caller.owner, request=listing)
    headers = page_headers(page, path=request.scope["path"], params=request.query_params)
    return tasks_response(page.items, headers=headers)


@router.post(
    "/tasks",
    status_code=201,
    response_model=Task,
    summary="Create a task",
    responses={
        201: {
            "headers": {
                **_ETAG,
                "Location": header("The task's path, same route shape."),
                **_REPLAYED,
            }
        },
        **error_responses(401, 403, 409, 413, 415, 422, 503),
    },
    openapi_extra=request_body("TaskCreate", required=True),
)
@through_gate
def create_task(
    request: Request,
    caller: CurrentCaller,
    draft: DraftBody,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Add a task to the user's collection; with `Idempotency-Key`, at most once."""

    def respond(written: Written) -> Response:
        location = f"{_collection_path(request)}/{written.task.id}"
        return task_response(written.task, status_code=201, location=location)

    if idempotency_key is not None:
        outcome = caller.service.create_once(
            actor=caller.actor,
            owner=caller.owner,
            draft=draft,
            once=once(idempotency_key, request, respond, draft),
        )
        return reply(outcome.response, replayed=outcome.replayed)
    task = caller.service.create(actor=caller.actor, owner=caller.owner, draft=draft)
    return respond(Written(task))


@router.get(
    "/tasks/stats",
    response_model=TaskStats,
    summary="Count tasks",
    responses=error_responses(401, 403, 503),
)
@through_gate
def task_stats(caller: CurrentCaller) -> Response:
    """Counts by status and priority, and how many are overdue, over all the user's tasks."""
    stats = caller.service.stats(actor=caller.actor, owner=caller.owner)
    return json_response(stats_document(stats))


@router.get(
    "/tasks/tags",
    response_model=list[TagCount],
    summary="List tags",
    responses=error_responses(401, 403, 503),
)
@through_gate
def task_tags(caller: CurrentCaller) -> Response:
    """Every tag the user's tasks carry, with how many carry it, by name case-insensitively."""
    tags = caller.service.tags(actor=caller.actor, owner=caller.owner)
    return json_response(tags_document(tags))


@router.get(
    "/tasks/changes",
    response_model=TaskChangeFeed,
    summary="Follow changes",
    responses=error_responses(401, 403, 410, 422, 503),
    openapi_extra={"parameters": CHANGES_PARAMETERS},
)
async def task_changes(request: Request, caller: CurrentCaller) -> Response:
    """What changed since the token `since`: tasks changed (once each, current state, in the
    order they were committed) and tasks deleted; `next` continues, `more` says whether
    another page is ready now. Without `since`: every current task.

    No change is ever skipped or repeated, whatever order concurrent writes commit in.
    With `wait` and nothing to report, the request is held until a change or the time is
    up (then an empty answer with the same token). A token older than the deletions kept
    (`CHANGES_RETENTION_DAYS`) is a 410: fetch everything again.
    """
    query = parse_changes_query(request.query_params)
    feed = await follow_changes(
        caller,
        query,
        waiting=request.app.state.change_waiting,
    )
    return json_response(changes_document(feed))


@router.get(
    TASK_PATH,
    response_model=Task,
    summary="Get a task",
    responses={
        200: {"headers": _ETAG},
        304: {"description": "`If-None-Match` matched.", "headers": _ETAG},
        **error_responses(401, 403, 404, 422, 503),
    },
)
@through_gate
def get_task(
    task_id: uuid.UUID,
    caller: CurrentCaller,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """One task, or 304 if the client's copy is current."""
    task = caller.service.get(actor=caller.actor, owner=caller.owner, task_id=task_id)
    if none_match(if_none_match, task.version):
        return not_modified(task)
    return task_response(task)


def _update(
    request: Request,
    caller: Caller,
    task_id: uuid.UUID,
    changes: TaskChanges,
    if_match: str | None,
) -> Response:
    expected = expected_version(if_match, _current_version(caller, task_id))
    written = caller.service.update(
        actor=caller.actor,
        owner=caller.owner,
        task_id=task_id,
        changes=changes,
        expected_version=expected,
    )
    return _written_response(request, written)


@router.put(
    TASK_PATH,
    response_model=Task,
    summary="Update a task (merge)",
    responses={200: {"headers": _WRITTEN}, **_WRITE_ERRORS},
    openapi_extra=request_body("TaskUpdate", required=True),
)
@through_gate
def replace_task(
    request: Request,
    task_id: uuid.UUID,
    caller: CurrentCaller,
    changes: ChangesBody,
    if_match: IfMatch = None,
) -> Response:
    """Merge the fields present into the task (same as PATCH)."""
    return _update(request, caller, task_id, changes, if_match)


@router.patch(
    TASK_PATH,
    response_model=Task,
    summary="Update a task",
    responses={200: {"headers": _WRITTEN}, **_WRITE_ERRORS},
    openapi_extra=request_body("TaskUpdate", required=True),
)
@through_gate
def update_task(
    request: Request,
    task_id: uuid.UUID,
    caller: CurrentCaller,
    changes: ChangesBody,
    if_match: IfMatch = None,
) -> Response:
    """Merge the fields present into the task."""
    return _update(request, caller, task_id, changes, if_match)


@router.patch(
    TASK_PATH + "/complete",
    response_model=Task,
    summary="Complete, reopen or toggle a task",
    responses={
        200: {"headers": {**_WRITTEN, **_REPLAYED}},
        **error_responses(401, 403, 404, 409, 412, 413, 415, 422, 503),
    },
    openapi_extra=request_body("TaskCompletion", required=False),
)
@through_gate
def complete_task(
    request: Request,
    task_id: uuid.UUID,
    caller: CurrentCaller,
    completed: CompletionBody,
    *,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """No body or `{}` toggles; `{"completed": bool}` sets. With `Idempotency-Key`, a retry
    replays the first answer (a retried toggle never flips the task back)."""
    if idempotency_key is not None:
        key = once(
            idempotency_key,
            request,
            lambda written: _written_response(request, written, depth=2),
            task_id,
            completed,
        )
        expected = expected_version(if_match, _current_version(caller, task_id))
        outcome = caller.service.set_completed_once(
            actor=caller.actor,
            owner=caller.owner,
            task_id=task_id,
            completed=completed,
            once=key,
            expected_version=expected,
        )
        return reply(outcome.response, replayed=outcome.replayed)
    expected = expected_version(if_match, _current_version(caller, task_id))
    written = caller.service.set_completed(
        actor=caller.actor,
        owner=caller.owner,
        task_id=task_id,
        completed=completed,
        expected_version=expected,
    )
    return _written_response(request, written, depth=2)


@router.delete(
    TASK_PATH,
    status_code=204,
    response_class=Response,
    summary="Delete a task",
    responses=error_responses(401, 403, 404, 412, 422, 503),
)
@through_gate
def delete_task(
    task_id: uuid.UUID,
    caller: CurrentCaller,
    if_match: IfMatch = None,
) -> Response:
    """Remove the task for good."""
    expected = expected_version(if_match, _current_version(caller, task_id))
    caller.service.delete(
        actor=caller.actor, owner=caller.owner, task_id=task_id, expected_version=expected
    )
    return no_content()
