"""The ``Link`` to a listing's next page, and its total, as response headers."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from starlette.datastructures import QueryParams

from todo_core.queries import Page
from todo_presentation.listing import PAGING_PARAMS


def page_headers(page: Page, *, path: str, params: QueryParams) -> dict[str, str]:
    """``X-Total-Count``, and ``Link: <...>; rel="next"`` while more tasks remain.

    The link is path-absolute, in the request's route shape, and keeps every
    parameter except ``offset`` and ``cursor``; it carries the next cursor.
    """
    headers = {"X-Total-Count": str(page.total)}
    if page.next_cursor is not None:
        kept = [(k, v) for k, v in params.multi_items() if k not in PAGING_PARAMS]
        kept.append(("cursor", page.next_cursor))
        target = f"{quote(path, safe='/')}?{urlencode(kept, quote_via=quote)}"
        headers["Link"] = f'<{target}>; rel="next"'
    return headers
