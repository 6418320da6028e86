"""TokenVerifier refuses a configuration it cannot verify safely with, in one line."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from jose import jwk

from todo_adapters.jwt import Ed25519Key, TokenVerifier, mint_hs256_token


def test_neither_a_secret_nor_a_jwks_url_is_refused_with_a_one_line_reason() -> None:
    with pytest.raises(ValueError, match=r"JWT_SECRET.*JWKS_URL") as caught:
        TokenVerifier()

    assert "\n" not in str(caught.value)


def test_a_31_byte_secret_is_refused_without_echoing_it() -> None:
    secret = "x" * 31

    with pytest.raises(ValueError, match="at least 32 bytes") as caught:
        TokenVerifier(secret=secret)

    assert secret not in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_secret_length_is_counted_in_utf8_bytes_not_characters() -> None:
    sixteen_chars_31_bytes = "é" * 15 + "x"

    with pytest.raises(ValueError, match="at least 32 bytes"):
        TokenVerifier(secret=sixteen_chars_31_bytes)
    TokenVerifier(secret="é" * 16)


def test_an_empty_secret_counts_as_too_short_even_with_a_jwks_url() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        TokenVerifier(secret="", jwks_url="https://auth.example.com/jwks")


def test_a_32_byte_secret_is_enough(secret: str) -> None:
    assert len(secret.encode()) == 32

    TokenVerifier(secret=secret)


def test_a_secret_that_is_a_pem_key_is_refused(rsa_key: Any) -> None:
    with pytest.raises(ValueError, match="PEM"):
        TokenVerifier(secret=rsa_key.public_pem().decode())


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/jwks", "not a url", "", "//host/jwks"]
)
def test_a_jwks_url_that_is_not_absolute_http_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="JWKS URL"):
        TokenVerifier(jwks_url=url)


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("leeway_seconds", -1),
        ("leeway_seconds", float("nan")),
        ("jwks_timeout_seconds", 0),
        ("jwks_refresh_interval_seconds", float("inf")),
    ],
)
def test_nonsense_durations_are_refused(secret: str, setting: str, value: float) -> None:
    options: dict[str, Any] = {setting: value}

    with pytest.raises(ValueError, match="seconds"):
        TokenVerifier(secret=secret, **options)


def test_a_jwks_only_verifier_fetches_nothing_until_a_token_arrives(jwks_server: Any) -> None:
    TokenVerifier(jwks_url=jwks_server.url)

    assert jwks_server.fetches == 0


def test_constructing_a_verifier_registers_eddsa_with_jose_idempotently(secret: str) -> None:
    TokenVerifier(secret=secret)
    TokenVerifier(secret=secret)

    assert jwk.get_key("EdDSA") is Ed25519Key


def test_importing_the_package_registers_nothing_with_jose() -> None:
    probe = (
        "import todo_adapters.jwt\nfrom jose import jwk\n"
        "print(jwk.get_key('EdDSA'), jwk.get_key('PS256'))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}

    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env
    )

    assert result.stdout.strip() == "None None"


def test_minting_with_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        mint_hs256_token(secret="short", subject="user-1")
