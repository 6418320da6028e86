"""The JWKS: fetched lazily, cached by ``kid``, refetched at a bounded rate."""

from __future__ import annotations

import http.client
import json
import logging
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Final

from jose.backends.base import Key

from todo_adapters.jwt.keys import key_from_jwk

MAX_JWKS_BYTES: Final = 1024 * 1024

logger = logging.getLogger(__name__)

KeyTable = dict[tuple[str, str], Key]


class JwksCache:
    """Public keys by ``(kid, alg)``, safe to share between threads.

    A lookup of a known key takes no lock. An unknown ``kid`` triggers at most
    one fetch per ``refresh_interval_seconds`` (the first fetch counts too), so
    a flood of forged kids cannot hammer the key server. A failed fetch keeps
    the keys we have: an outage only hurts tokens we could not verify anyway.
    """

    def __init__(
        self,
        *,
        url: str,
        timeout_seconds: float,
        refresh_interval_seconds: float,
        monotonic: Callable[[], float],
    ) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"JWKS URL must be an absolute http(s) URL, got {url!r}")
        self._url = url
        self._timeout = timeout_seconds
        self._interval = refresh_interval_seconds
        self._monotonic = monotonic
        self._keys: KeyTable = {}
        self._last_fetch: float | None = None
        self._lock = threading.Lock()

    def key_for(self, *, kid: str, alg: str) -> Key | None:
        """The key named ``kid`` for ``alg``, refreshing the set if allowed; else ``None``."""
        key = self._keys.get((kid, alg))
        if key is not None:
            return key
        with self._lock:
            key = self._keys.get((kid, alg))
            if key is not None:  # another thread's refresh brought it in
                return key
            now = self._monotonic()
            if self._last_fetch is not None and now - self._last_fetch < self._interval:
                return None
            self._last_fetch = now
            fetched = self._fetch()
            if fetched is not None:
                self._keys = fetched
            return self._keys.get((kid, alg))

    def _fetch(self) -> KeyTable | None:
        document = self._download()
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            if document is not None:
                logger.warning("JWKS from %s is not a key set; keeping cached keys", self._url)
            return None
        table: KeyTable = {}
        for entry in document["keys"]:
            parsed = key_from_jwk(entry)
            if parsed is not None:
                kid, alg, key = parsed
                table.setdefault((kid, alg), key)
        logger.info("JWKS from %s: %d usable key(s)", self._url, len(table))
        return table

    def _download(self) -> object | None:
        # The URL is operator configuration, checked to be http(s) in __init__.
        request = urllib.request.Request(self._url, headers={"Accept": "application/json"})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                if response.status != 200:
                    logger.warning("JWKS fetch from %s: HTTP %s", self._url, response.status)
                    return None
                body = response.read(MAX_JWKS_BYTES + 1)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            logger.warning("JWKS fetch from %s failed: %s", self._url, type(exc).__name__)
            return None
        if len(body) > MAX_JWKS_BYTES:
            logger.warning("JWKS from %s is over %d bytes", self._url, MAX_JWKS_BYTES)
            return None
        try:
            document: object = json.loads(body.decode("utf-8"))
        except (ValueError, RecursionError):
            logger.warning("JWKS from %s is not JSON", self._url)
            return None
        return document
