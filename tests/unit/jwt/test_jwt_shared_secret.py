"""HS256 with the shared secret: signature, structure, registered claims and sub."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from jose import jwt

from todo_adapters.jwt import MAX_TOKEN_BYTES, TokenVerifier, mint_hs256_token
from todo_core.errors import InvalidToken, InvalidTokenPayload, NotAuthenticated

Claims = Callable[..., dict[str, Any]]
Sign = Callable[..., str]


@pytest.fixture
def verifier(secret: str) -> TokenVerifier:
    return TokenVerifier(secret=secret)


# --- minting and the happy path ---------------------------------------------------------


def test_a_minted_token_verifies_to_its_subject(verifier: TokenVerifier, secret: str) -> None:
    token = mint_hs256_token(secret=secret, subject="user-42")

    assert verifier.verify(token) == "user-42"


def test_minting_writes_iat_exp_and_the_optional_claims_from_the_given_clock(secret: str) -> None:
    token = mint_hs256_token(
        secret=secret,
        subject="user-42",
        ttl_seconds=60,
        email="a@example.com",
        issuer="https://app.example.com",
        audience="todo-api",
        now=lambda: 1_700_000_000.9,
    )

    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert jwt.get_unverified_claims(token) == {
        "sub": "user-42",
        "iat": 1_700_000_000,
        "exp": 1_700_000_060,
        "email": "a@example.com",
        "iss": "https://app.example.com",
        "aud": "todo-api",
    }


def test_a_minted_token_with_issuer_and_audience_passes_a_strict_verifier(secret: str) -> None:
    strict = TokenVerifier(secret=secret, issuer="https://app.example.com", audience="todo-api")
    token = mint_hs256_token(
        secret=secret, subject="u", issuer="https://app.example.com", audience="todo-api"
    )

    assert strict.verify(token) == "u"


def test_a_minted_token_with_a_negative_ttl_is_already_expired(
    verifier: TokenVerifier, secret: str
) -> None:
    token = mint_hs256_token(secret=secret, subject="u", ttl_seconds=-3600)

    with pytest.raises(InvalidToken):
        verifier.verify(token)


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_the_user_id_comes_from_the_header_whatever_the_scheme_case(
    verifier: TokenVerifier, secret: str, scheme: str
) -> None:
    token = mint_hs256_token(secret=secret, subject="user-7")

    assert verifier.user_id_from_header(f"{scheme} {token}") == "user-7"


@pytest.mark.parametrize("header", [None, "", "Basic dTpw", "Bearer", "Bearer   "])
def test_a_header_without_a_bearer_token_is_not_authenticated(
    verifier: TokenVerifier, header: str | None
) -> None:
    with pytest.raises(NotAuthenticated):
        verifier.user_id_from_header(header)


def test_text_after_a_valid_token_in_the_header_is_an_invalid_token(
    verifier: TokenVerifier, secret: str
) -> None:
    token = mint_hs256_token(secret=secret, subject="u")

    with pytest.raises(InvalidToken):
        verifier.user_id_from_header(f"Bearer {token} trailing")


def test_text_glued_after_a_valid_token_is_an_invalid_token(
    verifier: TokenVerifier, secret: str
) -> None:
    token = mint_hs256_token(secret=secret, subject="u")

    with pytest.raises(InvalidToken):
        verifier.verify(token + ".extra")


# --- signature and algorithm ------------------------------------------------------------


def test_a_token_signed_with_another_secret_is_invalid(
    verifier: TokenVerifier, make_claims: Claims, sign_hs256: Sign
) -> None:
    token = sign_hs256(make_claims(), secret="another-secret-of-at-least-32-bytes!")

    with pytest.raises(InvalidToken):
        verifier.verify(token)


def test_a_tampered_payload_is_invalid(
    verifier: TokenVerifier, make_claims: Claims, sign_hs256: Sign
) -> None:
    header, _, signature = sign_hs256(make_claims(sub="alice")).split(".")
    forged_payload = sign_hs256(make_claims(sub="mallory")).split(".")[1]

    with pytest.raises(InvalidToken):
        verifier.verify(f"{header}.{forged_payload}.{signature}")


def test_a_tampered_signature_is_invalid(
    verifier: TokenVerifier, make_claims: Claims, sign_hs256: Sign
) -> None:
    header, payload, signature = sign_hs256(make_claims()).split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]

    with pytest.raises(InvalidToken):
        verifier.verify(f"{header}.{payload}.{flipped}")


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
@pytest.mark.parametrize("signature", [b"", b"not-a-signature"])
def test_alg_none_is_invalid(
    verifier: TokenVerifier,
    make_claims: Claims,
    raw_token: Sign,
    alg: str,
    signature: bytes,
) -> None:
    token = raw_token({"alg": alg, "typ": "JWT"}, make_claims(), lambda _: signature)

    with pytest.raises(InvalidToken):
        verifier.verify(token)


@pytest.mark.parametrize("alg", ["HS384", "HS512"])
def test_another_hmac_algorithm_with_the_right_secret_is_invalid(
    verifier: TokenVerifier, make_claims: Claims, secret: str, alg: str
) -> None:
    token = jwt.encode(make_claims(), secret, algorithm=alg)

    with pytest.raises(InvalidToken):
        verifier.verify(token)


@pytest.mark.parametrize("alg", ["EdDSA", "ES256", "RS256", "PS256", "hs256", ""])
def test_an_algorithm_outside_the_configured_modes_is_invalid(
    verifier: TokenVerifier,
    make_claims: Claims,
    raw_token: Sign,
    hs256_signer: Callable[[bytes], Callable[[bytes], bytes]],
    secret: str,
    alg: str,
) -> None:
    token = raw_token({"alg": alg, "kid": "k"}, make_claims(), hs256_signer(secret.encode()))

    with pytest.raises(InvalidToken):
        verifier.verify(token)


def test_a_critical_header_extension_is_invalid(
    verifier: TokenVerifier, make_claims: Claims, sign_hs256: Sign
) -> None:
    token = sign_hs256(make_claims(), crit=["exp"])

    with pytest.raises(InvalidToken):
        verifier.verify(token)


# --- structure and size -----------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        "a..c",
        "a.b.",
        ".b.c",
        "é.é.é",
        "eyJhbGciOiJIUzI1NiJ9.e30=.c2ln",
        "eyJhbGciOiJIUzI1NiJ9 .e30.c2ln",
        "eyJhbGciOiJIUzI1NiJ9.e30.c2ln\n",
        "W10.e30.c2ln",  # header is a JSON array
        "bm90IGpzb24.e30.c2ln",  # header is not JSON
        "_w.e30.c2ln",  # header is not UTF-8
        "A.e30.c2ln",  # header is not valid base64
    ],
)
def test_a_malformed_token_is_invalid(verifier: TokenVerifier, token: str) -> None:
    with pytest.raises(InvalidToken):
        verifier.verify(token)


def _token_of_length(sign_hs256: Sign, make_claims: Claims, target: int) -> str:
    """The shortest validly signed token of at least ``target`` characters."""
    shortest = len(sign_hs256(make_claims(pad="")))
    padding = max(0, (target - shortest) * 3 // 4 - 8)
    while len(token := sign_hs256(make_claims(pad="x" * padding))) < target:
        padding += 1
    return token


def test_a_validly_signed_token_up_to_8_kib_is_accepted(
    verifier: TokenVerifier, make_claims: Claims, sign_hs256: Sign
) -> None:
    token = _token_of_length(sign_hs256, make_claims, MAX_TOKEN_BYTES - 3)
    assert len(token) <= MAX_TOKEN_BYTES

    assert verifier.verify(token) == "user-1"


def test_a_validly_signed_token_over_8_kib_is_invalid(
    verifier: TokenVerifier, make_claims: Claims, sign_hs256: Sign
) -> None:
    token = _token_of_length(sign_hs256, make_claims, MAX_TOKEN_BYTES + 1)

    with pytest.raises(InvalidToken):
        verifier.verify(token)


def test_a_megabyte_of_garbage_is_refused_quickly(verifier: TokenVerifier) -> None:
    started = time.perf_counter()

    with pytest.raises(InvalidToken):
        verifier.verify("a." * 500_000 + "a")

    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(
    "payload",
    [b'["sub", "user-1"]', b'"user-1"', b"42", b"null", b"true", b"not json", b"\xff\xfe"],
)
def test_a_validly_signed_payload_that_is_not_a_json_object_is_invalid(
    verifier: TokenVerifier, sign_hs256: Sign, payload: bytes
) -> None:
    token = sign_hs256(payload)

    with pytest.raises(InvalidToken):
        verifier.verify(token)


def test_a_deeply_nested_signed_payload_is_invalid_not_a_crash(
    verifier: TokenVerifier, sign_hs256: Sign
) -> None:
    token = sign_hs256(b'{"a":' + b"[" * 5000 + b"]" * 5000 + b"}")

    with pytest.raises(InvalidToken):
        verifier.verify(token)


# --- exp, nbf, iat ----------------------------------------------------------------------


def test_an_expired_token_is_invalid(
    verifier: TokenVerifier, make_claims: Claims, sign_hs256: Sign
) -> None:
    token = sign_hs256(make_claims(exp=int(time.time()) - 3600))

    with pytest.raises(InvalidToken):
        verifier.verify(token)


def test_a_token_expired_within_the_leeway_is_accepted(
    verifier: TokenVerifier, make_claims: Claims, sign_hs256: Sign
) -> None:
    token = sign_hs256(make_claims(exp=int(time.time()) - 10))

    assert verifier.verify(token) == "user-1"


def test_the_same_token_is_refused_without_leeway(
    secret: str, make_claims: Claims, sign_hs256: Sign
) -> None:
    token = sign_hs256(make_claims(exp=int(time.time()) - 10))

    with pytest.raises(InvalidToken):
        TokenVerifier(secret=secret, leeway_seconds=0).verify(token)


def test_a_token_expired_beyond_the_leeway_is_invalid(
    verifier: TokenVerifier, make_claims: Claims, sign_hs256: Sign
) -> None:
    token = sign_hs256(make_claims(exp=int(time.time()) - 60))

    with pytest.raises(InvalidToken):
        verifier.verify(token)


def test_a_token_without_exp_is_invalid(
    verifier: TokenVerifier, make_claims: Claims, sign_hs256: Sign
) -> None:
    token = sign_hs256(make_claims(exp=None))

    with pytest.raises(InvalidToken):
        verifier.verify(token)


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
@pytest.mark.parametrize("value", ["9999999999", [9999999999], {"t": 1}, True, ""])
def test_a_time_claim_that_is_not_a_number_is_invalid(
    verifier: TokenVerifier, make_claims: Claims, sign_hs256: Sign, claim: str, value: Any
) -> None:
    token = sign_hs256(make_claims(**{claim: value}))

    with pytest.raises(InvalidToken):
        verifier.verify(token)


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
@pytest.mark.parametrize("literal", [b"null", b"NaN", b"Infinity", b"-Infinity", b"1e400"])
def test_a_time_claim_that_is_null_or_not_finite_is_invalid(
    verifier: TokenVerifier, sign_hs256: Sign, claim: str, literal: bytes
) -> None:
    others = {"exp": int(time.time()) + 300}
    fields = [b'"sub":"user-1"'] + [
        f'"{name}":{value}'.encode() for name, value in others.items() if name != claim
    ]
    payload = b"{" + b",".join([*fields, f'"{claim}":'.encode() + literal]) + b"}"

    with pytest.raises(InvalidToken):
        verifier.verify(sign_hs256(payload))


def test_a_huge_integer_exp_is_simply_far_in_the_future(
    verifier: TokenVerifier, make_claims: Claims, sign_hs256: Sign
) -> None:
    token = sign_hs256(make_claims(exp=10**400))

    assert verifier.verify(token) == "user-1"


def test_a_fractional_exp_is_a_valid_numeric_date(
    verifier: TokenVerifier, make_claims: Claims, sign_hs256: Sign
) -> None:
    token = sign_hs256(make_claims(exp=time.time() + 300.5))

    assert verifier.verify(token) == "user-1"


def test_a_future_nbf_is_invalid(
    verifier: TokenVerifier, make_claims: Claims, sign_hs256: Sign
) -> None:
    token = sign_hs256(make_claims(nbf=int(time.time()) + 3600))

    with pytest.raises(InvalidToken):
        verifier.verify(token)


def test_an_nbf_just_ahead_within_the_leeway_is_accepted(
    verifier: TokenVerifier, make_claims: Claims, sign_hs256: Sign
) -> None:
    token = sign_hs256(make_claims(nbf=int(time.time()) + 10))

    assert verifier.verify(token) == "user-1"


def test_a_past_nbf_is_accepted(
    verifier: TokenVerifier, make_claims: Claims, sign_hs256: Sign
) -> None:
    token = sign_hs256(make_claims(nbf=int(time.time()) - 10))

    assert verifier.verify(token) == "user-1"


def test_iat_is_not_compared_with_the_clock(
    verifier: TokenVerifier, make_claims: Claims, sign_hs256: Sign
) -> None:
    token = sign_hs256(make_claims(iat=int(time.time()) + 10**6))

    assert verifier.verify(token) == "user-1"


def test_a_token_without_iat_or_nbf_is_accepted(
    verifier: TokenVerifier, make_claims: Claims, sign_hs256: Sign
) -> None:
    token = sign_hs256(make_claims(iat=None))

    assert verifier.verify(token) == "user-1"


# --- iss and aud ------------------------------------------------------------------------

ISSUER = "https://app.example.com"
AUDIENCE = "todo-api"


@pytest.mark.parametrize("iss", [ISSUER + "/", "https://evil.example.com", "", 1, [ISSUER], None])
def test_with_an_issuer_set_any_other_or_missing_iss_is_invalid(
    secret: str, make_claims: Claims, sign_hs256: Sign, iss: Any
) -> None:
    verifier = TokenVerifier(secret=secret, issuer=ISSUER)

    with pytest.raises(InvalidToken):
        verifier.verify(sign_hs256(make_claims(iss=iss)))


def test_with_an_issuer_set_the_matching_iss_is_accepted(
    secret: str, make_claims: Claims, sign_hs256: Sign
) -> None:
    verifier = TokenVerifier(secret=secret, issuer=ISSUER)

    assert verifier.verify(sign_hs256(make_claims(iss=ISSUER))) == "user-1"


def test_without_an_issuer_set_any_iss_is_accepted(
    verifier: TokenVerifier, make_claims: Claims, sign_hs256: Sign
) -> None:
    assert verifier.verify(sign_hs256(make_claims(iss="https://anyone.example.com"))) == "user-1"


@pytest.mark.parametrize("aud", ["someone-else", [AUDIENCE, "x"], ["a", "b"]])
def test_without_an_audience_set_a_token_carrying_aud_is_accepted(
    verifier: TokenVerifier, make_claims: Claims, sign_hs256: Sign, aud: Any
) -> None:
    assert verifier.verify(sign_hs256(make_claims(aud=aud))) == "user-1"


@pytest.mark.parametrize("aud", [AUDIENCE, [AUDIENCE], ["other", AUDIENCE]])
def test_with_an_audience_set_a_matching_aud_is_accepted(
    secret: str, make_claims: Claims, sign_hs256: Sign, aud: Any
) -> None:
    verifier = TokenVerifier(secret=secret, audience=AUDIENCE)

    assert verifier.verify(sign_hs256(make_claims(aud=aud))) == "user-1"


@pytest.mark.parametrize(
    "aud", [None, "other", ["other"], [], "", [AUDIENCE, 1], {"aud": AUDIENCE}, AUDIENCE.upper()]
)
def test_with_an_audience_set_a_missing_or_other_aud_is_invalid(
    secret: str, make_claims: Claims, sign_hs256: Sign, aud: Any
) -> None:
    verifier = TokenVerifier(secret=secret, audience=AUDIENCE)

    with pytest.raises(InvalidToken):
        verifier.verify(sign_hs256(make_claims(aud=aud)))


# --- sub --------------------------------------------------------------------------------


@pytest.mark.parametrize("sub", [None, 42, "", "x" * 256, ["user-1"], {"id": "u"}, True])
def test_a_valid_token_whose_sub_is_missing_or_unusable_has_an_invalid_payload(
    verifier: TokenVerifier, make_claims: Claims, sign_hs256: Sign, sub: Any
) -> None:
    token = sign_hs256(make_claims(sub=sub))

    with pytest.raises(InvalidTokenPayload):
        verifier.verify(token)


@pytest.mark.parametrize("sub", ["x", "x" * 255, "é" * 255, "0b1c2d3e-uuid-like"])
def test_a_sub_of_1_to_255_characters_is_the_user_id(
    verifier: TokenVerifier, make_claims: Claims, sign_hs256: Sign, sub: str
) -> None:
    token = sign_hs256(make_claims(sub=sub))

    assert verifier.verify(token) == sub


def test_a_bad_sub_in_a_forged_token_is_an_invalid_token_not_a_payload_error(
    verifier: TokenVerifier, make_claims: Claims, sign_hs256: Sign
) -> None:
    token = sign_hs256(make_claims(sub=None), secret="forger-secret-of-at-least-32-bytes!")

    with pytest.raises(InvalidToken):
        verifier.verify(token)


def test_a_bad_sub_in_an_expired_token_is_an_invalid_token(
    verifier: TokenVerifier, make_claims: Claims, sign_hs256: Sign
) -> None:
    token = sign_hs256(make_claims(sub=None, exp=int(time.time()) - 3600))

    with pytest.raises(InvalidToken):
        verifier.verify(token)
