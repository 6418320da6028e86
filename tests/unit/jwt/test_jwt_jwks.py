"""Public keys from a JWKS over real HTTP: every algorithm, rotation and outages."""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwt
from jose.backends.cryptography_backend import CryptographyRSAKey

from todo_adapters.jwt import TokenVerifier
from todo_adapters.jwt.keys import MIN_RSA_BITS
from todo_core.errors import InvalidToken, InvalidTokenPayload

Claims = Callable[..., dict[str, Any]]
Sign = Callable[..., str]
Signer = Callable[[bytes], Callable[[bytes], bytes]]


@pytest.fixture
def verifier(jwks_server: Any, clock: Any) -> TokenVerifier:
    return TokenVerifier(jwks_url=jwks_server.url, monotonic=clock)


# --- the algorithms ---------------------------------------------------------------------


def test_a_token_signed_by_a_published_key_is_accepted(
    verifier: TokenVerifier, any_key: Any, make_claims: Claims
) -> None:
    token = any_key.sign(make_claims(sub="ba-user"))

    assert verifier.verify(token) == "ba-user"


def test_keys_are_fetched_once_and_then_served_from_the_cache(
    verifier: TokenVerifier,
    jwks_server: Any,
    ed25519_key: Any,
    p256_key: Any,
    rsa_key: Any,
    make_claims: Claims,
) -> None:
    for key in (ed25519_key, p256_key, rsa_key, ed25519_key):
        verifier.verify(key.sign(make_claims()))

    assert jwks_server.fetches == 1


def test_a_better_auth_style_token_with_iss_and_aud_passes_a_strict_verifier(
    jwks_server: Any, ed25519_key: Any, make_claims: Claims
) -> None:
    strict = TokenVerifier(
        jwks_url=jwks_server.url,
        issuer="https://app.example.com",
        audience="https://app.example.com",
    )
    token = ed25519_key.sign(
        make_claims(iss="https://app.example.com", aud="https://app.example.com", email="a@b.c")
    )

    assert strict.verify(token) == "user-1"


def test_a_token_signed_by_another_key_under_a_published_kid_is_invalid(
    verifier: TokenVerifier, any_key: Any, new_key: Callable[[str, str], Any], make_claims: Claims
) -> None:
    impostor = new_key(any_key.alg, any_key.kid)

    with pytest.raises(InvalidToken):
        verifier.verify(impostor.sign(make_claims()))


def test_a_token_whose_alg_does_not_match_the_kid_key_is_invalid(
    verifier: TokenVerifier,
    ed25519_key: Any,
    p256_key: Any,
    make_claims: Claims,
) -> None:
    token = p256_key.sign(make_claims(), kid=ed25519_key.kid)

    with pytest.raises(InvalidToken):
        verifier.verify(token)


def test_expired_and_subjectless_jwks_tokens_follow_the_same_rules(
    verifier: TokenVerifier, any_key: Any, make_claims: Claims
) -> None:
    expired = any_key.sign(make_claims(exp=int(time.time()) - 3600))
    subjectless = any_key.sign(make_claims(sub=None))

    with pytest.raises(InvalidToken):
        verifier.verify(expired)
    with pytest.raises(InvalidTokenPayload):
        verifier.verify(subjectless)


# --- kid --------------------------------------------------------------------------------


def test_a_jwks_token_without_kid_is_invalid_and_fetches_nothing(
    verifier: TokenVerifier, jwks_server: Any, any_key: Any, make_claims: Claims
) -> None:
    token = any_key.sign(make_claims(), kid=None)

    with pytest.raises(InvalidToken):
        verifier.verify(token)
    assert jwks_server.fetches == 0


@pytest.mark.parametrize("kid", ["", 7, ["ed-1"], None])
def test_a_jwks_token_with_an_empty_or_non_string_kid_is_invalid(
    verifier: TokenVerifier, ed25519_key: Any, make_claims: Claims, kid: Any
) -> None:
    token = ed25519_key.sign(make_claims(), kid=None, headers={"kid": kid})

    with pytest.raises(InvalidToken):
        verifier.verify(token)


# --- algorithm confusion ----------------------------------------------------------------


