"""Bearer-token authentication with python-jose: HS256 and a JWKS (EdDSA, ES256, RS256)."""

from __future__ import annotations

from todo_adapters.jwt.compact import MAX_TOKEN_BYTES
from todo_adapters.jwt.eddsa import Ed25519Key, register_eddsa
from todo_adapters.jwt.header import bearer_token
from todo_adapters.jwt.hmac_secret import MIN_SECRET_BYTES
from todo_adapters.jwt.jwks import JwksCache
from todo_adapters.jwt.minting import mint_hs256_token
from todo_adapters.jwt.verifier import TokenVerifier

__all__ = [
    "MAX_TOKEN_BYTES",
    "MIN_SECRET_BYTES",
    "Ed25519Key",
    "JwksCache",
    "TokenVerifier",
    "bearer_token",
    "mint_hs256_token",
    "register_eddsa",
]
