"""A router's routes added to the app's own, under a prefix: matched once per request.

FastAPI 0.165's ``include_router`` keeps the router whole behind an
``_IncludedRouter``, which matches each request twice (once to choose the
router, again to choose its route), with scope bookkeeping around every
route it tries: 118 us per ``PATCH /api/tasks/{task_id}``, against 45 us for
the same routes in the app's own list (``timeit`` of the matching alone),
about 4% of the request's CPU. ``add_routes`` adds each route with
``add_api_route``, as ``include_router`` did before, so FastAPI builds the
same routes, dependencies and OpenAPI operations.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

from fastapi import APIRouter
from fastapi.routing import APIRoute


def add_routes(
    target: APIRouter,
    source: APIRouter,
    *,
    prefix: str,
    tags: list[str | Enum],
    generate_unique_id_function: Callable[[APIRoute], str],
) -> None:
    """Every ``APIRoute`` of ``source`` added to ``target`` at ``prefix`` + its path."""
    for route in source.routes:
        if not isinstance(route, APIRoute):
            raise TypeError(f"only API routes can be added flat, not {route!r}")
        target.add_api_route(
            prefix + route.path,
            route.endpoint,
            response_model=route.response_model,
            status_code=route.status_code,
            tags=[*route.tags, *tags],
            dependencies=route.dependencies,
            summary=route.summary,
            description=route.description,
            response_description=route.response_description,
            responses=route.responses,
            deprecated=route.deprecated,
            methods=route.methods,
            operation_id=route.operation_id,
            response_model_include=route.response_model_include,
            response_model_exclude=route.response_model_exclude,
            response_model_by_alias=route.response_model_by_alias,
            response_model_exclude_unset=route.response_model_exclude_unset,
            response_model_exclude_defaults=route.response_model_exclude_defaults,
            response_model_exclude_none=route.response_model_exclude_none,
            include_in_schema=route.include_in_schema,
            response_class=route.response_class,
            name=route.name,
            callbacks=route.callbacks,
            openapi_extra=route.openapi_extra,
            generate_unique_id_function=generate_unique_id_function,
        )
