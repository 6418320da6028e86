"""The JWS compact form, checked before any key or library sees the token."""

from __future__ import annotations

import base64
import json
import re
from typing import Any, Final

from todo_core.errors import InvalidToken

MAX_TOKEN_BYTES: Final = 8 * 1024

# Three unpadded base64url segments; ``alg: none`` tokens (empty signature)
# and anything with stray characters are refused here.
_COMPACT: Final = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def unverified_header(token: str) -> dict[str, Any]:
    """Return the protected header of a well-formed token, unverified.

    The size limit comes first so an oversized token costs no parsing; the
    header is only used to choose the key, never trusted for anything else.
    """
    if not isinstance(token, str) or len(token) > MAX_TOKEN_BYTES:
        raise InvalidToken()
    if _COMPACT.fullmatch(token) is None:
        raise InvalidToken()
    segment = token.split(".", 1)[0]
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        header = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        raise InvalidToken() from None
    if not isinstance(header, dict):
        raise InvalidToken()
    if "crit" in header:
        # We understand no extension, so RFC 7515 says refuse the token.
        raise InvalidToken()
    return header
