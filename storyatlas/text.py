"""Text helpers shared by every stage (the bottom layer: imports nothing of the project)."""

from __future__ import annotations

import unicodedata


def fold(word: str) -> str:
    """A word as the index sees it, and as theme triggers are compared: lower case,
    without diacritics or punctuation."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if c.isalnum())
