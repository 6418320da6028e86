"""Bearer-token authentication with python-jose.

HS256 with a shared secret, and a JWKS of EdDSA, ES256, ES512, RS256 or PS256 keys.
"""

from __future__ import annotations

from todo_adapters.jwt.compact import MAX_TOKEN_BYTES
from todo_adapters.jwt.eddsa import Ed25519Key, register_eddsa
from todo_adapters.jwt.header import bearer_token
from todo_adapters.jwt.hmac_secret import MIN_SECRET_BYTES
from todo_adapters.jwt.jwks import JwksCache
from todo_adapters.jwt.minting import mint_hs256_token
from todo_adapters.jwt.rsa_pss import RsaPssKey, register_ps256
from todo_adapters.jwt.verifier import TokenVerifier

__all__ = [
    "MAX_TOKEN_BYTES",
    "MIN_SECRET_BYTES",
    "Ed25519Key",
    "JwksCache",
    "RsaPssKey",
    "TokenVerifier",
    "bearer_token",
    "mint_hs256_token",
    "register_eddsa",
    "register_ps256",
]
