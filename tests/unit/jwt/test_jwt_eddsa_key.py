"""The Ed25519 key class that teaches python-jose EdDSA (RFC 8037)."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from jose import jwk, jws, jwt
from jose.exceptions import JWKError
from jose.utils import base64url_decode

from todo_adapters.jwt import Ed25519Key, register_eddsa

# RFC 8037, appendix A.1 and A.4.
RFC8037_PUBLIC_JWK = {
    "kty": "OKP",
    "crv": "Ed25519",
    "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
}
RFC8037_PRIVATE_D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
RFC8037_JWS = (
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"
    ".hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
)


def test_the_rfc_8037_example_signature_verifies_through_jose() -> None:
    payload = jws.verify(RFC8037_JWS, Ed25519Key(RFC8037_PUBLIC_JWK, "EdDSA"), ["EdDSA"])

    assert payload == b"Example of Ed25519 signing"


def test_signing_the_rfc_8037_example_gives_its_deterministic_signature() -> None:
    key = Ed25519Key({**RFC8037_PUBLIC_JWK, "d": RFC8037_PRIVATE_D}, "EdDSA")

    signing_input, _, signature = RFC8037_JWS.rpartition(".")

    produced = key.sign(signing_input.encode())

    assert produced == base64url_decode(signature.encode())


def test_a_registered_eddsa_token_round_trips_through_jose_jwt_by_jwk_dict() -> None:
    register_eddsa()
    private = Ed25519Key(ed25519.Ed25519PrivateKey.generate(), "EdDSA")

    token = jwt.encode({"sub": "u"}, private.to_dict(), algorithm="EdDSA")
    decoded = jwt.decode(token, private.public_key().to_dict(), algorithms=["EdDSA"])

    assert decoded == {"sub": "u"}


def test_jose_constructs_the_registered_class_for_eddsa() -> None:
    register_eddsa()
    register_eddsa()

    key = jwk.construct(RFC8037_PUBLIC_JWK, "EdDSA")

    assert isinstance(key, Ed25519Key)


def test_a_signature_by_another_key_does_not_verify() -> None:
    signer = Ed25519Key(ed25519.Ed25519PrivateKey.generate(), "EdDSA")
    other = Ed25519Key(ed25519.Ed25519PrivateKey.generate(), "EdDSA").public_key()

    assert other.verify(b"message", signer.sign(b"message")) is False
    assert signer.public_key().verify(b"message", signer.sign(b"message")) is True


@pytest.mark.parametrize("signature", [b"", b"\x00" * 64, b"\x01" * 63, b"\x02" * 65])
def test_a_malformed_signature_is_false_not_an_exception(signature: bytes) -> None:
    key = Ed25519Key(RFC8037_PUBLIC_JWK, "EdDSA")

    assert key.verify(b"Example of Ed25519 signing", signature) is False


def test_a_public_key_cannot_sign() -> None:
    key = Ed25519Key(RFC8037_PUBLIC_JWK, "EdDSA")

    with pytest.raises(JWKError):
        key.sign(b"message")


def test_the_public_jwk_carries_no_private_member_and_the_private_one_does() -> None:
    private = Ed25519Key({**RFC8037_PUBLIC_JWK, "d": RFC8037_PRIVATE_D}, "EdDSA")

    public_dict = private.public_key().to_dict()
    private_dict = private.to_dict()

    assert public_dict == {**RFC8037_PUBLIC_JWK, "alg": "EdDSA"}
    assert private_dict["d"] == RFC8037_PRIVATE_D
    assert private.public_key().is_public()
    assert not private.is_public()


def test_a_pem_round_trip_keeps_the_key() -> None:
    private = Ed25519Key(ed25519.Ed25519PrivateKey.generate(), "EdDSA")

    from_private_pem = Ed25519Key(private.to_pem(), "EdDSA")
    from_public_pem = Ed25519Key(private.public_key().to_pem().decode(), "EdDSA")

    assert from_private_pem.to_dict() == private.to_dict()
    assert from_public_pem.to_dict() == private.public_key().to_dict()


@pytest.mark.parametrize(
    "material",
    [
        {"kty": "OKP", "crv": "X25519", "x": RFC8037_PUBLIC_JWK["x"]},
        {"kty": "EC", "crv": "Ed25519", "x": RFC8037_PUBLIC_JWK["x"]},
        {"kty": "OKP", "crv": "Ed25519", "x": "AAAA"},
        {"kty": "OKP", "crv": "Ed25519"},
        {"kty": "OKP", "crv": "Ed25519", "x": 12},
        {**RFC8037_PUBLIC_JWK, "d": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
        b"-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n",
        12345,
    ],
)
def test_material_that_is_not_an_ed25519_key_is_a_jwk_error(material: Any) -> None:
    with pytest.raises(JWKError):
        Ed25519Key(material, "EdDSA")


def test_a_p256_pem_is_not_an_ed25519_key(p256_key: Any) -> None:
    with pytest.raises(JWKError):
        Ed25519Key(p256_key.public_pem(), "EdDSA")


def test_the_key_class_only_does_eddsa() -> None:
    with pytest.raises(JWKError):
        Ed25519Key(RFC8037_PUBLIC_JWK, "ES256")
