"""`storyatlas correct` and `storyatlas revisions`, as an archive keeper runs them."""

import shutil
import wave

import numpy as np
import pytest
from click.testing import CliRunner

from storyatlas import meaning
from storyatlas.archive import StoryMetadata, Viewer, corrections
from storyatlas.archive import vectors as meaning_rows
from storyatlas.archive.english import stale_english
from storyatlas.cli import cli
from storyatlas.ingest import ingest_file
from storyatlas.jobs import Queue, process_job
from tests.conftest import add_story, give_recording, story_file

KEEPER = Viewer.keeper("cli:test")
LINES = [(0.0, 4.0, "We pumped the settler dry."), (4.0, 8.0, "Then the river came back."),
         (8.0, 12.0, "And we pumped again.")]


@pytest.fixture
def run(settings, monkeypatch):
    monkeypatch.setenv("STORYATLAS_CACHE", str(settings.cache))

    def invoke(*args, code=0):
        result = CliRunner().invoke(cli, [*map(str, args), "--archive", str(settings.archive)],
                                    catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    return invoke


def _texts(archive, story):
    return [s.text for s in archive.segments(story, KEEPER)]


def test_correct_by_time_split_merge_speakers_and_replace(run, archive):
    story = add_story(archive, "The flood", "en", LINES)

    assert f"saved revision 1 of story #{story}" in run("correct", story, "--at", "0:02", "--text",
                                                         "We pumped the cellar dry.")
    assert _texts(archive, story)[0] == "We pumped the cellar dry."
    run("correct", story, "--split-at", "0:06")
    assert _texts(archive, story)[1:3] == ["Then the river", "came back."]
    run("correct", story, "--merge-at", "0:05")
    assert _texts(archive, story)[1] == "Then the river came back."
    run("correct", story, "--at", "9", "--speaker", "S1")
    run("correct", story, "--name-speaker", "S1=Anna Nowak", "--role", "storyteller")
    assert "replaced in 2 segments" in run("correct", story, "--find", "pumped", "--replace", "drained")
    shown = run("correct", story)
    assert "revision 6" in shown and "S1: Anna Nowak (storyteller)" in shown
    assert "0:08.0-0:12.0    [S1] And we drained again." in shown

    listed = run("revisions", story)
    assert listed.splitlines()[0].startswith("    6  ") and "cli:" in listed and "machine transcript" in listed
    compared = run("revisions", story, "--compare", 0, 1)
    assert "1 segment changed" in compared and "- We pumped the settler dry." in compared
    assert "+ We pumped the cellar dry." in compared
    assert "restored revision 0" in run("revisions", story, "--restore", 0)
    assert _texts(archive, story) == [x[2] for x in LINES]
    assert "We pumped the cellar dry." in run("revisions", story, "--show", 1)


def test_a_change_is_queued_for_the_worker_to_make_again_what_comes_from_the_text(run, archive, settings):
    story = add_story(archive, "The flood", "en", LINES)
    meaning.index(archive)
    queue = Queue(settings)

    run("correct", story, "--at", "0:02", "--text", "We pumped the cellar dry.")
    assert meaning_rows.counts(archive, meaning.model()) == (2, 3)  # the corrected line's went with its text
    assert queue.huey.pending_count() == 1
    run("revisions", story, "--restore", 0)
    assert queue.huey.pending_count() == 2
    while (task := queue.huey.dequeue()) is not None:  # the worker's turn
        queue.huey.execute(task)
    assert meaning_rows.counts(archive, meaning.model()) == (3, 3)


def test_clear_errors(run, archive):
    story = add_story(archive, "The flood", "en", LINES)
    out = run("correct", story, "--at", "0:20", "--text", "x", code=1)
    assert "no segment is playing at 0:20.0" in out and "Traceback" not in out
    assert "say which segment with --at" in run("correct", story, "--text", "x", code=1)
    assert "one change at a time" in run("correct", story, "--split-at", "1", "--merge-at", "5", code=1)
    assert "--replace" in run("correct", story, "--find", "x", code=1)
    assert "S1=\"Anna Nowak\"" in run("correct", story, "--name-speaker", "Anna", code=2)
    assert "minutes:seconds" in run("correct", story, "--at", "1:75", "--text", "x", code=2)
    assert "there is no story 999" in run("correct", 999, code=3)
    run("correct", story, "--at", "1", "--text", "We pumped the cellar dry.")
    stale = run("correct", story, "--at", "5", "--text", "Then it rose.", "--base", 0, code=5)
    assert "saved revision 1" in stale and "reload" in stale
    assert "no revision 4" in run("revisions", story, "--restore", 4, code=3)
    assert "no corrections yet" in run("revisions", add_story(archive, "Other", "en", LINES))


def test_speakers_by_channel(run, archive, settings):
    story = add_story(archive, "Interview", "en", [(0.0, 2.0, "How was it?"), (2.0, 4.0, "Wet.")])
    rate, t = 16_000, np.arange(4 * 16_000) / 16_000
    tone = np.sin(2 * np.pi * 200 * t) * 10_000
    stereo = np.stack([np.where(t < 2, tone, 0), np.where(t >= 2, tone, 0)], axis=1).astype("<i2")
    original = archive.conn.execute("SELECT path FROM media WHERE story_id = ?", (story,)).fetchone()[0]
    target = settings.media_dir / original
    target.parent.mkdir(parents=True)
    with wave.open(str(target.with_suffix(".wav")), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(stereo.tobytes())
    shutil.move(target.with_suffix(".wav"), target)  # the name says .ogg; the probe reads what it is

    assert "labelled 2 segments by channel: S1 1 segment, S2 1 segment" in run("correct", story,
                                                                             "--speakers-by-channel")
    assert [s.speaker for s in corrections.transcript(archive, story, KEEPER).segments] == ["S1", "S2"]


def test_text_and_speaker_together_case_and_what_nothing_changed_says(run, archive):
    story = add_story(archive, "The flood", "en", LINES)
    out = run("correct", story, "--at", "1", "--speaker", "S1", "--text", "We pumped the cellar dry.", "--base", 0)
    assert f"saved revision 2 of story #{story}" in out  # the text on top of the speaker's revision
    line = corrections.transcript(archive, story, KEEPER).segments[0]
    assert (line.speaker, line.text) == ("S1", "We pumped the cellar dry.")
    assert "saved revision 3" in run("correct", story, "--at", "1", "--speaker", "S2", "--text", line.text)
    assert f"nothing changed: story #{story} stays at revision 3" in run("correct", story, "--at", "1",
                                                                         "--text", line.text)
    assert "replaced in 0 segments" in run("correct", story, "--find", "PUMPED", "--replace", "drained")
    assert "replaced in 2 segments" in run("correct", story, "--find", "PUMPED", "--replace", "drained",
                                           "--ignore-case")
    assert "revision 4 is the transcript already: nothing changed" in run("revisions", story, "--restore", 4)


def test_revisions_listed_compared_and_shown_with_what_changed(run, archive):
    story = add_story(archive, "The flood", "en", LINES)
    run("correct", story, "--split-at", "0:06")
    run("correct", story, "--at", "9", "--speaker", "S2")
    run("correct", story, "--name-speaker", "S2=", "--role", "interviewer")
    run("correct", story, "--name-speaker", "S1=  Anna  Nowak ", "--role", "storyteller")
    shown = run("correct", story)
    assert "  S2: interviewer" in shown and "  S1: Anna Nowak (storyteller)" in shown  # no name: the role

    listed = run("revisions", story).splitlines()
    assert listed[0].endswith(": speaker S1 named") and listed[-2].endswith(": split at 0:06.0")
    compared = run("revisions", story, "--compare", 0, 1)
    assert "2 segments changed" in compared and "+ (none)" not in compared and "- (none)" in compared
    assert "0:08.0-0:12.0    [S2] And we pumped again." in run("revisions", story, "--show", 2)
    assert "revision 4 is the transcript already: nothing changed" in run("revisions", story, "--restore", 4)
    assert "=\"Anna Nowak\"" in run("correct", story, "--name-speaker", " =Anna", code=2)
    assert "is not in the range" in run("revisions", 99999999999999999999, code=2)  # no story's number
    fresh = add_story(archive, "Not corrected", "en", LINES)
    assert "has not been corrected yet: revision 0 is its transcript as it is" in run("revisions", fresh, "--show", 0,
                                                                                     code=3)
    for half in (("--replace", "cellar"), ("--ignore-case",), ("--at", "9")):  # not "show the transcript"
        assert "say what" in run("correct", story, *half, code=1)


def test_speakers_by_channel_or_voice_say_when_they_cannot_tell(run, archive, settings, monkeypatch):
    story = add_story(archive, "Mono", "en", [(0.0, 2.0, "How was it?"), (2.0, 4.0, "Wet.")])
    original = give_recording(archive, settings.media_dir, story)
    assert "no channel leads anywhere" in run("correct", story, "--speakers-by-channel", code=1)

    from storyatlas import cli_corrections

    monkeypatch.setattr(cli_corrections, "voices_available", lambda: True)
    monkeypatch.setattr(cli_corrections, "speaker_turns", lambda speech, spans: ["S1"] * len(spans))
    archive.conn.execute("INSERT INTO media (story_id, role, sha256, path, container, codec, has_video, size_bytes, "
                         "duration_s, original_filename) VALUES (?, 'speech', 'x', ?, 'wav', 'pcm', 0, 1, 4.0, NULL)",
                         (story, original))
    assert "one voice is heard throughout" in run("correct", story, "--speakers-by-voice", code=1)



def _german_line_corrected(archive, settings) -> tuple[int, int]:
    """An English story's segment heard as German and translated, then corrected."""
    story = ingest_file(archive, story_file("en"), StoryMetadata(title="River"), settings, KEEPER)
    assert process_job(settings, story.job_id, archive=archive).state == "done"
    german = archive.segments(story.story_id, KEEPER)[1]
    archive.conn.execute("UPDATE segments SET language = 'de', text_en = 'The river.' WHERE id = ?", (german.id,))
    corrections.set_text(archive, story.story_id, german.id, f"{german.text} (checked)", KEEPER, base=None)
    assert [x.segment_id for x in stale_english(archive, story.story_id, KEEPER)] == [german.id]
    return story.story_id, german.id


@pytest.mark.slow
def test_retranslate_says_why_a_line_stays_out_of_date(run, archive, settings):
    story, german = _german_line_corrected(archive, settings)

    said = run("retranslate", story, "--model", "tiny.en", code=1)

    assert "0 English lines made again" in said
    assert "1 line still out of date: the model tiny.en knows only English and cannot translate" in said
    assert [x.segment_id for x in stale_english(archive, story, KEEPER)] == [german]
    assert f"there is no story {story + 1}" in run("retranslate", story + 1, code=3)


@pytest.mark.slow
def test_retranslate_makes_the_english_again(run, archive, settings):
    story, german = _german_line_corrected(archive, settings)

    assert "1 English line made again" in run("retranslate", story)  # with base, the default

    assert stale_english(archive, story, KEEPER) == []
    assert archive.segments(story, KEEPER)[1].text_en not in (None, "The river.")
