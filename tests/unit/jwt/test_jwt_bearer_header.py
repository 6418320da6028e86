"""Reading the token out of the Authorization header (RFC 6750 / RFC 7235)."""

from __future__ import annotations

import pytest

from todo_adapters.jwt import bearer_token
from todo_core.errors import InvalidToken, NotAuthenticated


def test_a_missing_header_is_not_authenticated() -> None:
    with pytest.raises(NotAuthenticated):
        bearer_token(None)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "Bearer",
        "bearer",
        "Bearer ",
        "Bearer  \t ",
        "Basic dXNlcjpwYXNzd29yZA==",
        "Token abc.def.ghi",
        "Bearerabc.def.ghi",
        "Digest username=x",
        "abc.def.ghi",
    ],
)
def test_another_scheme_or_a_bearer_without_token_is_not_authenticated(value: str) -> None:
    with pytest.raises(NotAuthenticated):
        bearer_token(value)


@pytest.mark.parametrize(
    "value",
    [
        "Bearer abc.def.ghi",
        "bearer abc.def.ghi",
        "BEARER abc.def.ghi",
        "bEaReR abc.def.ghi",
        "Bearer    abc.def.ghi",
        "Bearer\tabc.def.ghi",
        "  Bearer abc.def.ghi  ",
    ],
)
def test_the_scheme_is_case_insensitive_and_spacing_is_tolerated(value: str) -> None:
    token = bearer_token(value)

    assert token == "abc.def.ghi"


@pytest.mark.parametrize(
    "value",
    [
        "Bearer abc.def.ghi extra",
        "Bearer abc.def.ghi\textra",
        "Bearer abc.def.ghi, Basic x",
        "Bearer abc.def.ghi\nX-Injected: 1",
        "Bearer a b",
    ],
)
def test_text_after_the_token_is_an_invalid_token(value: str) -> None:
    with pytest.raises(InvalidToken):
        bearer_token(value)
