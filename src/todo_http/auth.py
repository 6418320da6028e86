"""Who is calling: the bearer credential, verified without blocking the event loop.

``TokenVerifier`` is synchronous. HS256 verification is a few microseconds of
computation and runs inline; with a JWKS configured a token naming an unknown
key may trigger a fetch (up to the JWKS timeout), so verification then runs
in the threadpool.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from fastapi.security import HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from todo_core.services import authorize


class Verifier(Protocol):
    """What this module needs of ``todo_adapters.jwt.TokenVerifier``."""

    def user_id_from_header(self, authorization: str | None) -> str: ...


@dataclass(frozen=True, slots=True)
class Principal:
    """The acting user (the token's ``sub``) and the collection addressed (``None``: their own)."""

    actor: str
    owner: str | None


class BearerAuthentication(HTTPBearer):
    """The principal dependency; also declares the HTTP bearer scheme in OpenAPI.

    FastAPI's ``HTTPBearer`` parses the header itself (one space only, no
    error for text after the token); here the raw header goes to the
    verifier, which has the exact rules. Being the security scheme and the
    authentication at once keeps it to one dependency per request.
    ``resolve`` returns the verifier and whether it may block (the container's,
    injected by the caller).
    """

    def __init__(self, *, resolve: Callable[[], tuple[Verifier, bool]]) -> None:
        super().__init__(
            scheme_name="bearer",
            bearerFormat="JWT",
            description=(
                "A JWT whose `sub` is the user id: HS256 with the shared secret, or "
                "EdDSA/ES256/RS256 from the configured JWKS. The scheme name is case-insensitive."
            ),
            auto_error=False,
        )
        self._resolve = resolve

    async def __call__(self, request: HTTPConnection) -> Principal:  # type: ignore[override]
        verifier, may_block = self._resolve()
        return await authenticate(
            verifier,
            request.headers.get("authorization"),
            path_owner=request.path_params.get("user_id"),
            may_block=may_block,
        )


async def authenticate(
    verifier: Verifier,
    authorization: str | None,
    *,
    path_owner: str | None,
    may_block: bool,
) -> Principal:
    """Verify the credential (401 errors), then check the path's user id against it (403)."""
    if may_block:
        actor = await run_in_threadpool(verifier.user_id_from_header, authorization)
    else:
        actor = verifier.user_id_from_header(authorization)
    if path_owner is not None:
        authorize(actor, path_owner)
    return Principal(actor=actor, owner=path_owner)
