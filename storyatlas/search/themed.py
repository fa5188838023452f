"""Search through themes: a query's words, in any of the vocabulary's languages, call up
the themes they trigger, and so the stories tagged with them in other languages."""

from __future__ import annotations

import threading

from storyatlas.archive import Archive, tags
from storyatlas.search.query import fold, query_words

# the vocabulary holds ten thousand trigger words: fold them once per version of it,
# not on every search
_folded: dict[tuple[str, int], list[tuple[str, tuple[frozenset[str], ...]]]] = {}
_lock = threading.Lock()


def _triggers(archive: Archive) -> list[tuple[str, tuple[frozenset[str], ...]]]:
    """(theme id, the folded words of each of its trigger phrases), for this vocabulary."""
    key = (str(archive.path), tags.vocabulary_generation(archive))
    with _lock:
        found = _folded.get(key)
    if found is None:
        found = [(theme_id, tuple(frozenset(fold(w) for w in phrase.split())
                                  for phrases in triggers.values() for phrase in phrases if phrase.split()))
                 for theme_id, triggers in tags.theme_triggers(archive)]
        with _lock:
            _folded.clear()
            _folded[key] = found
    return found


def query_themes(archive: Archive, text: str) -> tuple[str, ...]:
    """Themes with a trigger made of the query's words (all of a phrase's words present)."""
    words = query_words(text)
    if not words:
        return ()
    return tuple(theme_id for theme_id, phrases in _triggers(archive) if any(p <= words for p in phrases))
