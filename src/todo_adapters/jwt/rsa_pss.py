"""RSASSA-PSS (``PS256``) for python-jose, whose RSA keys only do PKCS#1 v1.5 (``RS256``).

Better Auth's ``jwt`` plugin can sign with PS256; python-jose 3.5 has no key
class for it. This one is built on ``cryptography`` and registered with
``jose.jwk.register_key``, as ``eddsa`` does for Ed25519, so no second JWT
library is needed. RFC 7518 section 3.5: SHA-256, MGF1 with SHA-256, and a
salt as long as the hash, both when signing and when verifying.
"""

from __future__ import annotations

import threading
from typing import Any, Final, Self

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from jose import jwk
from jose.backends.base import Key
from jose.backends.cryptography_backend import CryptographyRSAKey
from jose.exceptions import JOSEError, JWKError
from jose.utils import long_to_base64

PS256: Final = "PS256"

_PSS: Final = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)
# python-jose's RSA key class parses PEM, certificates and JWKs; only its padding is wrong.
_PARSE_AS: Final = "RS256"

_register_lock = threading.Lock()


class RsaPssKey(Key):
    """A python-jose ``Key`` signing and verifying ``PS256`` with ``cryptography``.

    Accepts a ``cryptography`` RSA key, a PEM (public, private or a
    certificate) or an RSA JWK, like python-jose's own RSA keys.
    """

    def __init__(self, key: Any, algorithm: str) -> None:
        if algorithm != PS256:
            raise JWKError(f"RsaPssKey only does {PS256}, not {algorithm}")
        self._key: RSAPrivateKey | RSAPublicKey = _load(key)

    def sign(self, msg: bytes) -> bytes:
        """Sign with the private key; a public key cannot sign."""
        if not isinstance(self._key, RSAPrivateKey):
            raise JWKError("An RSA public key cannot sign")
        return self._key.sign(_binary(msg), _PSS, hashes.SHA256())

    def verify(self, msg: bytes, sig: bytes) -> bool:
        """Whether ``sig`` is a valid PS256 signature of ``msg``; never raises on a bad one."""
        try:
            self._public().verify(_binary(sig), _binary(msg), _PSS, hashes.SHA256())
        except (InvalidSignature, TypeError, ValueError):
            return False
        return True

    def is_public(self) -> bool:
        """Whether this key holds only the public half."""
        return isinstance(self._key, RSAPublicKey)

    def public_key(self) -> Self:
        """The public half, as the same kind of key."""
        return type(self)(self._public(), PS256)

    def to_pem(self) -> bytes:
        """PKCS#8 for a private key, SubjectPublicKeyInfo for a public one."""
        pem: bytes = CryptographyRSAKey(self._key, _PARSE_AS).to_pem()
        return pem

    def to_dict(self) -> dict[str, Any]:
        """The RSA JWK with ``alg`` ``PS256``; the private members only for a private key."""
        public = self._public().public_numbers()
        data: dict[str, Any] = {
            "kty": "RSA",
            "alg": PS256,
            "n": _b64(public.n),
            "e": _b64(public.e),
        }
        if isinstance(self._key, RSAPrivateKey):
            private = self._key.private_numbers()
            data |= {
                "d": _b64(private.d),
                "p": _b64(private.p),
                "q": _b64(private.q),
                "dp": _b64(private.dmp1),
                "dq": _b64(private.dmq1),
                "qi": _b64(private.iqmp),
            }
        return data

    def _public(self) -> RSAPublicKey:
        if isinstance(self._key, RSAPrivateKey):
            return self._key.public_key()
        return self._key


def register_ps256() -> None:
    """Make ``PS256`` known to python-jose; safe to call any number of times."""
    with _register_lock:
        if jwk.get_key(PS256) is not RsaPssKey:
            jwk.register_key(PS256, RsaPssKey)


def _load(key: Any) -> RSAPrivateKey | RSAPublicKey:
    if isinstance(key, RsaPssKey):
        return key._key
    if isinstance(key, RSAPrivateKey | RSAPublicKey):
        return key
    if not isinstance(key, dict | str | bytes):
        raise JWKError("Unsupported RSA key material")
    try:
        prepared = CryptographyRSAKey(key, _PARSE_AS).prepared_key
    except (JOSEError, ValueError, TypeError) as exc:
        raise JWKError("Not an RSA key") from exc
    if not isinstance(prepared, RSAPrivateKey | RSAPublicKey):
        raise JWKError("Not an RSA key")
    return prepared


def _b64(value: int) -> str:
    return long_to_base64(value).decode("ascii")


def _binary(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value
