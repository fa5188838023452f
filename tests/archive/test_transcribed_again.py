"""A story nobody has corrected yet (revision 0) transcribed again (a failed job retried,
or processed again by the keeper): its new segments never take the ids of the old ones,
so an editor loaded before, still at revision 0, cannot save onto another passage."""

from __future__ import annotations

import pytest

from storyatlas.archive import Viewer, corrections
from storyatlas.errors import Conflict
from storyatlas.transcribe import Transcript, TranscriptSegment
from tests.conftest import add_story, index_match

KEEPER = Viewer.keeper("cli:test")
VERA = Viewer("Vera", frozenset({"volunteer"}))
LINES = [(0.0, 4.0, "We pumped the settler dry."), (4.0, 8.0, "Then the river came back.")]
AGAIN = [(0.0, 2.0, "My name is Anna."), (2.0, 6.0, "We pumped the cellar dry."),
         (6.0, 8.0, "Then the river came back.")]


def transcribe_again(archive, story: int, lines: list[tuple[float, float, str]]) -> None:
    """What the worker stores when it transcribes the story again."""
    segments = tuple(TranscriptSegment(start, end, text, ()) for start, end, text in lines)
    transcript = Transcript("transcribe", "en", 0.99, lines[-1][1] if lines else 0.0, segments, "hand")
    archive.save_transcription(story, transcript, None, [None] * len(segments))


def test_an_editor_loaded_before_a_story_is_transcribed_again_cannot_save_onto_another_passage(archive):
    story = add_story(archive, "The flood", "en", LINES)  # the newest rows: their ids are the highest
    loaded = corrections.transcript(archive, story, VERA)
    assert loaded.revision == 0
    transcribe_again(archive, story, AGAIN)
    now = corrections.transcript(archive, story, VERA)
    assert now.revision == 0 and not {s.id for s in now.segments} & {s.id for s in loaded.segments}

    stale = loaded.segments[0]
    for edit in (lambda: corrections.set_text(archive, story, stale.id, "We pumped the cellar dry.", VERA, base=0),
                 lambda: corrections.set_speaker(archive, story, stale.id, "S1", VERA, base=0),
                 lambda: corrections.split(archive, story, stale.id, VERA, base=0, offset=3),
                 lambda: corrections.merge(archive, story, stale.id, VERA, base=0)):
        with pytest.raises(Conflict, match="reload the transcript"):
            edit()
    assert [(s.text, s.speaker) for s in corrections.transcript(archive, story, VERA).segments] == \
           [(text, None) for _, _, text in AGAIN]
    assert corrections.revisions(archive, story, VERA) == []

    # reloaded, the editor corrects the new transcript as usual
    intro = now.segments[0]
    assert corrections.set_text(archive, story, intro.id, "My name is Anna Nowak.", VERA, base=0).revision == 1
    assert [s.text for s in archive.segments(story, KEEPER)][0] == "My name is Anna Nowak."


def test_a_story_transcribed_again_keeps_one_transcript_and_only_its_new_words(archive):
    story = add_story(archive, "The flood", "en", LINES, timed=True)
    other = add_story(archive, "Another", "en", [(0.0, 2.0, "A dry summer.")])
    first = {s.id for s in archive.segments(story, KEEPER)}
    transcribe_again(archive, story, AGAIN)
    transcribe_again(archive, story, AGAIN)  # twice: the same rows as once, none of them given again
    segments = archive.segments(story, KEEPER)
    assert [s.text for s in segments] == [text for _, _, text in AGAIN] and not first & {s.id for s in segments}
    assert [t["task"] for t in archive.transcripts(story, KEEPER)] == ["transcribe"]
    assert archive.conn.execute("SELECT count(*) FROM words w JOIN segments s ON s.id = w.segment_id "
                                "WHERE s.story_id = ?", (story,)).fetchone()[0] == 0
    terms = "SELECT count(*) FROM segment_terms WHERE segment_terms MATCH ?"
    assert archive.conn.execute(terms, (index_match("settler"),)).fetchone()[0] == 0
    assert archive.conn.execute(terms, (index_match("cellar"),)).fetchone()[0] == 1
    assert [s.text for s in archive.segments(other, KEEPER)] == ["A dry summer."]
