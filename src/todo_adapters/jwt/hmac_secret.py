"""The HS256 shared secret, checked once for both verifying and minting."""

from __future__ import annotations

from typing import Final

from jose.backends.base import Key
from jose.backends.cryptography_backend import CryptographyHMACKey
from jose.exceptions import JOSEError

HS256: Final = "HS256"
MIN_SECRET_BYTES: Final = 32


def hs256_key(secret: str) -> Key:
    """Build the HMAC key, or raise ``ValueError`` with a one-line reason.

    The secret itself never appears in the message.
    """
    raw = secret.encode("utf-8")
    if len(raw) < MIN_SECRET_BYTES:
        raise ValueError(
            f"JWT secret must be at least {MIN_SECRET_BYTES} bytes (UTF-8), got {len(raw)}"
        )
    try:
        return CryptographyHMACKey(raw, HS256)
    except JOSEError:
        raise ValueError(
            "JWT secret looks like a PEM or SSH key; use a random shared secret"
        ) from None
