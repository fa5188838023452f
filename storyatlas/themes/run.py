"""Tagging stories in the archive: one story after it is transcribed, or every story
whose tags come from an older vocabulary."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from storyatlas.archive import Archive, tags
from storyatlas.themes.places import PlaceNames
from storyatlas.themes.tagger import Tagger, Tagging
from storyatlas.themes.vocabulary import Vocabulary


def tagger_for(archive: Archive, cache: Path, vocabulary: Vocabulary | None = None) -> Tagger:
    return Tagger(vocabulary or tags.vocabulary(archive), cache, PlaceNames(tags.known_places(archive)))


def tag_story(archive: Archive, story_id: int, cache: Path, tagger: Tagger | None = None) -> Tagging:
    """Tag one story and store what was found (replacing earlier tags)."""
    tagger = tagger or tagger_for(archive, cache)
    story = archive.story(story_id)
    segments = archive.segments(story_id)
    tagging = tagger.tag(story.language, [(s.text, s.text_en) for s in segments])
    tags.save_tagging(archive, story_id, tagging)
    return tagging


def retag(archive: Archive, cache: Path, every: bool = False,
          progress: Callable[[int, int], None] | None = None) -> int:
    """Tag again the stories tagged with another vocabulary version (or all, with ``every``).

    Returns how many stories were tagged.
    """
    tagger = tagger_for(archive, cache)
    due = tags.stories_due(archive, "" if every else tagger.vocabulary.version)
    for n, story_id in enumerate(due, 1):
        tag_story(archive, story_id, cache, tagger)
        if progress:
            progress(n, len(due))
    return len(due)
