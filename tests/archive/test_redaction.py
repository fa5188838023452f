"""Redaction: a range taken out of a story is gone from its transcript, English, index,
tags and published audio, and only the untouched original keeps it."""

import re
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from storyatlas.archive import Archive, MediaFile, StoryMetadata, Viewer
from storyatlas.archive.checkpoints import checkpoint_path
from storyatlas.archive.erasure import erase
from storyatlas.archive.media_folder import sha256_file
from storyatlas.archive.redaction import MARK, parse_clock, ranges
from storyatlas.errors import AccessDenied, MediaError, NotFound, StoryAtlasError, TranscriptionError, said
from storyatlas.ingest import ingest_file
from storyatlas.ingest.audio import ffmpeg_exe
from storyatlas.ingest import redact as redacting
from storyatlas.ingest.redact import redact
from storyatlas.text import clock_tenths
from storyatlas.jobs import process_job
from tests.conftest import Meanwhile, add_story, give_recording, index_match, story_file

KEEPER = Viewer.keeper("test keeper")
SILENT_DBFS = -60.0


def _processed(archive, settings, title="River"):
    result = ingest_file(archive, story_file("en"), StoryMetadata(title=title), settings, KEEPER)
    assert process_job(settings, result.job_id, archive=archive).state == "done"
    return result.story_id


def _word(archive, story_id, text):
    row = archive.conn.execute(
        """SELECT w.segment_id, w.start, w.end FROM words w JOIN segments s ON s.id = w.segment_id
           WHERE s.story_id = ? AND lower(trim(w.word, ' ,.')) = ?""", (story_id, text)).fetchone()
    assert row is not None, f"the model did not hear {text!r}"
    return row


def _path(archive, story_id, role):
    return archive.conn.execute("SELECT path FROM media WHERE story_id = ? AND role = ?", (story_id, role)).fetchone()[0]


def _pcm(path: Path, rate: int) -> np.ndarray:
    out = subprocess.run([ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error",
                          "-protocol_whitelist", "file", "-i", f"file:{path}",
                          "-ac", "1", "-ar", str(rate), "-f", "f32le", "-"],
                         capture_output=True, check=True, timeout=60).stdout
    return np.frombuffer(out, dtype="<f4")


def _dbfs(samples: np.ndarray, rate: int, start: float, end: float) -> float:
    part = samples[int(start * rate):int(end * rate)].astype(np.float64)
    assert len(part), (start, end)
    return 20 * np.log10(max(np.sqrt(np.mean(part ** 2)), 1e-10))


def _db_files_containing(folder: Path, needle: bytes) -> list[str]:
    return [p.name for p in sorted(folder.iterdir()) if p.is_file() and p.suffix != ".key"
            and needle in p.read_bytes().lower()]