def test_an_hs256_token_signed_with_a_public_key_pem_is_invalid_with_only_a_jwks(
    verifier: TokenVerifier,
    jwks_server: Any,
    any_key: Any,
    make_claims: Claims,
    raw_token: Sign,
    hs256_signer: Signer,
) -> None:
    header = {"alg": "HS256", "typ": "JWT", "kid": any_key.kid}
    token = raw_token(header, make_claims(), hs256_signer(any_key.public_pem()))

    with pytest.raises(InvalidToken):
        verifier.verify(token)
    assert jwks_server.fetches == 0


def test_an_hs256_token_signed_with_a_public_key_pem_is_invalid_with_both_modes(
    jwks_server: Any,
    secret: str,
    any_key: Any,
    make_claims: Claims,
    raw_token: Sign,
    hs256_signer: Signer,
) -> None:
    verifier = TokenVerifier(secret=secret, jwks_url=jwks_server.url)
    verifier.verify(any_key.sign(make_claims()))  # the key is cached now
    header = {"alg": "HS256", "typ": "JWT", "kid": any_key.kid}
    public_jwk_json = json.dumps(any_key.public_jwk()).encode()

    for confused_secret in (any_key.public_pem(), public_jwk_json):
        token = raw_token(header, make_claims(), hs256_signer(confused_secret))
        with pytest.raises(InvalidToken):
            verifier.verify(token)


def test_both_modes_together_accept_each_kind_of_token(
    jwks_server: Any, secret: str, ed25519_key: Any, make_claims: Claims, sign_hs256: Sign
) -> None:
    verifier = TokenVerifier(secret=secret, jwks_url=jwks_server.url)

    assert verifier.verify(sign_hs256(make_claims(sub="hs"))) == "hs"
    assert verifier.verify(ed25519_key.sign(make_claims(sub="ed"))) == "ed"


def test_a_jwks_token_is_invalid_when_only_a_secret_is_configured(
    secret: str, ed25519_key: Any, make_claims: Claims
) -> None:
    verifier = TokenVerifier(secret=secret)

    with pytest.raises(InvalidToken):
        verifier.verify(ed25519_key.sign(make_claims()))


def test_an_hs256_token_is_invalid_when_only_a_jwks_is_configured(
    verifier: TokenVerifier, jwks_server: Any, make_claims: Claims, sign_hs256: Sign
) -> None:
    with pytest.raises(InvalidToken):
        verifier.verify(sign_hs256(make_claims(), kid="ed-1"))
    assert jwks_server.fetches == 0


@pytest.mark.parametrize("pointer", ["jku", "x5u"])
def test_a_key_url_in_the_header_is_never_followed(
    verifier: TokenVerifier,
    make_server: Callable[[], Any],
    new_key: Callable[[str, str], Any],
    make_claims: Claims,
    pointer: str,
) -> None:
    attacker_server = make_server()
    attacker_key = new_key("EdDSA", "evil")
    attacker_server.serve(attacker_key)
    token = attacker_key.sign(make_claims(), headers={pointer: attacker_server.url})

    with pytest.raises(InvalidToken):
        verifier.verify(token)
    assert attacker_server.fetches == 0


@pytest.mark.parametrize("kid", ["evil", "ed-1"])
def test_an_embedded_jwk_in_the_header_is_never_trusted(
    verifier: TokenVerifier, new_key: Callable[[str, str], Any], make_claims: Claims, kid: str
) -> None:
    attacker_key = new_key("EdDSA", kid)
    token = attacker_key.sign(make_claims(), headers={"jwk": attacker_key.public_jwk()})

    with pytest.raises(InvalidToken):
        verifier.verify(token)


# --- rotation and the refetch rate limit ------------------------------------------------


def test_an_unknown_kid_refetches_and_a_rotated_key_is_accepted(
    verifier: TokenVerifier,
    jwks_server: Any,
    clock: Any,
    ed25519_key: Any,
    new_key: Callable[[str, str], Any],
    make_claims: Claims,
) -> None:
    verifier.verify(ed25519_key.sign(make_claims()))
    rotated = new_key("EdDSA", "ed-2")
    jwks_server.serve(rotated)
    clock.advance(30)

    user = verifier.verify(rotated.sign(make_claims(sub="after-rotation")))

    assert user == "after-rotation"
    assert jwks_server.fetches == 2


