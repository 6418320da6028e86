"""Reading the bearer token out of an ``Authorization`` header value."""

from __future__ import annotations

import re

from todo_core.errors import InvalidToken, NotAuthenticated

_SCHEME = "bearer"
_SEPARATOR = re.compile(r"[ \t]+")
#: ``str.isspace`` characters (``re`` uses the same Unicode table).
_WHITESPACE = re.compile(r"\s")


def bearer_token(authorization: str | None) -> str:
    """Return the token of a ``Bearer`` credential.

    The scheme is matched case-insensitively (RFC 7235). No header, another
    scheme or a bare ``Bearer`` means the client did not try to authenticate
    (``NotAuthenticated``); anything after the token means it tried and sent
    garbage (``InvalidToken``).
    """
    if not isinstance(authorization, str):
        raise NotAuthenticated()
    value = authorization.strip(" \t")
    parts = _SEPARATOR.split(value, maxsplit=1)
    scheme = parts[0]
    if not scheme.isascii() or scheme.lower() != _SCHEME:
        raise NotAuthenticated()
    if len(parts) == 1 or not parts[1]:
        raise NotAuthenticated()
    token = parts[1]
    if _WHITESPACE.search(token):
        raise InvalidToken()
    return token