@pytest.mark.slow
def test_a_redacted_word_is_gone_from_text_index_tags_and_audio(archive, settings):
    story = _processed(archive, settings)
    segment_id, start, end = _word(archive, story, "bread")
    original = settings.media_dir / _path(archive, story, "original")
    original_sha = sha256_file(original)
    old_listen, old_speech = _path(archive, story, "listen"), _path(archive, story, "speech")
    # a name said there, as the tagger finds one (spaCy finds none in this sentence)
    archive.conn.execute("INSERT INTO entities (story_id, segment_id, kind, text, normalized) "
                         "VALUES (?, ?, 'organisation', 'Bread Mills', 'bread mills')", (story, segment_id))
    for table in ("theme_evidence", "entities", "phrases"):
        assert archive.conn.execute(f"SELECT count(*) FROM {table} WHERE segment_id = ?", (segment_id,)
                                    ).fetchone()[0], table
    assert _db_files_containing(settings.archive, b"bread")
    # and a transcription killed meanwhile would have left its checkpoint, with the words
    checkpoint = checkpoint_path(settings.database.parent, story)
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    checkpoint.write_text('{"segments": [{"text": "sandbags, bread and hot soup"}]}')

    done = redact(archive, settings.media_dir, story, start, end, Viewer.keeper("cli:moderator"))

    assert (done.story_id, done.start, done.end, done.segments_changed, done.words_removed) == (story, start, end, 1, 1)
    assert ranges(archive, story) == [(start, end)] and done.ranges == ((start, end),)
    text = archive.conn.execute("SELECT text FROM segments WHERE id = ?", (segment_id,)).fetchone()[0]
    assert text == f"The neighbors brought sandbags, {MARK} and hot soup."
    texts = " ".join(r[0] for r in archive.conn.execute("SELECT text FROM segments WHERE story_id = ?", (story,)))
    assert "bread" not in texts.lower() and "soup" in texts
    assert archive.conn.execute("SELECT count(*) FROM words WHERE lower(word) LIKE '%bread%'").fetchone()[0] == 0

    match = "SELECT rowid & 4294967295 FROM segment_terms WHERE segment_terms MATCH ?"
    assert archive.conn.execute(match, (index_match("bread"),)).fetchall() == []
    assert [r[0] for r in archive.conn.execute(match, (index_match("soup"),))] == [segment_id]
    archive.conn.execute("CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, segment_terms, row)")
    vocabulary = {r[0] for r in archive.conn.execute("SELECT term FROM temp.v")}
    archive.conn.execute("DROP TABLE temp.v")
    assert "en_bread" not in vocabulary and "en_soup" in vocabulary
    for table in ("theme_evidence", "entities", "phrases"):
        assert archive.conn.execute(f"SELECT count(*) FROM {table} WHERE segment_id = ?", (segment_id,)
                                    ).fetchone()[0] == 0, table
    # "floods" rested on "sandbag" in that segment alone
    assert archive.conn.execute("SELECT count(*) FROM story_themes WHERE story_id = ? AND theme_id = 'floods'",
                                (story,)).fetchone()[0] == 0
    audit = archive.conn.execute("SELECT who, action, story_id, detail FROM audit WHERE action = 'redact'").fetchall()
    assert [tuple(r) for r in audit] == [("cli:moderator", "redact", story, f"{start:.3f}-{end:.3f} s")]
    assert _db_files_containing(settings.archive, b"bread") == [] and not checkpoint.exists()
    assert _db_files_containing(settings.archive, b"soup"), "the scan reads the database"

    listen, speech = _path(archive, story, "listen"), _path(archive, story, "speech")
    assert re.search(f"/listen-story{story}-r1-[0-9a-f]{{8}}\\.webm$", listen), listen
    assert re.search(f"/speech-story{story}-r1-[0-9a-f]{{8}}\\.wav$", speech), speech
    assert not (settings.media_dir / old_listen).exists() and not (settings.media_dir / old_speech).exists()
    for relative, rate in ((listen, 48_000), (speech, 16_000)):
        pcm = _pcm(settings.media_dir / relative, rate)
        assert abs(len(pcm) / rate - 17.0) < 0.5
        assert _dbfs(pcm, rate, start, end) < SILENT_DBFS, relative
        assert _dbfs(pcm, rate, 0.5, start - 0.5) > -40, relative
    assert _path(archive, story, "original") == original.relative_to(settings.media_dir).as_posix()
    assert sha256_file(original) == original_sha


