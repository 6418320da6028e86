"""How a rate decision is shown to an HTTP client, by the API and the MCP endpoint alike.

The ``RateLimit-Limit`` / ``RateLimit-Remaining`` / ``RateLimit-Reset``
fields of the IETF draft (draft-ietf-httpapi-ratelimit-headers, the
separate-field form), and ``Retry-After`` on a refusal.
"""

from __future__ import annotations

from typing import Final

from todo_core.ports import RateDecision

TOO_MANY_REQUESTS: Final = "Too many requests"

#: The headers a browser must be allowed to read (CORS ``Access-Control-Expose-Headers``).
RATE_LIMIT_HEADERS: Final = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")

#: What every authenticated response carries: never stored by a shared cache, and
#: revalidated (``ETag``) before a private one reuses it; no content sniffing.
CACHE_HEADERS: Final = (
    ("Cache-Control", "private, no-cache"),
    ("X-Content-Type-Options", "nosniff"),
)


def rate_limit_headers(decision: RateDecision) -> list[tuple[str, str]]:
    """The ``RateLimit-*`` fields, and ``Retry-After`` when the request was refused."""
    headers = [
        ("RateLimit-Limit", str(decision.limit)),
        ("RateLimit-Remaining", str(decision.remaining)),
        ("RateLimit-Reset", str(decision.reset_after)),
    ]
    if not decision.allowed:
        headers.append(("Retry-After", str(decision.reset_after)))
    return headers
