"""The two route shapes: ``/api/tasks...`` and ``/api/{user_id}/tasks...``.

``/api/tasks/...`` always means the short shape, so a ``user_id`` path
segment never matches the literal ``tasks`` (a user whose id is ``tasks``
uses the short routes).
"""

from __future__ import annotations

from typing import Final

from fastapi.routing import APIRoute
from starlette.convertors import StringConvertor, register_url_convertor

OWNER_CONVERTOR: Final = "owner"
SHORT_PREFIX: Final = "/api"
LONG_PREFIX: Final = f"/api/{{user_id:{OWNER_CONVERTOR}}}"


class OwnerConvertor(StringConvertor):
    """A path segment other than ``tasks``."""

    regex = "(?!tasks/)[^/]+"


def register_owner_convertor() -> None:
    """Make ``{user_id:owner}`` known to Starlette (idempotent)."""
    register_url_convertor(OWNER_CONVERTOR, OwnerConvertor())


def short_operation_id(route: APIRoute) -> str:
    """``list_tasks``..."""
    return route.name


def long_operation_id(route: APIRoute) -> str:
    """``list_tasks_by_user_id``..."""
    return f"{route.name}_by_user_id"


def route_template(request_path: str, route_path: str) -> str:
    """The full template a request matched (FastAPI reports it without the router prefix)."""
    if not route_path.startswith("/tasks"):
        return route_path
    if request_path.startswith(SHORT_PREFIX + "/tasks"):
        return SHORT_PREFIX + route_path
    return "/api/{user_id}" + route_path