@pytest.mark.slow
def test_redactions_add_up_and_the_marks_of_earlier_ones_stay(archive, settings):
    story = _processed(archive, settings)
    segment_id, bread_start, bread_end = _word(archive, story, "bread")
    _, hot_start, hot_end = _word(archive, story, "hot")
    _, and_start, and_end = _word(archive, story, "and")  # the first "and" of the story

    redact(archive, settings.media_dir, story, hot_start, hot_end, Viewer.keeper("cli:moderator"))
    second = redact(archive, settings.media_dir, story, bread_start, bread_end, Viewer.keeper("cli:moderator"))

    text = archive.conn.execute("SELECT text FROM segments WHERE id = ?", (segment_id,)).fetchone()[0]
    assert text == f"The neighbors brought sandbags, {MARK} and {MARK} soup."
    assert second.ranges == ((bread_start, bread_end), (hot_start, hot_end))
    assert ranges(archive, story) == list(second.ranges)  # in the recording's order, not the order made
    listen = _path(archive, story, "listen")
    assert "-r2-" in listen and not list(settings.media_dir.rglob("*-r1-*"))
    pcm = _pcm(settings.media_dir / listen, 48_000)
    assert _dbfs(pcm, 48_000, hot_start, hot_end) < SILENT_DBFS
    assert _dbfs(pcm, 48_000, bread_start, bread_end) < SILENT_DBFS

    # a range over "and" between the two marks makes one mark of all three
    words = archive.conn.execute("SELECT start, end, word FROM words WHERE segment_id = ? ORDER BY idx",
                                 (segment_id,)).fetchall()
    middle = next(w for w in words if w["word"].strip() == "and" and w["start"] >= bread_end - 0.01)
    third = redact(archive, settings.media_dir, story, middle["start"], middle["end"], Viewer.keeper("cli:moderator"))
    assert third.words_removed == 1  # the earlier marks it joins are not words
    text = archive.conn.execute("SELECT text FROM segments WHERE id = ?", (segment_id,)).fetchone()[0]
    assert text == f"The neighbors brought sandbags, {MARK} soup."
    assert [w[0] for w in archive.conn.execute("SELECT word FROM words WHERE segment_id = ? ORDER BY idx",
                                               (segment_id,))].count(f" {MARK}") == 1
    assert and_start < bread_start  # the story's first "and" was not touched
    assert archive.conn.execute("SELECT rowid FROM segment_terms WHERE segment_terms MATCH ?",
                                (index_match("and"),)).fetchall()


@pytest.mark.slow
def test_a_shared_recording_keeps_its_unredacted_copies_for_the_other_story(archive, settings):
    story = _processed(archive, settings)
    rows = archive.conn.execute("SELECT * FROM media WHERE story_id = ? ORDER BY id", (story,)).fetchall()
    other, _ = archive.create_story(StoryMetadata(title="Same recording"), [
        MediaFile(r["role"], r["sha256"], r["path"], r["container"], r["codec"], bool(r["has_video"]),
                  r["size_bytes"], r["duration_s"], r["original_filename"]) for r in rows], 17.0)
    _, start, end = _word(archive, story, "bread")

    redact(archive, settings.media_dir, story, start, end, Viewer.keeper("cli:moderator"))

    for r in rows:
        assert _path(archive, other, r["role"]) == r["path"] and (settings.media_dir / r["path"]).is_file()
    assert _path(archive, story, "listen") != _path(archive, other, "listen")
    erase(archive, settings.media_dir, story, "cli:tester", "asked")
    assert sorted(p.name for p in settings.media_dir.rglob("*") if p.is_file()) == sorted(
        Path(r["path"]).name for r in rows)


def test_a_segment_without_word_times_loses_all_its_text_and_its_english(archive, settings):
    story = add_story(archive, "Lines", "de", [(0, 4, "Erste Zeile hier.", "First line here."),
                                               (4, 8, "Zweite Zeile.", "Second line.")])
    give_recording(archive, settings.media_dir, story)
    cut, kept = (s.id for s in archive.segments(story, KEEPER))
    for theme, segment_id in (("floods", cut), ("work", kept)):  # each theme found in one line
        archive.conn.execute("INSERT INTO story_themes (story_id, theme_id, score) VALUES (?, ?, 3.0)", (story, theme))
        archive.conn.execute("INSERT INTO theme_evidence (story_id, theme_id, segment_id, trigger, side) "
                             "VALUES (?, ?, ?, 'zeile', 'original')", (story, theme, segment_id))

    done = redact(archive, settings.media_dir, story, 1.0, 2.0, Viewer.keeper("cli:moderator"))

    assert (done.segments_changed, done.words_removed) == (1, 0)
    assert [r[0] for r in archive.conn.execute("SELECT theme_id FROM story_themes WHERE story_id = ?",
                                               (story,))] == ["work"]
    rows = archive.conn.execute("SELECT text, text_en FROM segments WHERE story_id = ? ORDER BY idx", (story,))
    assert [tuple(r) for r in rows] == [(MARK, MARK), ("Zweite Zeile.", "Second line.")]
    assert archive.conn.execute("SELECT count(*) FROM segment_terms WHERE segment_terms MATCH ?",
                                (index_match("erste", "first"),)).fetchone()[0] == 0
    # the story had no derived audio yet: it has silenced copies now
    listen, speech = _path(archive, story, "listen"), _path(archive, story, "speech")
    assert "-r1-" in listen and listen.endswith(".webm") and "-r1-" in speech and speech.endswith(".wav")
    made = archive.conn.execute("SELECT role, container, codec FROM media WHERE story_id = ? AND role <> 'original' "
                                "ORDER BY role", (story,))
    assert [tuple(r) for r in made] == [("listen", "webm", "opus"), ("speech", "wav", "pcm_s16le")]
    with wave.open(str(settings.media_dir / _path(archive, story, "speech"))) as w:
        assert w.getframerate() == 16_000 and w.getnchannels() == 1


