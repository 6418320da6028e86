"""The registered claims and ``sub``, checked after the signature.

python-jose's own claim checks are switched off: they coerce with ``int()``
(so ``"iat": "123"`` passes and ``"exp": null`` raises ``TypeError``), refuse
any ``aud`` when no audience is configured, and read the wall clock directly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

from todo_core.errors import InvalidToken, InvalidTokenPayload
from todo_core.model import USER_ID_MAX_LENGTH, is_valid_user_id

MAX_SUBJECT_LENGTH: Final = USER_ID_MAX_LENGTH

JOSE_SIGNATURE_ONLY: Final[Mapping[str, bool]] = {
    "verify_signature": True,
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,
    "verify_iss": False,
    "verify_sub": False,
    "verify_jti": False,
    "verify_at_hash": False,
}


def check_registered_claims(
    claims: Mapping[str, Any],
    *,
    now: float,
    leeway: float,
    issuer: str | None,
    audience: str | None,
) -> None:
    """Raise ``InvalidToken`` unless exp/nbf/iat/iss/aud are acceptable at ``now``."""
    exp = _numeric_date(claims, "exp")
    if exp is None or exp <= now - leeway:
        raise InvalidToken()
    if "nbf" in claims:
        nbf = _numeric_date(claims, "nbf")
        if nbf is None or nbf > now + leeway:
            raise InvalidToken()
    if "iat" in claims and _numeric_date(claims, "iat") is None:
        raise InvalidToken()
    if issuer is not None and claims.get("iss") != issuer:
        raise InvalidToken()
    if audience is not None and not _names_audience(claims.get("aud"), audience):
        raise InvalidToken()


def subject_of(claims: Mapping[str, Any]) -> str:
    """The user id: a string of 1-255 characters the storage can hold (the core's rule).

    Decided here, once, for every route and the MCP tools alike: a ``sub``
    with NUL, another control character or a lone surrogate is an invalid
    payload, never a 422 on a field the client did not send.
    """
    sub = claims.get("sub")
    if not is_valid_user_id(sub):
        raise InvalidTokenPayload()
    assert isinstance(sub, str)
    return sub


def _numeric_date(claims: Mapping[str, Any], name: str) -> int | float | None:
    # Comparisons only, no arithmetic on the claim: a huge int stays exact.
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _names_audience(aud: object, audience: str) -> bool:
    if isinstance(aud, str):
        return aud == audience
    if isinstance(aud, list) and all(isinstance(item, str) for item in aud):
        return audience in aud
    return False
