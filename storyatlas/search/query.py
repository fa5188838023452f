"""Turning what a person types into an FTS5 query, safely.

Words and "quoted phrases" are kept; every other character FTS5 would read as
syntax is dropped, so no input can produce a syntax error.
"""

from __future__ import annotations

import re

from storyatlas.text import fold

_TOKEN = re.compile(r'"([^"]*)"|([\w][\w\'’-]*)', re.UNICODE)
_WORD = re.compile(r"\w+", re.UNICODE)


def terms(text: str) -> list[str]:
    """The words and phrases of a query, each as an FTS5 string literal."""
    out = []
    for phrase, word in _TOKEN.findall(text):
        words = _WORD.findall(phrase if phrase else word)
        if words:
            out.append('"' + " ".join(words) + '"')
    return out


def fts_query(text: str, any_term: bool = False) -> str | None:
    """All terms must match (or any, when ``any_term``); None when nothing searchable is left."""
    found = terms(text)
    if not found:
        return None
    return (" OR " if any_term else " AND ").join(found)


def query_words(text: str) -> set[str]:
    return {fold(w) for t in terms(text) for w in _WORD.findall(t)}