def test_words_said_past_their_lines_end_go_and_a_line_without_english_gets_none(archive, settings):
    story = add_story(archive, "Mill", "en", [(0, 4, "We met at the old mill"), (6, 9, "Then it rained.", "Then."),
                                              (9, 12, "Quiet.", "Quiet.")], timed=True)
    give_recording(archive, settings.media_dir, story)
    first, _, third = (s.id for s in archive.segments(story, KEEPER))
    # Whisper's word times may run past its line's ("old mill" said from 4.1 to 4.9 s), and
    # leave some of it without a word ("Quiet" said only at its end)
    archive.conn.execute("UPDATE words SET start = 4.1 + (idx - 4) * 0.4, end = 4.5 + (idx - 4) * 0.4 "
                         "WHERE segment_id = ? AND idx >= 4", (first,))
    archive.conn.execute("UPDATE words SET start = 11.0 WHERE segment_id = ?", (third,))

    done = redact(archive, settings.media_dir, story, 4.05, 6.5, Viewer.keeper("cli:moderator"))
    assert (done.segments_changed, done.words_removed) == (2, 3)  # "old mill", then "Then"
    mark = archive.conn.execute("SELECT start, end FROM words WHERE segment_id = ? AND word = ?",
                                (first, f" {MARK}")).fetchone()
    assert tuple(mark) == pytest.approx((4.1, 4.9))  # the mark is said where the words it stands for were
    # no word in the range, but the English of the line cannot be cut word by word
    done = redact(archive, settings.media_dir, story, 9.2, 10.5, Viewer.keeper("cli:moderator"))
    assert (done.segments_changed, done.words_removed) == (1, 0)

    rows = archive.conn.execute("SELECT text, text_en FROM segments WHERE story_id = ? ORDER BY idx", (story,))
    assert [tuple(r) for r in rows] == [(f"We met at the {MARK}", None), (f"{MARK} it rained.", MARK),
                                        ("Quiet.", MARK)]


def test_a_mark_joins_words_written_without_spaces_as_they_are(archive, settings):
    # Whisper writes Chinese and Japanese words without the space it puts before others
    story = add_story(archive, "River", "zh", [(0, 3, "我们 在 河边")], timed=True)
    give_recording(archive, settings.media_dir, story)
    archive.conn.execute("UPDATE words SET word = ltrim(word)")
    archive.conn.execute("UPDATE segments SET text = '我们在河边'")

    redact(archive, settings.media_dir, story, 1.2, 1.8, Viewer.keeper("cli:moderator"))

    assert archive.conn.execute("SELECT text FROM segments").fetchone()[0] == f"我们{MARK}河边"


