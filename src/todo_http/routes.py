"""The task routes: parse, call one use case, shape the reply.

One router, included twice by `create_app`: under `/api` (the token's
own tasks) and under `/api/{user_id}` (the path must name the token's
user). The principal dependency reads `user_id` from the path when there
is one. Handlers are synchronous (the SQL adapter is), so FastAPI runs them
in its threadpool; authentication and body reading happen before, in the
event loop.
"""

import uuid
from collections.abc import Callable
from typing import Annotated, Final
from urllib.parse import quote

from dependency_injector.wiring import inject
from fastapi import APIRouter, Header
from pydantic import WithJsonSchema
from starlette.requests import Request
from starlette.responses import Response

from todo_core.changes import TaskChanges
from todo_core.services import TaskService
from todo_http.auth import Principal
from todo_http.body import ChangesBody, CompletionBody, DraftBody
from todo_http.conditional import expected_version, none_match
from todo_http.deps import CurrentPrincipal, TaskServiceDep
from todo_http.listing import page_headers, parse_listing
from todo_http.listing_parameters import LIST_PARAMETERS
from todo_http.openapi import error_responses, header, request_body
from todo_http.presenters import (
    json_response,
    no_content,
    not_modified,
    stats_document,
    task_response,
    tasks_response,
)
from todo_http.schemas import Task, TaskStats

router = APIRouter()

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description='`"<version>"`, a list of tags, or `*` (strong comparison); stale: 412.',
    ),
    WithJsonSchema({"type": "string"}),
]
IfNoneMatch = Annotated[
    str | None,
    Header(
        alias="If-None-Match",
        description='`"<version>"`, a list of tags, or `*`: a match gives 304.',
    ),
    WithJsonSchema({"type": "string"}),
]

_ETAG: Final = {"ETag": header('`"<version>"` of the task.')}
_WRITE_ERRORS: Final = error_responses(401, 403, 404, 412, 413, 415, 422, 503)


def _collection_path(request: Request) -> str:
    """The path of the collection addressed, percent-encoded, in the request's route shape."""
    path: str = request.scope["path"]
    return quote(path.rstrip("/"), safe="/")


