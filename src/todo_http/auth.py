"""Who is calling: the bearer credential, verified without blocking the event loop.

``TokenVerifier`` is synchronous. HS256 verification is a few microseconds of
computation and runs inline; with a JWKS configured a token naming an unknown
key may trigger a fetch (up to the JWKS timeout), so verification then runs
in the threadpool (``verify_token``). It happens once per request, in
``todo_http.guard`` before routing; the route's dependency takes the verified
user from there, checks the path's user id, and hands on the caller with the
use cases and the database gate (``todo_http.gate``) its handler runs through.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, NamedTuple, Protocol

from fastapi.security import HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from todo_core.errors import NotAuthenticated
from todo_core.services import TaskService, authorize
from todo_http.gate import DatabaseGate

#: The ASGI scope key where ``todo_http.guard.ApiGuard`` leaves the ``sub`` it verified.
VERIFIED_USER: Final = "todo_http.user"


class Verifier(Protocol):
    """What this module needs of ``todo_adapters.jwt.TokenVerifier``."""

    def user_id_from_header(self, authorization: str | None) -> str: ...


@dataclass(frozen=True, slots=True)
class Caller:
    """The acting user (the token's ``sub``), the collection addressed, the use cases,
    and the gate they are reached through.

    ``owner`` is ``None`` for the caller's own collection (the short routes).
    """

    actor: str
    owner: str | None
    service: TaskService
    gate: DatabaseGate


class Wiring(NamedTuple):
    """What a caller is handed with: the container's use cases and the app's gate.
    Resolved once per app (``app.state.caller_wiring``), not per request."""

    service: TaskService
    gate: DatabaseGate


class BearerAuthentication(HTTPBearer):
    """The one dependency of every task route; also the HTTP bearer scheme in OpenAPI.

    FastAPI's ``HTTPBearer`` would parse the header itself (one space only, no
    error for text after the token); here the guard has already given the raw
    header to the verifier, which has the exact rules, and this takes the user
    it verified. Being the security scheme and the caller at once, and handing
    over the use cases with it, keeps it to one dependency per request: each
    costs FastAPI a resolution pass every time. The app holds the ``Wiring``
    (``app.state.caller_wiring``).
    """

    def __init__(self) -> None:
        super().__init__(
            scheme_name="bearer",
            bearerFormat="JWT",
            description=(
                "A JWT whose `sub` is the user id: HS256 with the shared secret, or "
                "EdDSA, ES256, ES512, RS256 or PS256 from the configured JWKS. "
                "The scheme name is case-insensitive."
            ),
            auto_error=False,
        )

    async def __call__(self, request: HTTPConnection) -> Caller:  # type: ignore[override]
        actor = request.scope.get(VERIFIED_USER)
        if not isinstance(actor, str):  # every route is under /api, behind the guard
            raise NotAuthenticated()
        owner = request.path_params.get("user_id")
        if owner is not None:
            authorize(actor, owner)
        wiring: Wiring = request.app.state.caller_wiring
        return Caller(actor=actor, owner=owner, service=wiring.service, gate=wiring.gate)


async def verify_token(verifier: Verifier, authorization: str | None, *, may_block: bool) -> str:
    """The token's user id (401 errors), in the threadpool when verifying ``may_block``."""
    if may_block:
        return await run_in_threadpool(verifier.user_id_from_header, authorization)
    return verifier.user_id_from_header(authorization)
