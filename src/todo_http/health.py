"""Liveness and readiness probes: no authentication."""

from typing import Annotated

from dependency_injector.wiring import inject
from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from todo_adapters.sql.schema import DatabaseCheck, DatabaseStatus
from todo_http.deps import Provide
from todo_http.errors import HEADERS_BY_STATUS
from todo_http.presenters import json_response
from todo_http.schemas import Health, Readiness
from todo_http.unavailable import report_unavailable

router = APIRouter(tags=["health"])

_OK = {"status": "ok"}
_READY = {"status": "ok", "database": "ok"}


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
            "description": (
                "The database cannot be reached (`unreachable`), or its schema is not the "
                "revision this version needs (`schema out of date`: run `todo db upgrade`)."
            ),
            "headers": {"Retry-After": {"schema": {"type": "integer"}}},
        }
    },
)
@inject
def ready(
    request: Request,
    check: Annotated[DatabaseCheck, Depends(Provide["database_check"])],
) -> Response:
    """One statement reads the schema revision (run in the threadpool); a 503 logs why."""
    if check.status is DatabaseStatus.OK:
        return json_response(_READY)
    report_unavailable(request, check.summary)
    body = {"status": "unavailable", "database": str(check.status)}
    return json_response(body, status_code=503, headers=HEADERS_BY_STATUS[503])