def test_a_key_dropped_from_the_set_stops_working_after_a_refetch(
    verifier: TokenVerifier,
    jwks_server: Any,
    clock: Any,
    ed25519_key: Any,
    new_key: Callable[[str, str], Any],
    make_claims: Claims,
) -> None:
    verifier.verify(ed25519_key.sign(make_claims()))
    rotated = new_key("EdDSA", "ed-2")
    jwks_server.serve(rotated)
    clock.advance(30)
    verifier.verify(rotated.sign(make_claims()))

    with pytest.raises(InvalidToken):
        verifier.verify(ed25519_key.sign(make_claims()))


def test_a_verified_token_is_checked_again_once_its_kid_names_another_key(
    verifier: TokenVerifier,
    jwks_server: Any,
    clock: Any,
    ed25519_key: Any,
    new_key: Callable[[str, str], Any],
    make_claims: Claims,
) -> None:
    token = ed25519_key.sign(make_claims())
    assert verifier.verify(token)  # its signature is now remembered
    jwks_server.serve(new_key("EdDSA", ed25519_key.kid), other := new_key("EdDSA", "ed-2"))
    clock.advance(30)
    verifier.verify(other.sign(make_claims()))  # an unknown kid: the set is fetched again

    with pytest.raises(InvalidToken):
        verifier.verify(token)


def test_unknown_kids_refetch_at_most_once_per_interval(
    verifier: TokenVerifier,
    jwks_server: Any,
    clock: Any,
    new_key: Callable[[str, str], Any],
    make_claims: Claims,
) -> None:
    stranger = new_key("EdDSA", "unknown")

    for _ in range(5):
        with pytest.raises(InvalidToken):
            verifier.verify(stranger.sign(make_claims()))
    clock.advance(29.9)
    with pytest.raises(InvalidToken):
        verifier.verify(stranger.sign(make_claims()))
    assert jwks_server.fetches == 1

    clock.advance(0.1)
    with pytest.raises(InvalidToken):
        verifier.verify(stranger.sign(make_claims()))
    assert jwks_server.fetches == 2


def test_the_first_fetch_counts_toward_the_refetch_limit(
    verifier: TokenVerifier,
    jwks_server: Any,
    clock: Any,
    ed25519_key: Any,
    new_key: Callable[[str, str], Any],
    make_claims: Claims,
) -> None:
    verifier.verify(ed25519_key.sign(make_claims()))
    added = new_key("EdDSA", "ed-2")
    jwks_server.serve(ed25519_key, added)
    clock.advance(5)

    with pytest.raises(InvalidToken):
        verifier.verify(added.sign(make_claims()))
    assert jwks_server.fetches == 1

    clock.advance(25)
    assert verifier.verify(added.sign(make_claims(sub="later"))) == "later"
    assert jwks_server.fetches == 2


def test_the_refetch_interval_is_configurable(
    jwks_server: Any, clock: Any, new_key: Callable[[str, str], Any], make_claims: Claims
) -> None:
    verifier = TokenVerifier(
        jwks_url=jwks_server.url, jwks_refresh_interval_seconds=5, monotonic=clock
    )
    stranger = new_key("EdDSA", "unknown")
    with pytest.raises(InvalidToken):
        verifier.verify(stranger.sign(make_claims()))

    clock.advance(5)
    with pytest.raises(InvalidToken):
        verifier.verify(stranger.sign(make_claims()))

    assert jwks_server.fetches == 2


def test_concurrent_tokens_with_an_unknown_kid_cause_a_single_fetch(
    verifier: TokenVerifier,
    jwks_server: Any,
    new_key: Callable[[str, str], Any],
    make_claims: Claims,
) -> None:
    jwks_server.state.delay_seconds = 0.2
    token = new_key("EdDSA", "unknown").sign(make_claims())
    outcomes = _verify_in_parallel(verifier, [token] * 16)

    assert outcomes == ["InvalidToken"] * 16
    assert jwks_server.fetches == 1


