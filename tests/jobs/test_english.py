"""Corrected segments get their English made again, from their own audio, and only
while their text is still the one that was translated."""

from __future__ import annotations

import pytest

from storyatlas.archive import StoryMetadata, Viewer, corrections
from storyatlas.archive.english import set_english, stale_english, stories_with_stale_english
from storyatlas.errors import NotFound
from storyatlas.ingest import ingest_file
from storyatlas.jobs import Queue, process_job
from tests.conftest import add_story, story_file

KEEPER = Viewer.keeper("cli:test")
MEMBER = Viewer("Mia", frozenset({"member"}), member_of=frozenset({"Görlitz"}))
LINES = [(0.0, 4.0, "Im Frühling kam das Hochwasser.", "In spring the flood came."),
         (4.0, 8.0, "Der Keller war voll.", "The cellar was full.")]


def _stale(archive, story):
    return [s.segment_id for s in stale_english(archive, story, KEEPER)]


def test_english_made_for_an_older_text_is_not_written(archive):
    story = add_story(archive, "Flut", "de", LINES, community="Zgorzelec")
    first, second = (s.id for s in archive.segments(story, KEEPER))
    corrections.set_text(archive, story, first, "Im Frühling kam die Flut.", KEEPER, base=None)
    assert _stale(archive, story) == [first]

    # translated, then corrected again before the English was written: it stays out of date
    made_for = stale_english(archive, story, KEEPER)[0].text
    corrections.set_text(archive, story, first, "Im Frühling kam die große Flut.", KEEPER, base=None)
    assert set_english(archive, story, {first: (made_for, "In spring the flood came.")}) == 0
    assert _stale(archive, story) == [first]

    current = stale_english(archive, story, KEEPER)[0].text
    assert set_english(archive, story, {first: (current, "In spring the great flood came.")}) == 1
    assert _stale(archive, story) == []
    assert [s.text_en for s in archive.segments(story, KEEPER)] == ["In spring the great flood came.",
                                                                      "The cellar was full."]


def test_only_stories_the_viewer_may_see_are_listed(archive):
    hidden = add_story(archive, "Privat", "de", LINES, community="Zgorzelec", visibility="private")
    shown = add_story(archive, "Offen", "de", LINES, community="Görlitz")
    for story in (hidden, shown):
        segment = archive.segments(story, KEEPER)[0].id
        corrections.set_text(archive, story, segment, "Im Frühling kam die Flut.", KEEPER, base=None)
    add_story(archive, "Unberührt", "de", LINES, community="Görlitz")  # nothing corrected: nothing out of date
    assert stories_with_stale_english(archive, KEEPER) == [hidden, shown]
    assert stories_with_stale_english(archive, MEMBER) == [shown]
    with pytest.raises(NotFound):
        stale_english(archive, hidden, MEMBER)


def test_the_lines_out_of_date_come_in_the_order_they_are_told(archive):
    story = add_story(archive, "Flut", "de", LINES)
    ids = [s.id for s in archive.segments(story, KEEPER)]
    for segment in reversed(ids):
        corrections.set_text(archive, story, segment, "Das Wasser kam.", KEEPER, base=None)
    assert _stale(archive, story) == ids


