"""Whatever arrives, the verifier answers with a domain error, never a crash."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from todo_adapters.jwt import TokenVerifier
from todo_core.errors import InvalidToken, InvalidTokenPayload, NotAuthenticated

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class _FrozenClock:
    def __call__(self) -> float:
        return 0.0


@pytest.fixture(scope="module")
def verifier(secret: str, shared_jwks_server: Any) -> TokenVerifier:
    """Both modes, a frozen refetch clock so random kids cannot hammer the server."""
    return TokenVerifier(secret=secret, jwks_url=shared_jwks_server.url, monotonic=_FrozenClock())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
headers = st.fixed_dictionaries(
    {},
    optional={
        "alg": st.sampled_from(["HS256", "EdDSA", "ES256", "RS256", "none", "HS384"]) | json_values,
        "kid": st.sampled_from(["ed-1", "ec-1", "rsa-1"]) | json_values,
        "typ": json_values,
        "crit": json_values,
        "jku": json_values,
        "jwk": json_values,
    },
)
signed_headers = st.fixed_dictionaries(
    {}, optional={"typ": st.just("JWT") | json_values, "kid": json_values}
)
now = int(time.time())
near_now = st.integers(min_value=now - 100, max_value=now + 100) | st.floats(
    min_value=now - 100, max_value=now + 100
)
claim_sets = st.builds(
    lambda registered, extra: {**extra, **registered},
    st.fixed_dictionaries(
        {"exp": st.integers(min_value=now + 60, max_value=now + 3600) | near_now | json_values},
        optional={
            "sub": st.text(min_size=1, max_size=255) | st.text(max_size=300) | json_values,
            "nbf": near_now | json_values,
            "iat": near_now | json_values,
            "iss": st.text(max_size=5) | json_values,
            "aud": st.text(max_size=5) | json_values,
        },
    ),
    st.dictionaries(st.text(max_size=8), json_values, max_size=4),
)
segments = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
structured_tokens = st.builds(
    lambda header, payload, signature: ".".join(
        [_b64(json.dumps(header).encode()), _b64(json.dumps(payload).encode()), signature]
    ),
    headers,
    json_values,
    segments,
)
any_token = (
    st.text()
    | st.binary().map(lambda raw: raw.decode("latin-1"))
    | st.builds(lambda a, b, c: f"{a}.{b}.{c}", segments, segments, segments)
    | structured_tokens
)


@SETTINGS
@given(token=any_token)
def test_any_token_text_is_refused_with_invalid_token_only(
    verifier: TokenVerifier, token: str
) -> None:
    with pytest.raises(InvalidToken):
        verifier.verify(token)


@SETTINGS
@given(raw=st.binary())
def test_raw_bytes_instead_of_text_are_refused_with_invalid_token_only(
    verifier: TokenVerifier, raw: bytes
) -> None:
    with pytest.raises(InvalidToken):
        verifier.verify(raw)  # type: ignore[arg-type]


@SETTINGS
@given(
    header=st.text() | st.binary().map(lambda raw: raw.decode("latin-1")),
    prefixed=st.booleans(),
)
def test_any_authorization_header_is_refused_with_a_401_error_only(
    verifier: TokenVerifier, header: str, prefixed: bool
) -> None:
    value = f"Bearer {header}" if prefixed else header

    with pytest.raises((InvalidToken, NotAuthenticated)):
        verifier.user_id_from_header(value)


@SETTINGS
@given(header=signed_headers, claims=claim_sets)
def test_a_validly_signed_token_with_random_claims_yields_a_user_or_a_domain_error(
    verifier: TokenVerifier, secret: str, header: dict[str, Any], claims: dict[str, Any]
) -> None:
    signing_input = f"{_b64(json.dumps({**header, 'alg': 'HS256'}).encode())}."
    signing_input += _b64(json.dumps(claims).encode())
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{_b64(signature)}"

    try:
        user = verifier.verify(token)
    except (InvalidToken, InvalidTokenPayload):
        return

    assert user == claims["sub"]
    assert 0 < len(user) <= 255
    assert claims["exp"] > time.time() - 30
