"""A volunteer's work list in the library: what it lists, in which order, and who last
saved each story."""

from __future__ import annotations

import pytest

from storyatlas.archive import MediaFile, Place, StoryMetadata, Viewer, corrections
from storyatlas.archive.worklist import work_list
from tests.conftest import add_story

VERA = Viewer("Vera", frozenset({"volunteer"}))
VIKTOR = Viewer("Viktor", frozenset({"volunteer"}))


def _first_segment(archive, story: int) -> int:
    return archive.segments(story, Viewer.keeper())[0].id


def test_the_work_list_names_who_saved_last_and_keeps_mine_to_what_i_saved(archive):
    shared = add_story(archive, "Shared", "en", [(0.0, 4.0, "We pumped the cellar dry.")])
    theirs = add_story(archive, "Theirs", "en", [(0.0, 4.0, "The river came back.")])
    corrections.set_text(archive, shared, _first_segment(archive, shared), "We pumped it dry.", VERA, base=None)
    corrections.set_text(archive, shared, _first_segment(archive, shared), "We pumped the cellar.", VIKTOR, base=1)
    corrections.set_text(archive, theirs, _first_segment(archive, theirs), "The river came.", VIKTOR, base=None)

    listed = work_list(archive, VERA)
    assert [i.title for i in listed] == ["Shared", "Theirs"]  # as unsure as each other: by number
    items = {i.title: i for i in listed}
    assert (items["Shared"].revision, items["Shared"].last_by) == (2, "Viktor")  # the last save, not the first
    assert items["Shared"].last_at is not None
    assert [i.title for i in work_list(archive, VERA, mine=True)] == ["Shared"]  # not what only Viktor saved


def test_the_work_list_leaves_out_what_is_not_transcribed_and_names_an_untitled_story(archive):
    add_story(archive, "", "en", [(0.0, 4.0, "Untitled.", None, None, True)])
    plain = add_story(archive, "Plain", "en", [(0.0, 4.0, "Never saved.")])
    archive.conn.execute("UPDATE stories SET review_state = 'draft' WHERE id = ?", (plain,))
    archive.create_story(StoryMetadata(title="Waiting", place=Place("Zgorzelec")),
                         [MediaFile("original", "ab" * 32, "originals/w.ogg", "ogg", "opus", False, 1, 1.0, "w.ogg")],
                         1.0)

    items = work_list(archive, VERA)
    untitled = items[0]  # the machine was unsure there: first
    assert untitled.title == f"story {untitled.story_id}" and untitled.unsure == 1
    assert [(i.title, i.review_state, i.revision, i.last_by) for i in items[1:]] == [("Plain", "draft", 0, None)]
    assert [i.title for i in work_list(archive, VERA, state="draft")] == ["Plain"]


def test_an_unknown_review_state_is_refused(archive):
    with pytest.raises(ValueError, match="one of draft, corrected, reviewed, published"):
        work_list(archive, VERA, state="finished")