def test_concurrent_first_tokens_share_one_fetch_and_all_pass(
    verifier: TokenVerifier, jwks_server: Any, any_key: Any, make_claims: Claims
) -> None:
    jwks_server.state.delay_seconds = 0.2
    tokens = [any_key.sign(make_claims(sub=f"user-{n}")) for n in range(16)]

    outcomes = _verify_in_parallel(verifier, tokens)

    assert outcomes == [f"user-{n}" for n in range(16)]
    assert jwks_server.fetches == 1


def _verify_in_parallel(verifier: TokenVerifier, tokens: list[str]) -> list[str]:
    barrier = threading.Barrier(len(tokens))
    outcomes: list[str] = [""] * len(tokens)

    def run(index: int) -> None:
        barrier.wait()
        try:
            outcomes[index] = verifier.verify(tokens[index])
        except Exception as exc:  # the caller asserts on the outcome
            outcomes[index] = type(exc).__name__

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(tokens))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return outcomes


# --- outages ----------------------------------------------------------------------------

OUTAGES = [
    pytest.param(lambda server: server.fail("status", status=500), id="http-500"),
    pytest.param(lambda server: server.fail("status", status=404), id="http-404"),
    pytest.param(lambda server: server.fail("status", status=204), id="http-204"),
    pytest.param(lambda server: server.fail("bad_json"), id="bad-json"),
    pytest.param(lambda server: server.serve_document([]), id="json-array"),
    pytest.param(lambda server: server.serve_document({"keys": "nope"}), id="keys-not-a-list"),
    pytest.param(lambda server: server.fail("drop"), id="connection-dropped"),
    pytest.param(lambda server: server.fail("slow"), id="timeout"),
    pytest.param(lambda server: server.stop(), id="server-down"),
]


@pytest.mark.parametrize("break_server", OUTAGES)
def test_during_an_outage_cached_keys_keep_working_and_unknown_kids_are_invalid(
    jwks_server: Any,
    clock: Any,
    ed25519_key: Any,
    new_key: Callable[[str, str], Any],
    make_claims: Claims,
    break_server: Callable[[Any], None],
) -> None:
    verifier = TokenVerifier(jwks_url=jwks_server.url, jwks_timeout_seconds=0.3, monotonic=clock)
    verifier.verify(ed25519_key.sign(make_claims()))
    break_server(jwks_server)
    clock.advance(30)

    with pytest.raises(InvalidToken):
        verifier.verify(new_key("EdDSA", "unknown").sign(make_claims()))
    assert verifier.verify(ed25519_key.sign(make_claims(sub="still-works"))) == "still-works"


@pytest.mark.parametrize("break_server", OUTAGES)
def test_a_jwks_that_never_answered_makes_tokens_invalid_not_errors(
    jwks_server: Any,
    ed25519_key: Any,
    make_claims: Claims,
    break_server: Callable[[Any], None],
) -> None:
    break_server(jwks_server)
    verifier = TokenVerifier(jwks_url=jwks_server.url, jwks_timeout_seconds=0.3)

    with pytest.raises(InvalidToken):
        verifier.verify(ed25519_key.sign(make_claims()))


def test_the_jwks_comes_back_after_an_outage(
    jwks_server: Any,
    clock: Any,
    ed25519_key: Any,
    make_claims: Claims,
) -> None:
    verifier = TokenVerifier(jwks_url=jwks_server.url, monotonic=clock)
    jwks_server.fail("status", status=503)
    with pytest.raises(InvalidToken):
        verifier.verify(ed25519_key.sign(make_claims()))

    jwks_server.serve(ed25519_key)
    clock.advance(30)

    assert verifier.verify(ed25519_key.sign(make_claims())) == "user-1"


# --- odd keys in the set ----------------------------------------------------------------


