"""Index points: the titled passages volunteers and moderators write into a story, as
oral historians index interviews (OHMS), and the story's review state.

Reading goes through ``Archive.story`` (the access policy): a point of a story the
viewer may not see is as absent as the story. Writing is for the people who look after
stories: a volunteer, or a moderator of the story's community (admins moderate every
one), who may see it. A volunteer changes or removes only their own points; moderators
any. Every change is audited, without the point's words (the audit log never holds them).
"""

from __future__ import annotations

import json
import math
import sqlite3
from dataclasses import replace

from storyatlas.archive import Archive, Story, audit
from storyatlas.archive.policy import Viewer, may_moderate
from storyatlas.archive.records import IndexPoint
from storyatlas.errors import AccessDenied, IndexPointError, NotFound, named, said
from storyatlas.text import one_line, printed

REVIEW_STATES = ("draft", "corrected", "reviewed", "published")
# what a volunteer may say of a transcript; reviewing and publishing are the moderators'
_VOLUNTEER_STATES = ("draft", "corrected")

_TITLE_MAX, _TEXT_MAX, _KEYWORDS_MAX, _WORD_MAX = 200, 4000, 30, 100


def may_index(story: Story, viewer: Viewer) -> bool:
    """Whether ``viewer`` (who may see ``story``) may write index points into it."""
    return "volunteer" in viewer.roles or may_moderate(viewer, story.place.community, story.collection)


def points(archive: Archive, story_id: int, viewer: Viewer) -> list[IndexPoint]:
    """The story's index points in the order of the recording; NotFound when ``viewer``
    may not see the story."""
    archive.story(story_id, viewer)
    rows = archive.conn.execute(
        "SELECT * FROM index_points WHERE story_id = ? ORDER BY at, id", (story_id,)).fetchall()
    return [_point(r) for r in rows]


def add(archive: Archive, story_id: int, point: IndexPoint, viewer: Viewer) -> IndexPoint:
    """Store ``point`` (its time, title, synopsis, keywords, themes and place) in the story."""
    story = _writable(archive, story_id, viewer)
    p = _checked(archive, story, point)
    with archive.transaction() as c:
        # no point's number is given again, a removed one's nor one a restored backup lacks
        # (migration 0026): an editor or a link may still name it
        point_id = c.execute(
            """INSERT INTO index_points (id, story_id, at, title, synopsis, keywords, themes, place, who)
               VALUES ((SELECT max(coalesce((SELECT max(id) FROM index_points), 0),
                                   (SELECT last FROM ids_given WHERE name = 'index_points')) + 1),
                       ?, ?, ?, ?, ?, ?, ?, ?)""",
            (story_id, p.time, p.title, p.synopsis, json.dumps(p.keywords, ensure_ascii=False),
             json.dumps(p.themes), p.place, viewer.label())).lastrowid
        audit.record(c, viewer, "index point added", story_id,
                     said("point {point} at {seconds:.1f} s", point=point_id, seconds=p.time))
    return _get(archive.conn, point_id)


def edit(archive: Archive, point_id: int, point: IndexPoint, viewer: Viewer) -> IndexPoint:
    """Replace what the point says with ``point``'s time, title, synopsis, keywords,
    themes and place."""
    _, story = _own(archive, point_id, viewer)
    p = _checked(archive, story, point)
    with archive.transaction() as c:
        c.execute(
            """UPDATE index_points SET at = ?, title = ?, synopsis = ?, keywords = ?, themes = ?, place = ?,
               updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?""",
            (p.time, p.title, p.synopsis, json.dumps(p.keywords, ensure_ascii=False), json.dumps(p.themes),
             p.place, point_id))
        audit.record(c, viewer, "index point changed", story.id,
                     said("point {point} at {seconds:.1f} s", point=point_id, seconds=p.time))
    return _get(archive.conn, point_id)


def remove(archive: Archive, point_id: int, viewer: Viewer, *, story_id: int | None = None) -> None:
    """Remove an index point; with ``story_id``, only one of that story (the page or the
    command it was asked from names the story: a point of another is none of its)."""
    old, story = _own(archive, point_id, viewer, story_id)
    with archive.transaction() as c:
        c.execute("DELETE FROM index_points WHERE id = ?", (point_id,))
        audit.record(c, viewer, "index point removed", story.id,
                     said("point {point} at {seconds:.1f} s", point=point_id, seconds=old.time))


def set_review_state(archive: Archive, story_id: int, state: str, viewer: Viewer) -> Story:
    """Say how far people have checked the story's transcript. Moderators of the story
    set any state; volunteers move it only between "draft" and "corrected" (the editor's):
    a story a moderator reviewed or published stays so until a moderator changes it."""
    if state not in REVIEW_STATES:
        raise IndexPointError(said("unknown review state {state!r}: choose one of {states}", state=state,
                                   states=", ".join(REVIEW_STATES)))
    story = archive.story(story_id, viewer)
    if not may_moderate(viewer, story.place.community, story.collection):
        _check_volunteer_move(story, state, viewer)
    if state == story.review_state:
        return story
    with archive.transaction() as c:
        c.execute("UPDATE stories SET review_state = ? WHERE id = ?", (state, story_id))
        audit.record(c, viewer, "review state", story_id, said("{before} -> {after}", before=named(
            "review", story.review_state), after=named("review", state)))
    return archive.story(story_id, viewer)


