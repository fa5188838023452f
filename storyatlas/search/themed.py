"""Search through themes: a query's words, in any of the vocabulary's languages, call up
the themes they trigger, and so the stories tagged with them in other languages."""

from __future__ import annotations

from storyatlas.archive import Archive, tags
from storyatlas.search.query import fold, query_words


def query_themes(archive: Archive, text: str) -> tuple[str, ...]:
    """Themes with a trigger made of the query's words (all of a phrase's words present)."""
    words = query_words(text)
    if not words:
        return ()
    found = []
    for theme_id, triggers in tags.theme_triggers(archive):
        for phrases in triggers.values():
            if any(phrase and all(fold(w) in words for w in phrase.split()) for phrase in phrases):
                found.append(theme_id)
                break
    return tuple(found)
