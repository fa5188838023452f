"""A collection's stories, through the access policy: what a collection download holds."""

from __future__ import annotations

from dataclasses import dataclass

from storyatlas.archive import Archive, Story, _story
from storyatlas.archive.policy import Viewer, story_condition
from storyatlas.errors import NotFound, said


@dataclass(frozen=True)
class CollectionStories:
    name: str
    stories: list[Story]
    """The stories ``viewer`` may see whose tellers allowed exports, in id order."""
    withheld: int
    """Stories ``viewer`` may see but whose tellers asked that they not be exported.

    Counted only among the stories the viewer may see, so the number reveals nothing
    about the others."""


def exportable_stories(archive: Archive, name: str, viewer: Viewer) -> CollectionStories:
    """The stories of collection ``name`` (compared as Python folds case) that ``viewer``
    may see and whose storytellers allowed them to be exported.

    Unlike a single story, which its moderators may export whatever the teller chose, a
    collection download never holds a story whose teller refused: it is made to be
    passed on whole. NotFound when nothing is left, exactly as for a collection that
    does not exist.
    """
    where, params = story_condition(viewer)
    rows = archive.conn.execute(
        f"SELECT * FROM stories st WHERE casefold(st.collection) = ? AND {where} ORDER BY st.id",
        (name.strip().casefold(), *params)).fetchall()
    stories = [_story(r) for r in rows]
    allowed = [s for s in stories if s.exportable]
    if not allowed:
        raise NotFound(said("there is no story to export in collection {name!r}: check its name "
                            "(`storyatlas stories` lists the stories), and that its storytellers allowed exports",
                            name=name))
    return CollectionStories(name, allowed, len(stories) - len(allowed))
