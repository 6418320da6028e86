"""Who is calling: the bearer credential, verified without blocking the event loop.

``TokenVerifier`` is synchronous. HS256 verification is a few microseconds of
computation and runs inline; with a JWKS configured a token naming an unknown
key may trigger a fetch (up to the JWKS timeout), so verification then runs
in the threadpool. The verified caller brings the database gate
(``todo_http.gate``) its handler runs through.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, NamedTuple, Protocol

from fastapi.security import HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

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
    """What authenticating a caller needs: the container's verifier and use cases, the
    app's gate. Resolved once per app (``app.state.caller_wiring``), not per request."""

    verifier: Verifier
    may_block: bool
    service: TaskService
    gate: DatabaseGate


class BearerAuthentication(HTTPBearer):
    """The one dependency of every task route; also the HTTP bearer scheme in OpenAPI.

    FastAPI's ``HTTPBearer`` parses the header itself (one space only, no
    error for text after the token); here the raw header goes to the
    verifier, which has the exact rules. Being the security scheme and the
    authentication at once, and handing over the use cases with the caller,
    keeps it to one dependency per request: each costs FastAPI a resolution
    pass every time. The app holds the ``Wiring`` (``app.state.caller_wiring``).
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
        wiring: Wiring = request.app.state.caller_wiring
        owner = request.path_params.get("user_id")
        verified = request.scope.get(VERIFIED_USER)
        if isinstance(verified, str):  # the guard verified the token before routing
            actor = verified
            if owner is not None:
                authorize(actor, owner)
        else:
            actor = await authenticate(
                wiring.verifier,
                request.headers.get("authorization"),
                path_owner=owner,
                may_block=wiring.may_block,
            )
        return Caller(actor=actor, owner=owner, service=wiring.service, gate=wiring.gate)


async def authenticate(
    verifier: Verifier,
    authorization: str | None,
    *,
    path_owner: str | None,
    may_block: bool,
) -> str:
    """The acting user: verify the credential (401 errors), then the path's user id (403)."""
    if may_block:
        actor = await run_in_threadpool(verifier.user_id_from_header, authorization)
    else:
        actor = verifier.user_id_from_header(authorization)
    if path_owner is not None:
        authorize(actor, path_owner)
    return actor