@pytest.mark.slow
def test_a_split_segment_gets_english_for_each_half(archive, base_settings):
    settings = base_settings
    result = ingest_file(archive, story_file("de"), StoryMetadata(title="Flut"), settings, KEEPER)
    assert process_job(settings, result.job_id, archive=archive).state == "done"
    longest = max(archive.segments(result.story_id, KEEPER), key=lambda s: len(s.text.split()))
    words = longest.text.split()
    corrections.split(archive, result.story_id, longest.id, KEEPER, base=None,
                      offset=len(" ".join(words[:len(words) // 2])) + 1)
    halves = [s for s in archive.segments(result.story_id, KEEPER) if longest.start <= s.start < longest.end]
    assert len(halves) == 2 and len(_stale(archive, result.story_id)) == 2

    Queue(settings).retag.call_local()  # what the worker runs after a correction

    assert _stale(archive, result.story_id) == []
    english = [s.text_en for s in archive.segments(result.story_id, KEEPER) if s.id in {h.id for h in halves}]
    assert all(line and line.strip() for line in english) and english[0] != english[1]
    # and each half is found by meaning, from its own text
    assert archive.conn.execute(f"SELECT count(*) FROM segment_vectors WHERE segment_id IN "
                                f"({halves[0].id}, {halves[1].id})").fetchone()[0] == 2


@pytest.mark.slow
def test_a_story_run_again_after_corrections_keeps_them(archive, settings):
    result = ingest_file(archive, story_file("en"), StoryMetadata(title="River"), settings, KEEPER)
    assert process_job(settings, result.job_id, archive=archive).state == "done"
    segment = archive.segments(result.story_id, KEEPER)[2]
    corrections.set_text(archive, result.story_id, segment.id, "We pumped the cellar for three days.", KEEPER,
                         base=None)
    archive.conn.execute("UPDATE jobs SET state = 'queued', worker = NULL WHERE id = ?", (result.job_id,))

    job = process_job(settings, result.job_id, archive=archive)

    assert job.state == "done" and "corrected by people (revision 1)" in job.message
    assert "We pumped the cellar for three days." in [s.text for s in archive.segments(result.story_id, KEEPER)]


def test_english_is_made_again_only_for_the_stories_asked_that_need_it(archive, settings):
    """No story asked is no story done, and a story with nothing out of date is left
    alone (its audio is not even looked for: these stories have none)."""
    from storyatlas.jobs.english import refresh_english

    stale, fresh = add_story(archive, "Hochwasser", "de", LINES), add_story(archive, "Keller", "de", LINES)
    first = archive.segments(stale, KEEPER)[0].id
    corrections.set_text(archive, stale, first, "Im Frühling kam das Wasser.", KEEPER, base=None)
    assert _stale(archive, stale) == [first]
    assert refresh_english(archive, settings, []) == 0 and refresh_english(archive, settings, [fresh]) == 0
    assert _stale(archive, stale) == [first]


def test_each_line_is_translated_from_its_own_audio_with_a_little_either_side(tmp_path, settings, monkeypatch):
    """What english_lines asks of the model, seen through a stand-in for it: the real
    base model's translations are checked above."""
    from types import SimpleNamespace

    from storyatlas.archive.english import StaleLine
    from storyatlas.transcribe import retranslate, whisper
    from tests.transcribe.sounds import build

    speech = tmp_path / "speech.wav"
    build(speech, [("silence", 10)])
    heard = []

    def transcribe(audio, language, task, **options):
        heard.append((len(audio) / 16_000, language, task))
        return [SimpleNamespace(text=" The cellar ")] if language == "de" else [], None

    model = SimpleNamespace(multilingual=True, model=SimpleNamespace(transcribe=transcribe))
    monkeypatch.setattr(whisper, "get_transcriber", lambda settings: model)
    lines = [StaleLine(1, 0.1, 2.0, "de", "Der Keller."), StaleLine(2, 2.0, 3.0, "en", "The cellar."),
             StaleLine(3, 4.0, 6.0, "pl", "Piwnica.")]
    assert retranslate.english_lines(settings, speech, lines) == {
        1: ("Der Keller.", "The cellar"), 2: ("The cellar.", None), 3: ("Piwnica.", None)}  # Polish: nothing heard
    # 0.2 s either side, from the recording's start at the earliest
    assert heard == [(pytest.approx(2.2), "de", "translate"), (pytest.approx(2.4), "pl", "translate")]
    model.multilingual = False  # an English-only model cannot translate: the lines stay out of date
    assert retranslate.english_lines(settings, speech, lines) == {}
