"""The two route shapes: ``/api/tasks...`` and ``/api/{user_id}/tasks...``.

``/api/tasks/...`` always means the short shape, so a ``user_id`` path
segment never matches the literal ``tasks`` (a user whose id is ``tasks``
uses the short routes).
"""

from __future__ import annotations

import re
from typing import Final

from fastapi.routing import APIRoute
from starlette.convertors import StringConvertor, register_url_convertor

_CONVERTOR: Final = re.compile(r"\{(\w+):\w+\}")
OWNER_CONVERTOR: Final = "owner"
SHORT_PREFIX: Final = "/api"
LONG_PREFIX: Final = f"/api/{{user_id:{OWNER_CONVERTOR}}}"


TASK_ID_CONVERTOR: Final = "task_id"
#: The collection's own sub-resources: never a task id.
SUB_RESOURCES: Final = ("stats", "tags", "changes")
#: ``/tasks/{task_id}`` routes, with the segment matched by ``TaskIdConvertor``.
TASK_PATH: Final = f"/tasks/{{task_id:{TASK_ID_CONVERTOR}}}"


class OwnerConvertor(StringConvertor):
    """A path segment other than ``tasks``."""

    regex = "(?!tasks/)[^/]+"


class TaskIdConvertor(StringConvertor):
    """A path segment other than ``stats``, ``tags`` or ``changes``.

    So ``DELETE /api/tasks/stats`` is a 405 naming what ``/api/tasks/stats``
    takes (``GET``), not a 422 on a task id; any other segment still reaches
    the task routes, where one that is not a UUID is a 422 (API.md section 4).
    """

    regex = f"(?!(?:{'|'.join(SUB_RESOURCES)})(?:/|$))[^/]+"


def register_owner_convertor() -> None:
    """Make ``{user_id:owner}`` and ``{task_id:task_id}`` known to Starlette (idempotent)."""
    register_url_convertor(OWNER_CONVERTOR, OwnerConvertor())
    register_url_convertor(TASK_ID_CONVERTOR, TaskIdConvertor())


def short_operation_id(route: APIRoute) -> str:
    """``list_tasks``..."""
    return route.name


def long_operation_id(route: APIRoute) -> str:
    """``list_tasks_by_user_id``..."""
    return f"{route.name}_by_user_id"


def route_template(route_path: str) -> str:
    """The template a request matched, as API.md writes it (``{user_id}``, ``{task_id}``)."""
    return _CONVERTOR.sub(r"{\1}", route_path)


def shape_free(route_path: str) -> str:
    """A task route's path after its shape's prefix (``/tasks/{task_id:task_id}``): the
    same for ``/api/...`` and ``/api/{user_id}/...``."""
    for prefix in (LONG_PREFIX, SHORT_PREFIX):  # the long one starts with the short one
        if route_path.startswith(prefix + "/"):
            return route_path.removeprefix(prefix)
    return route_path


# The task routes name ``{task_id:task_id}`` when ``routes`` is imported, so the
# convertors are registered with this module (a registry entry, nothing more).
register_owner_convertor()
