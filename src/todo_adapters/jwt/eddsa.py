"""Ed25519 (``EdDSA``) for python-jose, which has no key class of its own for it."""

from __future__ import annotations

import threading
from typing import Any, Final, Self

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from jose import jwk
from jose.backends.base import Key
from jose.exceptions import JWKError
from jose.utils import base64url_decode, base64url_encode

EDDSA: Final = "EdDSA"

_register_lock = threading.Lock()


class Ed25519Key(Key):
    """A python-jose ``Key`` over ``cryptography``'s Ed25519.

    Accepts a ``cryptography`` Ed25519 key, a PEM (public or private) or an
    OKP JWK, so ``jose.jwk.construct(..., "EdDSA")`` and ``jose.jwt.encode``
    work once the class is registered.
    """

    def __init__(self, key: Any, algorithm: str) -> None:
        if algorithm != EDDSA:
            raise JWKError(f"Ed25519Key only does {EDDSA}, not {algorithm}")
        self._key: Ed25519PrivateKey | Ed25519PublicKey = _load(key)

    def sign(self, msg: bytes) -> bytes:
        """Sign with the private key; a public key cannot sign."""
        if not isinstance(self._key, Ed25519PrivateKey):
            raise JWKError("An Ed25519 public key cannot sign")
        return self._key.sign(_binary(msg))

    def verify(self, msg: bytes, sig: bytes) -> bool:
        """Return whether ``sig`` is a valid signature of ``msg``; never raises on a bad one."""
        try:
            self._public().verify(_binary(sig), _binary(msg))
        except (InvalidSignature, TypeError, ValueError):
            return False
        return True

    def is_public(self) -> bool:
        """Whether this key holds only the public half."""
        return isinstance(self._key, Ed25519PublicKey)

    def public_key(self) -> Self:
        """The public half, as the same kind of key."""
        return type(self)(self._public(), EDDSA)

    def to_pem(self) -> bytes:
        """PKCS#8 for a private key, SubjectPublicKeyInfo for a public one."""
        if isinstance(self._key, Ed25519PrivateKey):
            return self._key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        return self._key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def to_dict(self) -> dict[str, Any]:
        """The OKP JWK (RFC 8037); ``d`` only for a private key."""
        data: dict[str, Any] = {
            "kty": "OKP",
            "crv": "Ed25519",
            "alg": EDDSA,
            "x": _b64(_raw_public(self._public())),
        }
        if isinstance(self._key, Ed25519PrivateKey):
            data["d"] = _b64(
                self._key.private_bytes(
                    serialization.Encoding.Raw,
                    serialization.PrivateFormat.Raw,
                    serialization.NoEncryption(),
                )
            )
        return data

    def _public(self) -> Ed25519PublicKey:
        if isinstance(self._key, Ed25519PrivateKey):
            return self._key.public_key()
        return self._key


def register_eddsa() -> None:
    """Make ``EdDSA`` known to python-jose; safe to call any number of times."""
    with _register_lock:
        if jwk.get_key(EDDSA) is not Ed25519Key:
            jwk.register_key(EDDSA, Ed25519Key)


def _load(key: Any) -> Ed25519PrivateKey | Ed25519PublicKey:
    if isinstance(key, Ed25519Key):
        return key._key
    if isinstance(key, Ed25519PrivateKey | Ed25519PublicKey):
        return key
    if isinstance(key, dict):
        return _from_jwk(key)
    if isinstance(key, str | bytes):
        return _from_pem(_binary(key))
    raise JWKError("Unsupported Ed25519 key material")


def _from_pem(pem: bytes) -> Ed25519PrivateKey | Ed25519PublicKey:
    loaded: object
    try:
        loaded = serialization.load_pem_public_key(pem)
    except ValueError:
        try:
            loaded = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError) as exc:
            raise JWKError("Not an Ed25519 PEM key") from exc
    if not isinstance(loaded, Ed25519PrivateKey | Ed25519PublicKey):
        raise JWKError("Not an Ed25519 key")
    return loaded


def _from_jwk(data: dict[str, Any]) -> Ed25519PrivateKey | Ed25519PublicKey:
    if data.get("kty") != "OKP" or data.get("crv") != "Ed25519":
        raise JWKError("Not an OKP Ed25519 JWK")
    try:
        public = Ed25519PublicKey.from_public_bytes(_unb64(data.get("x")))
        if "d" not in data:
            return public
        private = Ed25519PrivateKey.from_private_bytes(_unb64(data["d"]))
    except ValueError as exc:
        raise JWKError("Malformed Ed25519 JWK") from exc
    if _raw_public(private.public_key()) != _raw_public(public):
        raise JWKError("Ed25519 JWK: d does not match x")
    return private


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _unb64(value: object) -> bytes:
    if not isinstance(value, str):
        raise ValueError("JWK member is not a string")
    decoded: bytes = base64url_decode(value.rstrip("=").encode("ascii"))
    return decoded


def _b64(raw: bytes) -> str:
    encoded: bytes = base64url_encode(raw)
    return encoded.decode("ascii")


def _binary(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value
