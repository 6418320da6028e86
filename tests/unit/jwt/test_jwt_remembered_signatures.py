"""A token whose signature held is not checked again, but its claims are, on every call."""

from __future__ import annotations

import time
from typing import Any

import pytest
from jose import jwt

from todo_adapters.jwt import TokenVerifier, mint_hs256_token
from todo_core.errors import InvalidToken


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every token python-jose is asked to verify."""
    seen: list[str] = []
    real_decode = jwt.decode

    def counting_decode(token: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(token)
        return real_decode(token, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting_decode)
    return seen


def test_a_reused_token_has_its_signature_checked_once(secret: str, decodes: list[str]) -> None:
    verifier = TokenVerifier(secret=secret)
    token = mint_hs256_token(secret=secret, subject="u")

    assert [verifier.verify(token) for _ in range(3)] == ["u"] * 3
    assert decodes == [token]


def test_a_refused_token_is_checked_again_every_time(secret: str, decodes: list[str]) -> None:
    verifier = TokenVerifier(secret=secret)
    forged = mint_hs256_token(secret=secret + "-not-ours", subject="u")

    for _ in range(2):
        with pytest.raises(InvalidToken):
            verifier.verify(forged)
    assert decodes == [forged, forged]


def test_a_remembered_token_still_expires(secret: str, monkeypatch: pytest.MonkeyPatch) -> None:
    verifier = TokenVerifier(secret=secret, leeway_seconds=0)
    token = mint_hs256_token(secret=secret, subject="u", ttl_seconds=60)
    assert verifier.verify(token) == "u"

    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)

    with pytest.raises(InvalidToken):
        verifier.verify(token)


def test_a_remembered_token_is_still_held_to_the_issuer_and_audience(secret: str) -> None:
    token = mint_hs256_token(secret=secret, subject="u", issuer="https://a.example")
    assert TokenVerifier(secret=secret).verify(token) == "u"

    strict = TokenVerifier(secret=secret, issuer="https://b.example")
    with pytest.raises(InvalidToken):
        strict.verify(token)


def test_verifiers_do_not_share_what_they_remember(secret: str, decodes: list[str]) -> None:
    token = mint_hs256_token(secret=secret, subject="u")
    TokenVerifier(secret=secret).verify(token)

    with pytest.raises(InvalidToken):
        TokenVerifier(secret=secret + "-rotated").verify(token)
    assert decodes == [token, token]
