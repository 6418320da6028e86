"""Turning one JWKS entry into a verification key, or skipping it.

Every asymmetric algorithm Better Auth's ``jwt`` plugin signs with is
accepted, each bound to one key type: EdDSA (OKP Ed25519), ES256 (EC P-256),
ES512 (EC P-521), RS256 and PS256 (RSA, at least 2048 bits). An RSA key names
its algorithm with ``alg`` (Better Auth always does); without one it is taken
as RS256, so one key never verifies under two paddings.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from typing import Final

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from jose.backends.base import Key
from jose.backends.cryptography_backend import CryptographyECKey, CryptographyRSAKey
from jose.exceptions import JOSEError

from todo_adapters.jwt.eddsa import EDDSA, Ed25519Key
from todo_adapters.jwt.rsa_pss import PS256, RsaPssKey

ES256: Final = "ES256"
ES512: Final = "ES512"
RS256: Final = "RS256"
#: The explicit list of accepted JWKS algorithms; a token's ``alg`` only picks among them.
ASYMMETRIC_ALGORITHMS: Final = frozenset({EDDSA, ES256, ES512, RS256, PS256})
MIN_RSA_BITS: Final = 2048

#: EC curve name -> (algorithm, curve, coordinate size in bytes).
_EC_CURVES: Final[dict[object, tuple[str, ec.EllipticCurve, int]]] = {
    "P-256": (ES256, ec.SECP256R1(), 32),
    "P-521": (ES512, ec.SECP521R1(), 66),
}

_B64URL: Final = re.compile(r"[A-Za-z0-9_-]*")

logger = logging.getLogger(__name__)


def key_from_jwk(entry: object) -> tuple[str, str, Key] | None:
    """Return ``(kid, alg, public key)`` for a usable signing JWK, else ``None``.

    Only the public members are read (a stray ``d`` is ignored), the algorithm
    must agree with the key type, and anything unexpected skips the entry so
    one odd key never breaks the whole set.
    """
    if not isinstance(entry, dict):
        return None
    kid = entry.get("kid")
    if not isinstance(kid, str) or not kid:
        return None
    if entry.get("use", "sig") != "sig":
        return None
    alg = _algorithm_for(entry)
    if alg is None:
        logger.debug("JWKS key %r skipped: unsupported kty/alg", kid)
        return None
    try:
        key = _build(entry, alg)
    except (ValueError, TypeError, JOSEError, UnsupportedAlgorithm):
        logger.warning("JWKS key %r skipped: malformed", kid)
        return None
    if key is None:
        logger.warning("JWKS key %r skipped: too weak", kid)
        return None
    return kid, alg, key


def _algorithm_for(entry: dict[object, object]) -> str | None:
    kty, crv = entry.get("kty"), entry.get("crv")
    if kty == "OKP" and crv == "Ed25519":
        allowed: tuple[str, ...] = (EDDSA,)
    elif kty == "EC" and isinstance(crv, str) and crv in _EC_CURVES:
        allowed = (_EC_CURVES[crv][0],)
    elif kty == "RSA":
        allowed = (RS256, PS256)
    else:
        return None
    declared = entry.get("alg", allowed[0])
    return declared if isinstance(declared, str) and declared in allowed else None


def _build(entry: dict[object, object], alg: str) -> Key | None:
    if alg == EDDSA:
        return Ed25519Key(Ed25519PublicKey.from_public_bytes(_member(entry, "x")), EDDSA)
    if alg in (ES256, ES512):
        _, curve, size = _EC_CURVES[entry.get("crv")]
        x, y = _member(entry, "x"), _member(entry, "y")
        if len(x) != size or len(y) != size:
            raise ValueError(f"{curve.name} coordinates must be {size} bytes")
        numbers = ec.EllipticCurvePublicNumbers(
            int.from_bytes(x, "big"), int.from_bytes(y, "big"), curve
        )
        return CryptographyECKey(numbers.public_key(), alg)
    n = int.from_bytes(_member(entry, "n"), "big")
    e = int.from_bytes(_member(entry, "e"), "big")
    public = rsa.RSAPublicNumbers(e, n).public_key()
    if public.key_size < MIN_RSA_BITS:
        return None
    if alg == PS256:
        return RsaPssKey(public, PS256)
    return CryptographyRSAKey(public, RS256)


def _member(entry: dict[object, object], name: str) -> bytes:
    value = entry.get(name)
    if not isinstance(value, str):
        raise ValueError(f"JWK member {name} missing")
    value = value.rstrip("=")
    if not value or _B64URL.fullmatch(value) is None:
        raise ValueError(f"JWK member {name} is not base64url")
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except binascii.Error as exc:
        raise ValueError(f"JWK member {name} is not base64url") from exc
