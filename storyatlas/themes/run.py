"""Tagging stories in the archive: one story after it is transcribed, or every story
whose tags come from an older vocabulary."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from storyatlas.archive import Archive, tags
from storyatlas.themes import store
from storyatlas.themes.places import PlaceNames
from storyatlas.themes.store import TAGGER
from storyatlas.themes.tagger import Tagger, Tagging
from storyatlas.themes.vocabulary import Vocabulary

_taggers: dict[tuple, Tagger] = {}


def tagger_for(archive: Archive, cache: Path, vocabulary: Vocabulary | None = None) -> Tagger:
    """A tagger for the archive's vocabulary and places, kept while they stay the same."""
    vocabulary = vocabulary or store.vocabulary(archive)
    places = tags.known_places(archive, TAGGER)
    key = (vocabulary.version, str(cache), tuple(sorted(places.items())))
    if key not in _taggers:
        _taggers.clear()  # the vocabulary or the places changed: the old one is no use
        _taggers[key] = Tagger(vocabulary, cache, PlaceNames(places))
    return _taggers[key]


def tag_story(archive: Archive, story_id: int, cache: Path, tagger: Tagger | None = None) -> Tagging:
    """Tag one story and store what was found (replacing earlier tags)."""
    tagger = tagger or tagger_for(archive, cache)
    story = archive.story(story_id, TAGGER)
    segments = archive.segments(story_id, TAGGER)
    tagging = tagger.tag(story.language, [(s.text, s.text_en) for s in segments])
    store.save_tagging(archive, story_id, tagging)
    return tagging


def retag(archive: Archive, cache: Path, every: bool = False,
          progress: Callable[[int, int], None] | None = None) -> int:
    """Tag again the stories tagged with another vocabulary version or by another tagger
    (or all, with ``every``).

    Returns how many stories were tagged.
    """
    tagger = tagger_for(archive, cache)
    due = store.stories_due(archive, "" if every else tagger.vocabulary.version, tagger.version)
    for n, story_id in enumerate(due, 1):
        tag_story(archive, story_id, cache, tagger)
        if progress:
            progress(n, len(due))
    return len(due)