# Helpers take plain types: wiring patches every function whose signature holds a marker.
def _current_version(
    service: TaskService, principal: Principal, task_id: uuid.UUID
) -> Callable[[], int]:
    """Reads the task's version, for an `If-Match` that lists several tags."""
    return lambda: (
        service.get(actor=principal.actor, owner=principal.owner, task_id=task_id).version
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
@inject
def list_tasks(request: Request, principal: CurrentPrincipal, service: TaskServiceDep) -> Response:
    """Filter, sort and page the user's tasks.

    Page with `limit` and `offset`, or follow the `Link: <...>; rel="next"`
    header: it carries an opaque `cursor` (stable and fast at any depth).
    """
    listing = parse_listing(request.query_params)
    page = service.list(actor=principal.actor, owner=principal.owner, request=listing)
    headers = page_headers(page, path=request.scope["path"], params=request.query_params)
    return tasks_response(page.items, headers=headers)


@router.post(
    "/tasks",
    status_code=201,
    response_model=Task,
    summary="Create a task",
    responses={
        201: {"headers": {**_ETAG, "Location": header("The task's path, same route shape.")}},
        **error_responses(401, 403, 413, 415, 422, 503),
    },
    openapi_extra=request_body("TaskCreate", required=True),
)
@inject
def create_task(
    request: Request, principal: CurrentPrincipal, draft: DraftBody, service: TaskServiceDep
) -> Response:
    """Add a task to the user's collection."""
    task = service.create(actor=principal.actor, owner=principal.owner, draft=draft)
    location = f"{_collection_path(request)}/{task.id}"
    return task_response(task, status_code=201, location=location)


@router.get(
    "/tasks/stats",
    response_model=TaskStats,
    summary="Count tasks",
    responses=error_responses(401, 403, 503),
)
@inject
def task_stats(principal: CurrentPrincipal, service: TaskServiceDep) -> Response:
    """Counts by status and priority, and how many are overdue, over all the user's tasks."""
    stats = service.stats(actor=principal.actor, owner=principal.owner)
    return json_response(stats_document(stats))


@router.get(
    "/tasks/{task_id}",
    response_model=Task,
    summary="Get a task",
    responses={
        200: {"headers": _ETAG},
        304: {"description": "`If-None-Match` matched.", "headers": _ETAG},
        **error_responses(401, 403, 404, 422, 503),
    },
)
@inject
def get_task(
    task_id: uuid.UUID,
    principal: CurrentPrincipal,
    service: TaskServiceDep,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """One task, or 304 if the client's copy is current."""
    task = service.get(actor=principal.actor, owner=principal.owner, task_id=task_id)
    if none_match(if_none_match, task.version):
        return not_modified(task)
    return task_response(task)


def _update(
    service: TaskService,
    principal: Principal,
    task_id: uuid.UUID,
    changes: TaskChanges,
    if_match: str | None,
) -> Response:
    expected = expected_version(if_match, _current_version(service, principal, task_id))
    task = service.update(
        actor=principal.actor,
        owner=principal.owner,
        task_id=task_id,
        changes=changes,
        expected_version=expected,
    )
    return task_response(task)


@router.put(
    "/tasks/{task_id}",
    response_model=Task,
    summary="Update a task (merge)",
    responses={200: {"headers": _ETAG}, **_WRITE_ERRORS},
    openapi_extra=request_body("TaskUpdate", required=True),
)
@inject
def replace_task(
    task_id: uuid.UUID,
    principal: CurrentPrincipal,
    changes: ChangesBody,
    service: TaskServiceDep,
    if_match: IfMatch = None,
) -> Response:
    """Merge the fields present into the task (same as PATCH)."""
    return _update(service, principal, task_id, changes, if_match)


@router.patch(
    "/tasks/{task_id}",
    response_model=Task,
    summary="Update a task",
    responses={200: {"headers": _ETAG}, **_WRITE_ERRORS},
    openapi_extra=request_body("TaskUpdate", required=True),
)
@inject
def update_task(
    task_id: uuid.UUID,
    principal: CurrentPrincipal,
    changes: ChangesBody,
    service: TaskServiceDep,
    if_match: IfMatch = None,
) -> Response:
    """Merge the fields present into the task."""
    return _update(service, principal, task_id, changes, if_match)


@router.patch(
    "/tasks/{task_id}/complete",
    response_model=Task,
    summary="Complete, reopen or toggle a task",
    responses={200: {"headers": _ETAG}, **_WRITE_ERRORS},
    openapi_extra=request_body("TaskCompletion", required=False),
)
@inject
def complete_task(
    task_id: uuid.UUID,
    principal: CurrentPrincipal,
    completed: CompletionBody,
    service: TaskServiceDep,
    if_match: IfMatch = None,
) -> Response:
    """No body or `{}` toggles; `{"completed": bool}` sets."""
    expected = expected_version(if_match, _current_version(service, principal, task_id))
    task = service.set_completed(
        actor=principal.actor,
        owner=principal.owner,
        task_id=task_id,
        completed=completed,
        expected_version=expected,
    )
    return task_response(task)


@router.delete(
    "/tasks/{task_id}",
    status_code=204,
    response_class=Response,
    summary="Delete a task",
    responses=error_responses(401, 403, 404, 412, 422, 503),
)
@inject
def delete_task(
    task_id: uuid.UUID,
    principal: CurrentPrincipal,
    service: TaskServiceDep,
    if_match: IfMatch = None,
) -> Response:
    """Remove the task for good."""
    expected = expected_version(if_match, _current_version(service, principal, task_id))
    service.delete(
        actor=principal.actor, owner=principal.owner, task_id=task_id, expected_version=expected
    )
    return no_content()
