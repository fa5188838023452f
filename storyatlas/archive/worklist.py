"""A volunteer's work list: the stories they may correct, how far each one's transcript
was checked, where the machine was unsure, and who last saved it."""

from __future__ import annotations

import json
from dataclasses import dataclass

from storyatlas.archive import Archive
from storyatlas.archive.corrections import may_correct
from storyatlas.archive.index_points import REVIEW_STATES
from storyatlas.archive.policy import Viewer, moderated_condition, story_condition

LIMIT = 5000
"""Stories listed, at most (those the machine was least sure of first)."""


@dataclass(frozen=True)
class WorkItem:
    story_id: int
    title: str
    review_state: str
    segments: int
    unsure: int
    """Segments the machine was unsure of (where to listen first)."""
    revision: int
    last_by: str | None
    last_at: str | None


def work_list(archive: Archive, viewer: Viewer, state: str | None = None, mine: bool = False) -> list[WorkItem]:
    """The processed stories ``viewer`` may see and correct, those with the most unsure
    segments first; ``state`` keeps one review state, ``mine`` those the viewer saved."""
    if state is not None and state not in REVIEW_STATES:
        raise ValueError(f"review state {state!r}: one of {', '.join(REVIEW_STATES)}")
    # ordered, filtered and bounded in SQL: bounding the stories first and filtering them
    # after left out every story past the first LIMIT the viewer may see (a moderator's
    # own community's, in an archive with many others), however unsure the machine was
    where, params = story_condition(viewer)
    if "volunteer" not in viewer.roles:  # a moderator corrects the stories they moderate only
        moderated, more = moderated_condition(viewer)
        where, params = f"{where} AND {moderated}", [*params, *more]
    if state is not None:
        where, params = f"{where} AND st.review_state = ?", [*params, state]
    if mine:
        where, params = f"{where} AND st.id IN (SELECT story_id FROM revisions WHERE who = ?)", [
            *params, viewer.label()]
    rows = archive.conn.execute(
        f"""SELECT st.id, count(*) AS segments, coalesce(sum(s.low_confidence), 0) AS unsure
            FROM stories st JOIN segments s ON s.story_id = st.id WHERE {where}
            GROUP BY st.id ORDER BY unsure DESC, st.id""", params)
    listed = []
    for sid, segments, unsure in rows:
        story = archive.story(sid, viewer)
        if may_correct(story, viewer):  # the policy decides; the query only narrows
            listed.append((story, segments, unsure))
        if len(listed) >= LIMIT:
            break
    ids = json.dumps([story.id for story, _, _ in listed])
    last = {r[0]: (r[1], r[2], r[3]) for r in archive.conn.execute(
        """SELECT r.story_id, r.number, r.who, r.at FROM revisions r
           JOIN (SELECT story_id, max(number) AS n FROM revisions
                 WHERE story_id IN (SELECT value FROM json_each(?)) GROUP BY story_id) m
             ON m.story_id = r.story_id AND m.n = r.number""", (ids,))}
    return [WorkItem(story.id, story.title or f"story {story.id}", story.review_state or "draft", segments, unsure,
                     *last.get(story.id, (0, None, None))) for story, segments, unsure in listed]