@pytest.mark.slow
def test_the_same_recording_sent_while_a_redaction_is_saved_keeps_its_unredacted_copies(archive, settings,
                                                                                       monkeypatch):
    """An anonymous sender may not see the private story, so the same recording becomes a
    story of its own, named to the unredacted copies the redaction has just replaced."""
    first = ingest_file(archive, story_file("en"), StoryMetadata(title="Private", visibility="private"),
                        settings, KEEPER)
    assert process_job(settings, first.job_id, archive=archive).state == "done"
    _, start, end = _word(archive, first.story_id, "bread")
    other = Meanwhile(monkeypatch)
    create_story, redacting_ = Archive.create_story, []

    def redact_from_another_connection():
        with Archive(settings.database) as another:
            return redact(another, settings.media_dir, first.story_id, start, end, Viewer.keeper("cli:moderator"))

    def redacted_meanwhile(self, *args, **kwargs):
        redacting_.append(other.start(redact_from_another_connection))
        return create_story(self, *args, **kwargs)

    monkeypatch.setattr(Archive, "create_story", redacted_meanwhile)
    again = ingest_file(archive, story_file("en"), StoryMetadata(title="Sent again"), settings, Viewer.anonymous())
    redacting_[0].join()

    assert not again.duplicate and ranges(archive, first.story_id) == [(start, end)]
    for role in ("speech", "listen"):
        assert _path(archive, again.story_id, role) != _path(archive, first.story_id, role)
        assert (settings.media_dir / _path(archive, again.story_id, role)).is_file(), role


def test_what_cannot_be_redacted_is_refused_and_changes_nothing(archive, settings):
    story = add_story(archive, "No media", "en", [(0, 4, "Hello there.")])
    with pytest.raises(MediaError, match="restore it from a backup"):
        redact(archive, settings.media_dir, story, 1, 2, Viewer.keeper("cli:moderator"))
    with pytest.raises(NotFound):
        redact(archive, settings.media_dir, 999, 1, 2, Viewer.keeper("cli:moderator"))
    for start, end in ((3, 2), (2, 2), (-1, 2), (float("nan"), 2), (1, float("nan")), (1, float("inf"))):
        with pytest.raises(StoryAtlasError, match="end must come after the start, and neither before 0"):
            redact(archive, settings.media_dir, story, start, end, Viewer.keeper("cli:moderator"))
    for start in (5, 4):  # from its very end on, nothing is said
        with pytest.raises(StoryAtlasError, match="only 4.0 s long"):
            redact(archive, settings.media_dir, story, start, 6, Viewer.keeper("cli:moderator"))
    archive.conn.execute("DELETE FROM media WHERE story_id = ?", (story,))  # as an import without its recording
    with pytest.raises(MediaError, match=f"story {story} has no original recording to make silenced copies from"):
        redact(archive, settings.media_dir, story, 1, 2, Viewer.keeper("cli:moderator"))
    assert archive.conn.execute("SELECT count(*) FROM redactions").fetchone()[0] == 0
    assert archive.conn.execute("SELECT text FROM segments WHERE story_id = ?", (story,)).fetchone()[0] == "Hello there."


def test_only_the_storys_moderators_redact_it(archive, settings):
    """Checked by the library, not only by the page that calls it: who may hear a
    story is not who may silence part of it."""
    story = add_story(archive, "Ours", "en", [(0, 4, "Hello there.")], community="Zgorzelec")
    hidden = add_story(archive, "Hidden", "en", [(0, 4, "Hello there.")], community="Zgorzelec", visibility="private")
    for who in (Viewer.anonymous(), Viewer("Mia", frozenset({"member"}), member_of=frozenset({"Zgorzelec"})),
                Viewer("Olek", frozenset({"moderator"}), moderates=frozenset({"Opole"})), Viewer.teller(story)):
        with pytest.raises(AccessDenied, match="only the moderators of this story's community"):
            redact(archive, settings.media_dir, story, 1, 2, who)
        with pytest.raises(NotFound):
            redact(archive, settings.media_dir, hidden, 1, 2, who)
    moderator = Viewer("Zofia", frozenset({"moderator"}), moderates=frozenset({"Zgorzelec"}))
    with pytest.raises(MediaError, match="restore it from a backup"):  # let through, to find no recording
        redact(archive, settings.media_dir, story, 1, 2, moderator)
    assert archive.conn.execute("SELECT count(*) FROM redactions").fetchone()[0] == 0


@pytest.mark.parametrize("text, seconds", [
    ("62", 62.0), ("62.5", 62.5), ("1:02", 62.0), ("1:02.5", 62.5), ("0:01:02", 62.0), ("01:02:03.25", 3723.25),
    (" 0:07 ", 7.0), ("0", 0.0),
])
def test_times_are_read_as_people_write_them(text, seconds):
    assert parse_clock(text) == seconds


