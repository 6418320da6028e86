"""TokenVerifier: from a bearer token to the user id, or a domain error."""

from __future__ import annotations

import functools
import logging
import math
import time
from collections.abc import Callable
from typing import Any, Final

from jose import jwt
from jose.backends.base import Key
from jose.exceptions import JOSEError

from todo_adapters.jwt.claims import JOSE_SIGNATURE_ONLY, check_registered_claims, subject_of
from todo_adapters.jwt.compact import unverified_header
from todo_adapters.jwt.eddsa import register_eddsa
from todo_adapters.jwt.header import bearer_token
from todo_adapters.jwt.hmac_secret import HS256, hs256_key
from todo_adapters.jwt.jwks import JwksCache
from todo_adapters.jwt.keys import ASYMMETRIC_ALGORITHMS
from todo_adapters.jwt.rsa_pss import register_ps256
from todo_core.errors import InvalidToken

logger = logging.getLogger(__name__)

#: Tokens whose signature was checked, remembered with their claims (about 1 KiB each).
VERIFIED_TOKENS_KEPT: Final = 1024


def _signed_claims(token: str, alg: str, key: Key) -> Any:
    """The claims of ``token`` if its signature holds under ``key`` (python-jose)."""
    try:
        return jwt.decode(token, key, algorithms=[alg], options=JOSE_SIGNATURE_ONLY)
    except JOSEError:
        logger.debug("token refused: signature or payload")
        raise InvalidToken() from None
    except (ValueError, TypeError, RecursionError):  # jose lets a few parser errors through
        logger.debug("token refused: unparsable")
        raise InvalidToken() from None


class TokenVerifier:
    """Verifies HS256 tokens with a shared secret and/or EdDSA/ES256/ES512/RS256/PS256 via a JWKS.

    The token's ``alg`` only chooses among the configured modes; the list
    handed to python-jose is always the single algorithm of that mode, with a
    key built for it, so a public key can never be used as an HMAC secret.
    Safe to share between threads.

    A browser sends the same token with every request until it expires, so a
    signature that held is remembered for that exact token and key (an LRU of
    ``VERIFIED_TOKENS_KEPT``): the time claims, issuer and audience are still
    checked on every call, a refused token is never remembered, and a key
    replaced in the JWKS is a new key, so its old tokens are checked again.
    """

    def __init__(
        self,
        *,
        secret: str | None = None,
        jwks_url: str | None = None,
        issuer: str | None = None,
        audience: str | None = None,
        leeway_seconds: float = 30,
        jwks_timeout_seconds: float = 5.0,
        jwks_refresh_interval_seconds: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if secret is None and jwks_url is None:
            raise ValueError(
                "JWT verification needs a shared secret (JWT_SECRET) or a JWKS URL (JWKS_URL)"
            )
        if not (math.isfinite(leeway_seconds) and leeway_seconds >= 0):
            raise ValueError("JWT leeway must be a finite number of seconds >= 0")
        if not (math.isfinite(jwks_timeout_seconds) and jwks_timeout_seconds > 0):
            raise ValueError("JWKS timeout must be a finite number of seconds > 0")
        if not (
            math.isfinite(jwks_refresh_interval_seconds) and jwks_refresh_interval_seconds >= 0
        ):
            raise ValueError("JWKS refresh interval must be a finite number of seconds >= 0")
        self._hmac_key: Key | None = hs256_key(secret) if secret is not None else None
        self._jwks: JwksCache | None = None
        if jwks_url is not None:
            self._jwks = JwksCache(
                url=jwks_url,
                timeout_seconds=jwks_timeout_seconds,
                refresh_interval_seconds=jwks_refresh_interval_seconds,
                monotonic=monotonic,
            )
        self._issuer = issuer
        self._audience = audience
        self._leeway = float(leeway_seconds)
        self._signed_claims = functools.lru_cache(maxsize=VERIFIED_TOKENS_KEPT)(_signed_claims)
        register_eddsa()
        register_ps256()

    def verify(self, token: str) -> str:
        """Return the ``sub`` of a valid token.

        Raises ``InvalidToken`` for anything untrustworthy and
        ``InvalidTokenPayload`` for a trusted token without a usable ``sub``.
        """
        header = unverified_header(token)
        alg, key = self._key_for(header)
        claims = self._signed_claims(token, alg, key)
        if not isinstance(claims, dict):
            raise InvalidToken()
        check_registered_claims(
            claims,
            now=time.time(),
            leeway=self._leeway,
            issuer=self._issuer,
            audience=self._audience,
        )
        return subject_of(claims)

    def user_id_from_header(self, authorization: str | None) -> str:
        """The user id named by an ``Authorization`` header value."""
        return self.verify(bearer_token(authorization))

    def _key_for(self, header: dict[str, Any]) -> tuple[str, Key]:
        # jku, x5u, x5c and an embedded jwk are ignored: keys come only from our config.
        alg = header.get("alg")
        if not isinstance(alg, str):
            raise InvalidToken()
        if alg == HS256 and self._hmac_key is not None:
            return alg, self._hmac_key
        if alg in ASYMMETRIC_ALGORITHMS and self._jwks is not None:
            kid = header.get("kid")
            if not isinstance(kid, str) or not kid:
                raise InvalidToken()
            key = self._jwks.key_for(kid=kid, alg=alg)
            if key is None:
                logger.debug("token refused: no key for its kid")
                raise InvalidToken()
            return alg, key
        logger.debug("token refused: algorithm not accepted")
        raise InvalidToken()
