"""HS256 tokens for frontends, scripts and tests that share the secret."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from jose import jwt

from todo_adapters.jwt.hmac_secret import HS256, hs256_key


def mint_hs256_token(
    *,
    secret: str,
    subject: str,
    ttl_seconds: int = 3600,
    email: str | None = None,
    issuer: str | None = None,
    audience: str | None = None,
    now: Callable[[], float] = time.time,
) -> str:
    """Sign ``sub``/``iat``/``exp`` (plus the optional claims) with the shared secret.

    A negative ``ttl_seconds`` yields an already expired token, which tests
    want; the secret rules are the verifier's (``ValueError`` if too short).
    """
    key = hs256_key(secret)
    issued_at = int(now())
    claims: dict[str, Any] = {"sub": subject, "iat": issued_at, "exp": issued_at + ttl_seconds}
    if email is not None:
        claims["email"] = email
    if issuer is not None:
        claims["iss"] = issuer
    if audience is not None:
        claims["aud"] = audience
    return jwt.encode(claims, key, algorithm=HS256)