@pytest.mark.parametrize("seconds, text", [
    (0, "0:00.0"), (7.25, "0:07.2"), (59.94, "0:59.9"), (59.96, "1:00.0"), (119.97, "2:00.0"), (-0.3, "0:00.0"),
    (3599.96, "1:00:00.0"), (3723.25, "1:02:03.2"), (36061.0, "10:01:01.0"),
])
def test_a_time_is_written_to_the_tenth_as_it_is_read_back(seconds, text):
    """A segment starting at 59.96 s was written "0:60.0", which no time may be typed as."""
    assert clock_tenths(seconds) == text
    assert parse_clock(text) == pytest.approx(round(max(0, seconds), 1))


@pytest.mark.parametrize("text", ["", "abc", "1:75", "1:60:00", "-3", "1:02:03:04", "1,5", "1:", "9" * 400 + ":00",
                                  "9" * 400 + ":00:00", "9" * 400])
def test_a_time_that_cannot_be_read_says_how_to_write_it(text):
    with pytest.raises(StoryAtlasError, match=r"minutes:seconds \(1:02"):
        parse_clock(text)


@pytest.mark.parametrize("when", ["while it is transcribed", "as its audio is read", "just before its transcript is "
                                                                                    "stored"])
@pytest.mark.slow
def test_a_redaction_during_processing_is_not_undone_by_the_transcript(archive, settings, monkeypatch, when):
    from storyatlas.jobs import pipeline

    result = ingest_file(archive, story_file("en"), StoryMetadata(title="River"), settings, KEEPER)
    transcribe, speech_now, save = pipeline.transcribe_story, pipeline._speech_now, archive.save_transcription
    heard, redacted, saved = [], [], []

    def redact_once():
        if not redacted:  # a moderator cuts "bread" (15.2-15.42 s) meanwhile
            redacted.append(True)
            with Archive(settings.database) as other:
                redact(other, settings.media_dir, result.story_id, 15.15, 15.45, Viewer.keeper("cli:moderator"))

    def transcribe_then_redact(speech, *args, **kwargs):
        if when == "as its audio is read" and not redacted:  # its file went in the middle of the reading
            redact_once()
            heard.append(Path(speech).name)
            raise TranscriptionError(said("the audio could not be read"))
        out = transcribe(speech, *args, **kwargs)
        heard.append(Path(speech).name)
        if when == "while it is transcribed":
            redact_once()
        return out

    def check_then_redact(*args):
        now = speech_now(*args)
        if when != "while it is transcribed":
            redact_once()
        return now

    monkeypatch.setattr(pipeline, "transcribe_story", transcribe_then_redact)
    monkeypatch.setattr(pipeline, "_speech_now", check_then_redact)
    monkeypatch.setattr(archive, "save_transcription", lambda story, transcript, *rest: (
        saved.append(" ".join(s.text for s in transcript.segments)), save(story, transcript, *rest)))
    assert process_job(settings, result.job_id, archive=archive).state == "done"
    if when == "while it is transcribed":  # what was heard before the cut is never stored, not even for a while
        assert saved and not any("bread" in text.lower() for text in saved)

    assert heard == ["speech.wav", Path(_path(archive, result.story_id, "speech")).name]
    assert heard[1].startswith(f"speech-story{result.story_id}-r1-")
    texts = " ".join(r[0] for r in archive.conn.execute("SELECT text FROM segments WHERE story_id = ?",
                                                        (result.story_id,)))
    assert "soup" in texts and "bread" not in texts.lower()
    archive.conn.execute("CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, segment_terms, row)")
    assert archive.conn.execute("SELECT count(*) FROM temp.v WHERE term LIKE '%bread%'").fetchone()[0] == 0
    assert _db_files_containing(settings.archive, b"bread") == []


def _meanwhile(monkeypatch, settings, change, before_the_copies: bool = True) -> None:
    """Make the next redaction run ``change(other archive)``, from another connection, as
    it makes its silenced copies: before them, or after them but before it saves."""
    copies = redacting.silenced_copies

    def copies_with_a_change(*args):
        monkeypatch.setattr(redacting, "silenced_copies", copies)  # once
        if not before_the_copies:
            copies(*args)
        with Archive(settings.database) as other:
            change(other)
        if before_the_copies:
            copies(*args)

    monkeypatch.setattr(redacting, "silenced_copies", copies_with_a_change)


