"""The ``Annotated`` dependencies handlers declare, wired to the container.

``Provide`` here is dependency-injector's marker with an ``async`` call:
FastAPI then resolves the marker in the event loop instead of sending a
no-op to the threadpool for every injected service of every request
(``@inject`` swaps the marker for the provided object either way).

A task route has one dependency, the caller (``BearerAuthentication``, which
is also the OpenAPI security scheme): it takes the user the guard verified
before routing, and the use cases it hands on are resolved once per app by
``resolve_wiring`` rather than as FastAPI sub-dependencies, because every
FastAPI dependency costs a resolution pass on every request (and
dependency-injector's ``@inject`` one more).
"""

from typing import TYPE_CHECKING, Annotated

from dependency_injector import wiring
from dependency_injector.wiring import inject
from fastapi import Depends

from todo_core.services import TaskService
from todo_http.auth import BearerAuthentication, Caller, Wiring
from todo_http.gate import DatabaseGate

if TYPE_CHECKING:
    Provide = wiring.Provide
else:

    class Provide(wiring.Provide):
        """``wiring.Provide`` that FastAPI awaits inline (see the module docstring)."""

        async def __call__(self) -> "Provide":
            return self


@inject
def resolve_wiring(gate: DatabaseGate, service: TaskService = Provide["task_service"]) -> Wiring:
    """What the caller dependency hands on, from the wired container (once per app)."""
    return Wiring(service, gate)


#: 401 unless the bearer token is valid; 403 if the path names another user.
BEARER = BearerAuthentication()

CurrentCaller = Annotated[Caller, Depends(BEARER)]
