"""A volunteer's work list: the stories they may correct, how far each one's transcript
was checked, where the machine was unsure, and who last saved it."""

from __future__ import annotations

from dataclasses import dataclass

from storyatlas.archive import Archive
from storyatlas.archive.corrections import may_correct
from storyatlas.archive.index_points import REVIEW_STATES
from storyatlas.archive.policy import Viewer

LIMIT = 5000
"""Stories looked at, at most (the first by number)."""


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
    stories = {s.id: s for s in archive.stories(viewer, limit=LIMIT) if may_correct(s, viewer)}
    if not stories:
        return []
    marks = ",".join("?" * len(stories))
    counts = {r[0]: (r[1], r[2]) for r in archive.conn.execute(
        f"""SELECT story_id, count(*), sum(low_confidence) FROM segments WHERE story_id IN ({marks})
            GROUP BY story_id""", list(stories))}
    last = {r[0]: (r[1], r[2], r[3]) for r in archive.conn.execute(
        f"""SELECT r.story_id, r.number, r.who, r.at FROM revisions r
            JOIN (SELECT story_id, max(number) AS n FROM revisions WHERE story_id IN ({marks}) GROUP BY story_id) m
              ON m.story_id = r.story_id AND m.n = r.number""", list(stories))}
    saved_by_me = {r[0] for r in archive.conn.execute(
        f"SELECT DISTINCT story_id FROM revisions WHERE who = ? AND story_id IN ({marks})",
        [viewer.label(), *stories])} if mine else set()
    items = []
    for sid, story in stories.items():
        if sid not in counts:
            continue  # not transcribed yet: nothing to correct
        review = story.review_state or "draft"
        if (state and review != state) or (mine and sid not in saved_by_me):
            continue
        segments, unsure = counts[sid]
        revision, who, at = last.get(sid, (0, None, None))
        items.append(WorkItem(sid, story.title or f"story {sid}", review, segments, unsure or 0, revision, who, at))
    return sorted(items, key=lambda i: (-i.unsure, i.story_id))
