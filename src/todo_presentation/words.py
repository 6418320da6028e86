"""The words that mean yes and no wherever text is read as a boolean (query strings, CSV)."""

from __future__ import annotations

from typing import Final

TRUE_WORDS: Final = frozenset({"true", "1", "yes"})
FALSE_WORDS: Final = frozenset({"false", "0", "no"})


def boolean_word(text: str) -> bool | None:
    """``True`` or ``False`` for a known word (any case, spaces around ignored), else ``None``."""
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None
