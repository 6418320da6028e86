"""Liveness and readiness probes: no authentication."""

from typing import Annotated

from dependency_injector.wiring import inject
from fastapi import APIRouter, Depends
from starlette.responses import Response

from todo_http.deps import Provide
from todo_http.errors import HEADERS_BY_STATUS
from todo_http.presenters import json_response
from todo_http.schemas import Health, Readiness

router = APIRouter(tags=["health"])

_OK = {"status": "ok"}
_READY = {"status": "ok", "database": "ok"}
_NOT_READY = {"status": "unavailable", "database": "unreachable"}


@router.get("/health", response_model=Health, summary="Liveness", operation_id="health")
async def health() -> Response:
    """The process answers; touches neither the database nor the token verifier."""
    return json_response(_OK)


@router.get(
    "/health/ready",
    response_model=Readiness,
    summary="Readiness",
    operation_id="readiness",
    responses={
        503: {
            "model": Readiness,
            "description": "The database cannot be reached.",
            "headers": {"Retry-After": {"schema": {"type": "integer"}}},
        }
    },
)
@inject
def ready(
    reachable: Annotated[bool, Depends(Provide["database_reachable"])],
) -> Response:
    """Whether the database answers a trivial query (run in the threadpool)."""
    if reachable:
        return json_response(_READY)
    return json_response(_NOT_READY, status_code=503, headers=HEADERS_BY_STATUS[503])
