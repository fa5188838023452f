"""Search: segment-level documents derived from the archive, behind one small interface.

The embedded backend is SQLite FTS5 inside the archive file (``search.fts``).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Protocol

from storyatlas.archive.policy import Viewer
from storyatlas.text import as_kept

FACETS = ("theme", "language", "country", "region", "community", "collection", "year", "review_state")


def same_value(a: str, b: str) -> bool:
    """Whether two values of a facet are one to its filter: in upper or lower case, in any
    script, its accents written either way, as the access policy compares communities
    (``discover.same_name``): "de" is "DE", "GÖRLITZ" "Görlitz" (a theme's id is in lower case)."""
    return value_key(a) == value_key(b)


def value_key(value: str) -> str:
    """A facet's value as its filter compares it (see ``same_value``)."""
    return as_kept(value).casefold()


# snippets carry these private-use characters around matched words; each shell
# turns them into its own highlighting after escaping the rest
MARK_OPEN = "\ue000"
MARK_CLOSE = "\ue001"


@dataclass(frozen=True)
class SearchQuery:
    text: str
    viewer: Viewer
    """Who is searching: only stories they may see are searched, counted and suggested from."""
    language: str | None = None
    """Stories in which this language is spoken (anywhere, not only as their main one)."""
    country: str | None = None
    collection: str | None = None
    region: str | None = None
    community: str | None = None
    year: str | None = None
    theme: str | None = None
    review_state: str | None = None
    """Stories whose transcript is a "draft", "corrected", "reviewed" or "published"."""
    limit: int = 20
    """Stories per page."""
    offset: int = 0
    moments_per_story: int = 5
    meaning: bool = True
    """Also find moments by meaning (any language), fused with those found by words."""

    def __post_init__(self) -> None:
        # a phone's keyboard may send "ö" as "o" and a combining mark, which the query's
        # words would be cut at ("Ko\u0308ln" was searched as "Ko" and "ln")
        object.__setattr__(self, "text", as_kept(self.text))


@dataclass(frozen=True)
class Moment:
    segment_id: int | None
    """The segment spoken there; None for an index point in a story without segments."""
    start: float
    end: float
    text: str
    text_en: str | None
    snippet: str
    """Text around the match, matched words between MARK_OPEN and MARK_CLOSE."""
    at: float
    """Where the first matched word is spoken (the segment's start if words are unknown)."""
    why: tuple[str, ...] = ()
    """Why it matched: "words" (the words spoken), "translation" (the English), "meaning"
    (close in meaning, in any language), "theme", "index" (an index point's title,
    synopsis or keywords: then ``text`` is its title)."""
    language: str | None = None
    """The language spoken in this moment (a story may switch languages)."""

    def snippet_html(self) -> str:
        return html.escape(self.snippet).replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>")

    def snippet_marked(self, open_: str, close: str) -> str:
        return self.snippet.replace(MARK_OPEN, open_).replace(MARK_CLOSE, close)


@dataclass(frozen=True)
class StoryHit:
    story_id: int
    title: str
    language: str | None
    country: str | None
    collection: str | None
    score: float
    moments: tuple[Moment, ...]
    themes: tuple[str, ...] = ()
    """Themes the query called up that this story has."""
    languages: tuple[str, ...] = ()
    """Every language spoken in the story, the main one (``language``) first."""


@dataclass(frozen=True)
class SearchResults:
    query: SearchQuery
    total_stories: int
    stories: tuple[StoryHit, ...] = field(default_factory=tuple)
    relaxed: bool = False
    """True when no moment held every word, so moments holding any of them are shown."""
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    """Per facet (language, country, region, collection, year): values with story counts."""
    suggestions: tuple[str, ...] = ()
    """Words from stories the viewer may see, close to the query's, offered when nothing matched."""
    suggested_queries: tuple[str, ...] = ()
    """The query with each suggestion in the place of the word it was offered for, and each
    other word not found written as its first suggestion: what "did you mean" links to
    ("flood cellr": "flood cellar"; "cellr accidnet": "cellar accident")."""
    themes: tuple[str, ...] = ()
    """Themes whose trigger words are in the query (in any of the vocabulary's languages)."""
    word_for_word: str = ""
    """Where every word the query asks for is one too common to search alone (a function
    word of its language: "the", "jusqu'à"), so the words index was not asked: the query
    with them quoted, which searches them word for word ('"the"')."""
    only_left_out: bool = False
    """True when the query only says what to leave out ("-river"): it asks for no word."""
    begun_cut: tuple[str, ...] = ()
    """Words typed with ``*`` that begin more of the index's words than are searched
    (``vocabulary.BEGUN``, the shortest): more letters would find the others."""
    by_words: int = 0
    """Of the stories, those found by their words, index points or themes (not by meaning
    alone)."""
    worded: int = 0
    """Of the stories, those whose moments or index points hold the query's words: when
    none does, the query is relaxed and "did you mean" offered."""


class SearchBackend(Protocol):
    def search(self, query: SearchQuery) -> SearchResults: ...

    def rebuild(self) -> int:
        """Rebuild the index from the archive; return the number of segments indexed."""
        ...