def _check_volunteer_move(story: Story, state: str, viewer: Viewer) -> None:
    """AccessDenied unless ``viewer`` (no moderator of ``story``) may set ``state``: a volunteer
    may only move a story between the editor's states, never undo a moderator's review."""
    if not ("volunteer" in viewer.roles and state in _VOLUNTEER_STATES):
        raise AccessDenied(said("only the moderators of this story's community may mark it {state}",
                                state=named("review", state)))
    if story.review_state not in _VOLUNTEER_STATES:
        raise AccessDenied(said("this story's review state is {state}: only the moderators of its community "
                                "may change it", state=named("review", story.review_state)))


def _writable(archive: Archive, story_id: int, viewer: Viewer) -> Story:
    story = archive.story(story_id, viewer)  # NotFound for a story the viewer may not see
    if not may_index(story, viewer):
        raise AccessDenied(said("only volunteers and the moderators of this story's community may index it: "
                                "sign in"))
    return story


def _own(archive: Archive, point_id: int, viewer: Viewer, story_id: int | None = None) -> tuple[IndexPoint, Story]:
    """The point and its story (``story_id``'s only, when given), when ``viewer`` may change it."""
    row = archive.conn.execute("SELECT story_id FROM index_points WHERE id = ?", (point_id,)).fetchone()
    missing = NotFound(said("there is no index point {point}: `storyatlas index ID --list` lists a story's",
                              point=point_id))
    if row is None or story_id is not None and row[0] != story_id:
        raise missing
    try:
        story = _writable(archive, row[0], viewer)
    except NotFound:
        raise missing from None  # a point of a story the viewer may not see does not exist for them
    point = _get(archive.conn, point_id)
    if not may_moderate(viewer, story.place.community, story.collection) and not _wrote(archive, point_id, viewer):
        raise AccessDenied(said("a volunteer changes only their own index points; ask a moderator"))
    return point, story


def _wrote(archive: Archive, point_id: int, viewer: Viewer) -> bool:
    """Whether ``viewer`` wrote the point: a point keeps its writer's name, which a person
    added later under the name of one removed has too, so it must not be older than them."""
    if viewer.user_id is None:  # the command line's keeper, a tool
        row = archive.conn.execute("SELECT who = ? FROM index_points WHERE id = ?", (viewer.label(), point_id))
    else:
        row = archive.conn.execute(
            "SELECT p.who = ? AND p.created_at >= u.created_at FROM index_points p, users u "
            "WHERE p.id = ? AND u.id = ?", (viewer.label(), point_id, viewer.user_id))
    found = row.fetchone()
    return bool(found and found[0])


def tidied(point: IndexPoint, duration_s: float | None) -> IndexPoint:
    """``point`` tidied (spaces, duplicates) for a recording of ``duration_s``, or
    IndexPointError saying what to change; its themes are not looked up."""
    title = one_line(point.title)
    if not title:
        raise IndexPointError(said("an index point needs a title"))
    if not math.isfinite(point.time) or point.time < 0:
        raise IndexPointError(said("{time} is not a time in the recording", time=point.time))
    if duration_s and point.time > duration_s:
        raise IndexPointError(said("the recording ends at {end:.0f} s: an index point at {time:.0f} s would "
                                   "point at nothing", end=duration_s, time=point.time))
    synopsis, place = printed(point.synopsis, keep="\n").strip(), one_line(point.place)
    keywords = tuple(dict.fromkeys(k for k in map(one_line, point.keywords) if k))
    themes = tuple(dict.fromkeys(t.strip() for t in point.themes if t.strip()))
    if len(title) > _TITLE_MAX or len(place) > _TITLE_MAX or len(synopsis) > _TEXT_MAX:
        raise IndexPointError(said("a title or place holds at most {title_max} characters, a synopsis {text_max}",
                                   title_max=_TITLE_MAX, text_max=_TEXT_MAX))
    if len(keywords) > _KEYWORDS_MAX or any(len(k) > _WORD_MAX for k in keywords):
        raise IndexPointError(said("at most {count} keywords of {length} characters each", count=_KEYWORDS_MAX,
                                   length=_WORD_MAX))
    return replace(point, title=title, synopsis=synopsis, place=place, keywords=keywords, themes=themes)


def _checked(archive: Archive, story: Story, point: IndexPoint) -> IndexPoint:
    """``point`` tidied, its themes in the vocabulary, or IndexPointError saying what to change."""
    p = tidied(point, story.duration_s)
    known = {r[0] for r in archive.conn.execute("SELECT id FROM themes")}
    unknown = [t for t in p.themes if t not in known]
    if unknown:
        raise IndexPointError(said("no theme {themes} in the vocabulary: `storyatlas themes list` lists them",
                                   themes=", ".join(unknown)))
    return p


def _get(conn: sqlite3.Connection, point_id: int) -> IndexPoint:
    return _point(conn.execute("SELECT * FROM index_points WHERE id = ?", (point_id,)).fetchone())


def _point(row: sqlite3.Row) -> IndexPoint:
    return IndexPoint(row["at"], row["title"], synopsis=row["synopsis"], keywords=tuple(json.loads(row["keywords"])),
                      place=row["place"], themes=tuple(json.loads(row["themes"])), id=row["id"], who=row["who"],
                      updated_at=row["updated_at"])