@pytest.mark.slow
def test_two_moderators_redacting_at_once_leave_the_first_range_silent(archive, settings, monkeypatch):
    story = _processed(archive, settings)
    _, bread_start, bread_end = _word(archive, story, "bread")
    _, hot_start, hot_end = _word(archive, story, "hot")
    _meanwhile(monkeypatch, settings, lambda other: redact(other, settings.media_dir, story, bread_start, bread_end,
                                                           Viewer.keeper("cli:other")))

    with pytest.raises(StoryAtlasError, match="redacted by someone else at the same time: redact again"):
        redact(archive, settings.media_dir, story, hot_start, hot_end, Viewer.keeper("cli:moderator"))

    assert ranges(archive, story) == [(bread_start, bread_end)]
    for role, rate in (("listen", 48_000), ("speech", 16_000)):
        pcm = _pcm(settings.media_dir / _path(archive, story, role), rate)
        assert _dbfs(pcm, rate, bread_start, bread_end) < SILENT_DBFS, role
        assert _dbfs(pcm, rate, hot_start, hot_end) > -40, role
    kept = {r[0] for r in archive.conn.execute("SELECT path FROM media WHERE story_id = ?", (story,))}
    on_disk = {p.relative_to(settings.media_dir).as_posix() for p in settings.media_dir.rglob("*")
               if p.is_file() and "tmp" not in p.relative_to(settings.media_dir).parts}
    assert on_disk == kept  # the refused copies are gone


def test_nothing_inside_a_range_stays_audible_wherever_the_range_and_the_recording_start(archive, settings):
    """A range starting and ending inside the 10 ms frames the silence is made of, in the
    middle of a word, in a video whose sound starts 3 s after its picture (a transcript's
    times count from the first sample of sound)."""
    story = add_story(archive, "Offset", "en", [(0.0, 17.0, "The neighbors brought sandbags.")])
    original = settings.media_dir / _path(archive, story, "original")
    original.parent.mkdir(parents=True)
    subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                    "color=size=32x32:rate=5:duration=20", "-itsoffset", "3", "-i", str(story_file("en")),
                    "-map", "0:v", "-map", "1:a", "-c:v", "mpeg4", "-c:a", "copy", "-f", "matroska", str(original)],
                   check=True, timeout=60)
    start, end = 13.5049, 13.6551  # inside "neighbors", said at 13.4-13.8 s
    loud = _pcm(original, 48_000)
    assert min(_dbfs(loud, 48_000, start, start + 0.02), _dbfs(loud, 48_000, end - 0.02, end)) > -40

    redact(archive, settings.media_dir, story, start, end, Viewer.keeper("cli:moderator"))

    for role, rate in (("listen", 48_000), ("speech", 16_000)):
        pcm = _pcm(settings.media_dir / _path(archive, story, role), rate)
        assert abs(len(pcm) / rate - 17.0) < 0.5, role
        for edge in ((start, start + 0.02), (end - 0.02, end)):
            assert _dbfs(pcm, rate, *edge) < SILENT_DBFS, (role, edge, _dbfs(pcm, rate, *edge))
        assert _dbfs(pcm, rate, start - 0.2, start - 0.1) > -40, role


@pytest.mark.slow
@pytest.mark.parametrize("when", ["before its copies are made", "after its copies are made"])
def test_a_story_erased_while_it_is_redacted_is_said_to_be_gone(archive, settings, monkeypatch, when):
    story = _processed(archive, settings)
    _, start, end = _word(archive, story, "bread")
    _meanwhile(monkeypatch, settings, lambda other: erase(other, settings.media_dir, story, "cli:keeper", "withdrawn"),
               before_the_copies=when.startswith("before"))

    with pytest.raises(NotFound, match=f"story {story} was erased while it was being redacted"):
        redact(archive, settings.media_dir, story, start, end, Viewer.keeper("cli:moderator"))
    assert [p for p in settings.media_dir.rglob("*") if p.is_file()] == []