def test_unsupported_or_malformed_keys_are_skipped_and_the_rest_work(
    verifier: TokenVerifier,
    jwks_server: Any,
    clock: Any,
    ed25519_key: Any,
    p256_key: Any,
    rsa_key: Any,
    new_key: Callable[[str, str], Any],
    make_claims: Claims,
) -> None:
    ed, ec, rs = ed25519_key.public_jwk(), p256_key.public_jwk(), rsa_key.public_jwk()
    weak_rsa, sign_with_weak_rsa = _weak_rsa_key()
    odd = [
        "not an object",
        {},
        {"kid": 5, **{k: v for k, v in ed.items() if k != "kid"}},
        {"kty": "oct", "kid": "hmac", "alg": "HS256", "k": "c2VjcmV0"},
        {**rs, "kid": "rs384", "alg": "RS384"},
        {**rs, "kid": "enc", "use": "enc"},
        {**ec, "kid": "p384", "crv": "P-384"},
        {**ed, "kid": "x25519", "crv": "X25519"},
        {**ed, "kid": "short-x", "x": ed["x"][:-2]},
        {**ed, "kid": "no-x", "x": None},
        {**ec, "kid": "off-curve", "y": ec["x"]},
        {**ec, "kid": "ec-as-eddsa", "alg": "EdDSA"},
        weak_rsa,
        {"kty": "RSA", "kid": "junk-n", "n": "!!!", "e": "AQAB"},
    ]
    jwks_server.serve_document({"keys": [*odd, ed, ec, rs]})

    for good in (ed25519_key, p256_key, rsa_key):
        assert verifier.verify(good.sign(make_claims())) == "user-1"
    skipped = [
        (rsa_key, "rs384"),
        (rsa_key, "enc"),
        (p256_key, "p384"),
        (p256_key, "off-curve"),
        (p256_key, "ec-as-eddsa"),
        (ed25519_key, "x25519"),
        (ed25519_key, "short-x"),
        (ed25519_key, "no-x"),
    ]
    for signer, kid in skipped:
        with pytest.raises(InvalidToken):
            verifier.verify(signer.sign(make_claims(), kid=kid))
    with pytest.raises(InvalidToken):
        verifier.verify(sign_with_weak_rsa(make_claims()))
    assert jwks_server.fetches == 1


@pytest.mark.parametrize("alg", ["EdDSA", "ES256", "ES512", "RS256"])
def test_a_key_published_without_alg_or_use_is_inferred_from_its_type(
    jwks_server: Any, every_key: dict[str, Any], make_claims: Claims, alg: str
) -> None:
    key = every_key[alg]
    bare = {k: v for k, v in key.public_jwk().items() if k not in ("alg", "use")}
    jwks_server.serve_document({"keys": [bare]})
    verifier = TokenVerifier(jwks_url=jwks_server.url)

    assert verifier.verify(key.sign(make_claims())) == "user-1"


def _weak_rsa_key() -> tuple[dict[str, Any], Callable[[dict[str, Any]], str]]:
    """A 1024-bit RSA key's JWK and a signer for it (our fixtures only make strong keys)."""
    assert MIN_RSA_BITS > 1024
    private = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    modulus = private.public_key().public_numbers().n.to_bytes(128, "big")
    public_jwk = {
        "kty": "RSA",
        "kid": "rsa-1024",
        "alg": "RS256",
        "n": base64.urlsafe_b64encode(modulus).rstrip(b"=").decode(),
        "e": "AQAB",
    }

    def sign(claims: dict[str, Any]) -> str:
        key = CryptographyRSAKey(private, "RS256")
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "rsa-1024"})

    return public_jwk, sign


def test_no_token_content_reaches_the_logs(
    jwks_server: Any,
    clock: Any,
    secret: str,
    ed25519_key: Any,
    new_key: Callable[[str, str], Any],
    make_claims: Claims,
    sign_hs256: Sign,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    verifier = TokenVerifier(secret=secret, jwks_url=jwks_server.url, monotonic=clock)
    tokens = [
        ed25519_key.sign(make_claims(sub="secret-user-a")),
        new_key("EdDSA", "unknown-kid-zz").sign(make_claims(sub="secret-user-b")),
        sign_hs256(make_claims(sub="secret-user-c", exp=1)),
        sign_hs256(make_claims(sub=None, email="secret@example.com")),
    ]
    jwks_server.fail("status", status=500)
    clock.advance(30)

    for token in tokens:
        with contextlib.suppress(InvalidToken, InvalidTokenPayload):
            verifier.verify(token)

    assert caplog.records, "the outage itself should be logged"
    for token in tokens:
        for segment in token.split("."):
            assert segment not in caplog.text
    for secret_value in ("secret-user", "secret@example.com", "unknown-kid-zz", secret):
        assert secret_value not in caplog.text
