"""Every algorithm Better Auth's jwt plugin signs with: ES512 and PS256 beside the others.

Each key verifies under the one algorithm it was published for, and only
algorithms of the explicit list are ever tried.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from jose import jwk, jwt
from jose.backends.cryptography_backend import CryptographyECKey, CryptographyRSAKey

from todo_adapters.jwt import RsaPssKey, TokenVerifier
from todo_core.errors import InvalidToken

Claims = Callable[..., dict[str, Any]]
Sign = Callable[..., str]


@pytest.fixture
def verifier(jwks_server: Any, clock: Any) -> TokenVerifier:
    return TokenVerifier(jwks_url=jwks_server.url, monotonic=clock)


def _rsa_signer(private: rsa.RSAPrivateKey, pad: padding.AsymmetricPadding) -> Callable[..., bytes]:
    return lambda message: private.sign(message, pad, hashes.SHA256())


def _pss(salt_length: int) -> padding.PSS:
    return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=salt_length)


def _flip_last_signature_byte(token: str) -> str:
    head, payload, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[-1] ^= 0x01
    return f"{head}.{payload}.{base64.urlsafe_b64encode(bytes(raw)).rstrip(b'=').decode()}"


def _swap_payload(token: str, claims: dict[str, Any]) -> str:
    head, _, signature = token.split(".")
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{head}.{payload}.{signature}"


# --- accepted ---------------------------------------------------------------------------


def test_an_es512_token_from_a_p521_key_in_the_jwks_is_accepted(
    verifier: TokenVerifier, p521_key: Any, make_claims: Claims
) -> None:
    published = p521_key.public_jwk()

    token = p521_key.sign(make_claims(sub="es512-user"))

    assert (published["kty"], published["crv"], published["alg"]) == ("EC", "P-521", "ES512")
    assert verifier.verify(token) == "es512-user"


def test_a_ps256_token_from_an_rsa_key_published_for_ps256_is_accepted(
    verifier: TokenVerifier, pss_key: Any, make_claims: Claims
) -> None:
    token = pss_key.sign(make_claims(sub="ps256-user"))

    assert pss_key.public_jwk()["alg"] == "PS256"
    assert verifier.verify(token) == "ps256-user"


def test_a_ps256_token_signed_by_hand_as_rfc_7518_says_is_accepted(
    verifier: TokenVerifier, pss_key: Any, make_claims: Claims, raw_token: Sign
) -> None:
    # SHA-256, MGF1 with SHA-256, a 32-byte salt: what Better Auth (panva/jose) produces.
    header = {"alg": "PS256", "typ": "JWT", "kid": pss_key.kid}

    token = raw_token(header, make_claims(sub="by-hand"), _rsa_signer(pss_key.private, _pss(32)))

    assert verifier.verify(token) == "by-hand"


def test_a_better_auth_jwks_document_with_all_five_keys_serves_each(
    verifier: TokenVerifier, jwks_server: Any, every_key: dict[str, Any], make_claims: Claims
) -> None:
    subjects = {
        alg: verifier.verify(key.sign(make_claims(sub=alg))) for alg, key in every_key.items()
    }

    assert subjects == {alg: alg for alg in ("EdDSA", "ES256", "ES512", "RS256", "PS256")}
    assert jwks_server.fetches == 1


# --- tampered ---------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["ES512", "PS256"])
def test_a_tampered_es512_or_ps256_token_is_invalid(
    verifier: TokenVerifier, every_key: dict[str, Any], make_claims: Claims, alg: str
) -> None:
    token = every_key[alg].sign(make_claims())
    verifier.verify(token)  # the genuine one holds

    with pytest.raises(InvalidToken):
        verifier.verify(_flip_last_signature_byte(token))
    with pytest.raises(InvalidToken):
        verifier.verify(_swap_payload(token, make_claims(sub="mallory")))


def test_a_ps256_signature_with_another_salt_length_is_invalid(
    verifier: TokenVerifier, pss_key: Any, make_claims: Claims, raw_token: Sign
) -> None:
    header = {"alg": "PS256", "typ": "JWT", "kid": pss_key.kid}
    signer = _rsa_signer(pss_key.private, _pss(padding.PSS.MAX_LENGTH))

    with pytest.raises(InvalidToken):
        verifier.verify(raw_token(header, make_claims(), signer))


# --- algorithm confusion ----------------------------------------------------------------


def test_an_rs256_token_under_the_kid_of_a_ps256_key_is_invalid(
    verifier: TokenVerifier, pss_key: Any, make_claims: Claims
) -> None:
    # The right RSA key, the other padding: the key was published for PS256 only.
    token = jwt.encode(
        make_claims(),
        CryptographyRSAKey(pss_key.private, "RS256"),
        algorithm="RS256",
        headers={"kid": pss_key.kid},
    )

    with pytest.raises(InvalidToken):
        verifier.verify(token)


def test_a_ps256_token_under_the_kid_of_an_rs256_key_is_invalid(
    verifier: TokenVerifier, rsa_key: Any, make_claims: Claims
) -> None:
    token = jwt.encode(
        make_claims(),
        RsaPssKey(rsa_key.private, "PS256"),
        algorithm="PS256",
        headers={"kid": rsa_key.kid},
    )

    with pytest.raises(InvalidToken):
        verifier.verify(token)


def test_an_rsa_key_published_without_alg_is_rs256_only(
    jwks_server: Any, pss_key: Any, make_claims: Claims
) -> None:
    bare = {k: v for k, v in pss_key.public_jwk().items() if k != "alg"}
    jwks_server.serve_document({"keys": [bare]})
    verifier = TokenVerifier(jwks_url=jwks_server.url)
    as_rs256 = jwt.encode(
        make_claims(),
        CryptographyRSAKey(pss_key.private, "RS256"),
        algorithm="RS256",
        headers={"kid": pss_key.kid},
    )

    with pytest.raises(InvalidToken):
        verifier.verify(pss_key.sign(make_claims()))
    assert verifier.verify(as_rs256) == "user-1"


@pytest.mark.parametrize(("signer_alg", "published_alg"), [("ES512", "ES256"), ("ES256", "ES512")])
def test_an_ecdsa_token_naming_the_other_curves_key_is_invalid(
    verifier: TokenVerifier,
    every_key: dict[str, Any],
    make_claims: Claims,
    signer_alg: str,
    published_alg: str,
) -> None:
    token = every_key[signer_alg].sign(make_claims(), kid=every_key[published_alg].kid)

    with pytest.raises(InvalidToken):
        verifier.verify(token)


@pytest.mark.parametrize(
    ("alg", "key_of"),
    [
        ("RS384", lambda key: CryptographyRSAKey(key, "RS384")),
        ("RS512", lambda key: CryptographyRSAKey(key, "RS512")),
        ("ES384", None),
    ],
)
def test_a_correctly_signed_token_whose_alg_is_not_in_the_list_is_invalid(
    jwks_server: Any, rsa_key: Any, make_claims: Claims, alg: str, key_of: Any
) -> None:
    if key_of is None:
        private: Any = ec.generate_private_key(ec.SECP384R1())
        signing_key: Any = CryptographyECKey(private, alg)
    else:
        private, signing_key = rsa_key.private, key_of(rsa_key.private)
    public = signing_key.public_key().to_dict()
    jwks_server.serve_document({"keys": [{**public, "kid": "odd", "alg": alg, "use": "sig"}]})
    verifier = TokenVerifier(jwks_url=jwks_server.url)

    token = jwt.encode(make_claims(), signing_key, algorithm=alg, headers={"kid": "odd"})

    with pytest.raises(InvalidToken):
        verifier.verify(token)


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
@pytest.mark.parametrize("signature", [b"", b"x"])
def test_an_unsigned_none_token_is_invalid(
    verifier: TokenVerifier,
    every_key: dict[str, Any],
    make_claims: Claims,
    raw_token: Sign,
    alg: str,
    signature: bytes,
) -> None:
    for key in every_key.values():
        token = raw_token({"alg": alg, "kid": key.kid}, make_claims(), lambda _: signature)
        with pytest.raises(InvalidToken):
            verifier.verify(token)


@pytest.mark.parametrize(
    ("kid", "change"),
    [
        ("pss-as-es512", {"alg": "ES512"}),
        ("pss-as-ps384", {"alg": "PS384"}),
        ("p521-as-es256", {"alg": "ES256"}),
        ("p521-short-x", {"x": "AQAB"}),
        ("p521-as-p384", {"crv": "P-384"}),
        ("pss-list-crv", {"kty": "EC", "crv": ["P-521"]}),
    ],
)
def test_a_jwks_entry_whose_alg_does_not_fit_its_key_is_skipped(
    jwks_server: Any,
    pss_key: Any,
    p521_key: Any,
    make_claims: Claims,
    kid: str,
    change: dict[str, Any],
) -> None:
    base = pss_key if kid.startswith("pss") else p521_key
    entry = {**base.public_jwk(), **change, "kid": kid}
    jwks_server.serve_document({"keys": [entry, p521_key.public_jwk()]})
    verifier = TokenVerifier(jwks_url=jwks_server.url)

    assert verifier.verify(p521_key.sign(make_claims())) == "user-1"
    with pytest.raises(InvalidToken):
        verifier.verify(base.sign(make_claims(), kid=kid))


# --- the PS256 key class ----------------------------------------------------------------


def test_constructing_a_verifier_registers_ps256_with_jose(secret: str) -> None:
    TokenVerifier(secret=secret)

    assert jwk.get_key("PS256") is RsaPssKey


def test_a_ps256_key_round_trips_through_its_jwk_and_pem(pss_key: Any) -> None:
    private = RsaPssKey(pss_key.private, "PS256")
    token = jwt.encode({"sub": "u", "exp": int(time.time()) + 60}, private.to_dict(), "PS256")

    from_jwk = jwt.decode(token, private.public_key().to_dict(), algorithms=["PS256"])
    from_pem = jwt.decode(token, RsaPssKey(private.to_pem(), "PS256"), algorithms=["PS256"])

    assert from_jwk["sub"] == from_pem["sub"] == "u"
    assert private.public_key().to_dict()["alg"] == "PS256"
    assert "d" not in private.public_key().to_dict()
    assert private.public_key().is_public()
    assert not private.is_public()


def test_a_ps256_public_key_cannot_sign_and_refuses_other_material(
    pss_key: Any, p521_key: Any
) -> None:
    public = RsaPssKey(pss_key.private, "PS256").public_key()

    with pytest.raises(Exception, match="cannot sign"):
        public.sign(b"message")
    with pytest.raises(Exception, match="only does PS256"):
        RsaPssKey(pss_key.private, "RS256")
    with pytest.raises(Exception, match="Not an RSA key"):
        RsaPssKey(p521_key.public_pem(), "PS256")
    with pytest.raises(Exception, match="Not an RSA key"):
        RsaPssKey(p521_key.public_jwk(), "PS256")
    assert public.verify(b"message", b"not a signature") is False
