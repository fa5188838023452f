"""The correction workbench's library: edits, splits, merges, speakers, find and replace,
revisions (compare, restore), conflicts between editors, who may edit, and what a
correction changes elsewhere (search index, English, review state, tags, redaction,
erasure, exports)."""

from __future__ import annotations

import json

import pytest

from storyatlas.archive import Viewer, audit, corrections, revisions
from storyatlas.archive.erasure import erase
from storyatlas.archive.redaction import MARK, plan_redaction, record_redaction
from storyatlas.errors import AccessDenied, Conflict, CorrectionError, NotFound
from storyatlas.exports import export
from tests.conftest import add_story, index_match

KEEPER = Viewer.keeper("cli:test")
VERA = Viewer("Vera", frozenset({"volunteer"}))
VIKTOR = Viewer("Viktor", frozenset({"volunteer"}))
MIRA = Viewer("Mira", frozenset({"moderator"}), moderates=frozenset({"Zgorzelec"}))
LINES = [(0.0, 4.0, "We pumped the settler dry.", "Wir pumpten den Siedler leer."),
         (4.0, 8.0, "Then the river came back.", "Dann kam der Fluss zurück."),
         (8.0, 12.0, "The settler was full again.", "Der Siedler war wieder voll.")]


def _story(archive, lines=LINES, **meta) -> int:
    meta.setdefault("community", "Zgorzelec")
    story = add_story(archive, meta.pop("title", "The flood"), "en", lines, **meta)
    # word timings as the model gives them: a leading space, spread over the segment
    for seg in archive.segments(story, KEEPER):
        words = seg.text.split()
        step = (seg.end - seg.start) / len(words)
        archive.conn.executemany(
            "INSERT INTO words (segment_id, idx, start, end, word, probability) VALUES (?, ?, ?, ?, ?, 0.9)",
            [(seg.id, i, seg.start + i * step, seg.start + (i + 1) * step, f" {w}") for i, w in enumerate(words)])
    return story


def _ids(archive, story):
    return [s.id for s in archive.segments(story, KEEPER)]


def _texts(archive, story):
    return [s.text for s in archive.segments(story, KEEPER)]


def _found(archive, word: str) -> int:
    return archive.conn.execute("SELECT count(*) FROM segment_terms WHERE segment_terms MATCH ?",
                                (index_match(word),)).fetchone()[0]


def test_a_corrected_text_is_searchable_marks_the_english_stale_and_the_story_corrected(archive):
    story = _story(archive)
    archive.conn.execute("UPDATE stories SET review_state = 'draft' WHERE id = ?", (story,))
    archive.conn.execute("INSERT INTO taggings (story_id, vocabulary_version, models) VALUES (?, 'v1', '{}')", (story,))
    first = _ids(archive, story)[0]
    generation = archive.generation()
    loaded = corrections.transcript(archive, story, VERA)
    assert (loaded.revision, loaded.editable) == (0, True)

    done = corrections.set_text(archive, story, first, "We pumped the  cellar dry.", VERA, base=loaded.revision)

    assert (done.revision, done.changed) == (1, 1)
    seg = archive.segments(story, KEEPER, with_words=True)[0]
    assert seg.text == "We pumped the cellar dry." and seg.text_en_stale and seg.text_en == LINES[0][3]
    # the words that stayed keep their times; the new one takes the time of the one it replaced
    assert [(round(w.start, 2), w.word) for w in seg.words] == [
        (0.0, " We"), (0.8, " pumped"), (1.6, " the"), (2.4, " cellar"), (3.2, " dry.")]
    assert _found(archive, "cellar") == 1 and _found(archive, "settler") == 1  # only the third line now
    assert archive.generation() > generation  # cached searches are not served again
    assert corrections.transcript(archive, story, VERA).story.review_state == "corrected"
    assert archive.conn.execute("SELECT count(*) FROM taggings WHERE story_id = ?", (story,)).fetchone()[0] == 0
    assert [(r.number, r.who) for r in corrections.revisions(archive, story, VERA)] == \
           [(1, "Vera"), (0, "machine transcript")]
    entry = audit.entries(archive, KEEPER)[0]
    assert (entry.who, entry.action, entry.story_id) == ("Vera", "transcript corrected", story)
    assert "cellar" not in entry.detail and "settler" not in entry.detail  # the audit log never holds words
    # the same text again is no new revision
    assert corrections.set_text(archive, story, first, "We pumped the cellar dry.", VERA, base=1) == \
           corrections.Saved(1, 0)


def test_split_merge_speakers_and_find_and_replace(archive):
    story = _story(archive)
    first, second, third = _ids(archive, story)

    done = corrections.split(archive, story, first, VERA, base=0, at=2.0)
    assert _texts(archive, story)[:2] == ["We pumped", "the settler dry."]
    segs = archive.segments(story, KEEPER, with_words=True)
    assert (segs[0].end, segs[1].start, segs[1].end) == (2.0, 2.0, 4.0) and segs[0].id == first
    assert [w.word for w in segs[1].words] == [" the", " settler", " dry."]
    assert segs[0].text_en is segs[1].text_en is None and segs[0].text_en_stale and segs[1].text_en_stale

    done = corrections.split(archive, story, second, VERA, base=done.revision, offset=len("Then the "))
    assert _texts(archive, story)[2:4] == ["Then the", "river came back."]
    assert 4.0 < archive.segments(story, KEEPER)[3].start < 8.0

    done = corrections.merge(archive, story, first, VERA, base=done.revision)
    assert _texts(archive, story)[0] == "We pumped the settler dry."
    assert (archive.segments(story, KEEPER)[0].start, archive.segments(story, KEEPER)[0].end) == (0.0, 4.0)
    assert [s.idx for s in archive.segments(story, KEEPER)] == [0, 1, 2, 3]

    done = corrections.set_speaker(archive, story, first, "S1", VERA, base=done.revision)
    done = corrections.set_speaker(archive, story, third, "S2", VERA, base=done.revision)
    done = corrections.name_speaker(archive, story, "S1", "Anna Nowak", VERA, base=done.revision, role="storyteller")
    assert done.changed == 1  # one speaker, no segment
    done = corrections.name_speaker(archive, story, "S2", "Jan", VERA, base=done.revision, role="interviewer")
    t = corrections.transcript(archive, story, VERA)
    assert [s.speaker for s in t.segments] == ["S1", None, None, "S2"]
    assert [(s.label, s.name, s.role) for s in t.speakers] == [("S1", "Anna Nowak", "storyteller"),
                                                               ("S2", "Jan", "interviewer")]

    done = corrections.replace_text(archive, story, "SETTLER", "cellar", VERA, base=done.revision)
    assert done.changed == 0  # case-sensitive by default
    done = corrections.replace_text(archive, story, "SETTLER", "cellar", VERA, base=done.revision,
                                    case_sensitive=False)
    assert done.changed == 2 and _found(archive, "settler") == 0 and _found(archive, "cellar") == 2
    # the replacement as written (no pattern), its spaces as between words
    done = corrections.replace_text(archive, story, "cellar", r"big  cellar\1 ", VERA, base=done.revision)
    assert _texts(archive, story)[0] == r"We pumped the big cellar\1 dry."
    # control characters are no words: `storyatlas show` prints the text on a terminal
    done = corrections.replace_text(archive, story, "big", "b\x1b[2Jig\x07", VERA, base=done.revision)
    done = corrections.set_text(archive, story, third, "The river\x1b]0;x\x07 came back.", VERA, base=done.revision)
    done = corrections.name_speaker(archive, story, "S2", "J\x1ban\x9b", VERA, base=done.revision)
    assert _texts(archive, story)[0] == r"We pumped the b[2Jig cellar\1 dry."
    assert _texts(archive, story)[3] == "The river]0;x came back."
    assert corrections.transcript(archive, story, VERA).speakers[1].name == "Jan"
    assert done.revision == len(corrections.revisions(archive, story, VERA)) - 1


def test_what_cannot_be_corrected_is_refused_and_changes_nothing(archive):
    story = _story(archive)
    first, _, last = _ids(archive, story)
    for wrong in (lambda: corrections.set_text(archive, story, first, "   ", VERA, base=0),
                  lambda: corrections.split(archive, story, first, VERA, base=0, at=9.0),
                  lambda: corrections.split(archive, story, first, VERA, base=0, at=0.1),  # before every word
                  lambda: corrections.split(archive, story, first, VERA, base=0),
                  lambda: corrections.split(archive, story, first, VERA, base=0, at=2.0, offset=3),
                  lambda: corrections.merge(archive, story, last, VERA, base=0),
                  lambda: corrections.name_speaker(archive, story, "S1", "Anna", VERA, base=0, role="narrator"),
                  lambda: corrections.replace_text(archive, story, "", "x", VERA, base=0),
                  lambda: corrections.replace_text(archive, story, "Then the river came back.", "", VERA, base=0)):
        with pytest.raises(CorrectionError):
            wrong()
    with pytest.raises(Conflict, match="no segment"):  # not in the transcript the editor has: reload it
        corrections.set_text(archive, story, 99999, "x", VERA, base=0)
    with pytest.raises(CorrectionError, match="no segment is playing at 0:20.0"):
        corrections.segment_at(archive, story, 20.0, VERA)
    for nowhere in ("nan", "inf"):  # a JSON request may send NaN or Infinity: said, not a server error
        with pytest.raises(CorrectionError, match=f"^{nowhere} is not inside the segment"):
            corrections.split(archive, story, _ids(archive, story)[0], VERA, base=0, at=float(nowhere))
        with pytest.raises(CorrectionError, match=f"no segment is playing at {nowhere} "):
            corrections.segment_at(archive, story, float(nowhere), VERA)
    for offset in (0, len(LINES[0][2])):
        with pytest.raises(CorrectionError, match="has 26 characters: split inside it"):
            corrections.split(archive, story, first, VERA, base=0, offset=offset)
    assert corrections.segment_at(archive, story, 4.0, VERA).id == _ids(archive, story)[1]
    assert corrections.segment_at(archive, story, 12.0, VERA).id == last  # the story's very end
    assert corrections.revisions(archive, story, VERA) == [] and _texts(archive, story) == [x[2] for x in LINES]


def test_a_save_that_changes_nothing_or_only_speakers_keeps_what_depends_on_the_words(archive):
    story = _story(archive)
    archive.conn.execute("INSERT INTO taggings (story_id, vocabulary_version, models) VALUES (?, 'v1', '{}')", (story,))
    first = _ids(archive, story)[0]
    assert corrections.set_text(archive, story, first, f" {LINES[0][2]} ", VERA, base=0) == corrections.Saved(0, 0)
    assert corrections.revisions(archive, story, VERA) == [] and not archive.segments(story, KEEPER)[0].text_en_stale
    corrections.set_speaker(archive, story, first, "S1", VERA, base=0)
    assert archive.conn.execute("SELECT count(*) FROM taggings").fetchone()[0] == 1  # the words are as tagged
    corrections.set_text(archive, story, first, "We pumped the cellar dry.", VERA, base=1)
    assert archive.conn.execute("SELECT count(*) FROM taggings").fetchone()[0] == 0


def test_words_written_without_spaces_stay_so_and_a_split_stays_inside_its_line(archive):
    story = add_story(archive, "River", "zh", [(0.0, 3.0, "我们 在 河边")], timed=True, community="Zgorzelec")
    segment = _ids(archive, story)[0]
    archive.conn.execute("UPDATE words SET word = ltrim(word)")  # as Whisper writes Chinese
    corrections.set_text(archive, story, segment, "我们 在 海边", VERA, base=0)
    assert [w.word for w in archive.segments(story, KEEPER, with_words=True)[0].words] == ["我们", "在", "海边"]
    # its last words said past the line's end, as Whisper may time them: the split stays inside
    archive.conn.execute("UPDATE words SET start = 2.9 + idx * 0.2, end = 3.0 + idx * 0.2 WHERE segment_id = ? "
                         "AND idx >= 1", (segment,))
    corrections.split(archive, story, segment, VERA, base=1, offset=len("我们 在 "))
    first, second = archive.segments(story, KEEPER)
    assert first.start < first.end == second.start < second.end == 3.0


def test_revisions_compare_and_restore_the_machine_draft_too(archive):
    story = _story(archive)
    first, second, _ = _ids(archive, story)
    corrections.set_text(archive, story, first, "We pumped the cellar dry.", VERA, base=0)
    corrections.split(archive, story, second, VIKTOR, base=1, at=6.5)
    corrections.set_speaker(archive, story, first, "S1", VIKTOR, base=2)

    changes = corrections.compare(archive, story, 0, 2, VERA)
    assert [(c.before, c.after) for c in changes] == [
        ("We pumped the settler dry.", "We pumped the cellar dry."),
        ("Then the river came back.", "Then the river"), (None, "came back.")]
    assert corrections.revision(archive, story, 1, VERA).lines[0].text == "We pumped the cellar dry."

    done = corrections.restore(archive, story, 0, VERA, base=3)
    assert done.revision == 4 and _texts(archive, story) == [x[2] for x in LINES]
    assert [s.speaker for s in archive.segments(story, KEEPER)] == [None, None, None]
    assert corrections.revisions(archive, story, VERA)[0].summary == "restored revision 0"
    assert [s.text_en_stale for s in archive.segments(story, KEEPER)] == [False] * 3  # the machine's English fits
    assert _found(archive, "cellar") == 0 and _found(archive, "settler") == 2
    # the restored rows keep their word timings; the row the split made is gone
    assert len(archive.segments(story, KEEPER, with_words=True)[0].words) == 5
    assert archive.conn.execute("SELECT count(*) FROM segments WHERE story_id = ?", (story,)).fetchone()[0] == 3
    done = corrections.restore(archive, story, 2, VERA, base=4)
    assert _texts(archive, story) == ["We pumped the cellar dry.", "Then the river", "came back.",
                                      "The settler was full again."]
    assert [s.text_en_stale for s in archive.segments(story, KEEPER)] == [True, True, True, False]
    with pytest.raises(NotFound, match="no revision 9"):
        corrections.restore(archive, story, 9, VERA, base=done.revision)


def test_a_second_editor_is_told_who_saved_first_and_to_reload(archive):
    story = _story(archive)
    first, second, _ = _ids(archive, story)
    vera, viktor = corrections.transcript(archive, story, VERA), corrections.transcript(archive, story, VIKTOR)
    corrections.set_text(archive, story, first, "We pumped the cellar dry.", VERA, base=vera.revision)

    with pytest.raises(Conflict, match=r"Vera saved revision 1 of story \d+ at \d{4}-\d\d-\d\dT.*reload") as e:
        corrections.set_text(archive, story, second, "Then the river rose.", VIKTOR, base=viktor.revision)
    assert e.value.exit_code == 5
    assert _texts(archive, story)[1] == "Then the river came back."
    with pytest.raises(Conflict, match="no revision 7"):
        corrections.merge(archive, story, first, VIKTOR, base=7)
    # reloaded, the second editor's change goes in; the command line's base None means "current"
    again = corrections.transcript(archive, story, VIKTOR)
    corrections.set_text(archive, story, second, "Then the river rose.", VIKTOR, base=again.revision)
    assert corrections.set_speaker(archive, story, second, "S2", KEEPER, base=None).revision == 3


def test_who_may_correct(archive):
    story = _story(archive)
    theirs = _story(archive, title="Theirs", community="Görlitz", visibility="community")
    first = _ids(archive, story)[0]
    member = Viewer("Mo", frozenset({"member"}), member_of=frozenset({"Zgorzelec"}))
    other_moderator = Viewer("Ola", frozenset({"moderator"}), moderates=frozenset({"Görlitz"}))
    for nobody in (Viewer.anonymous(), member, other_moderator, Viewer("Rita", frozenset({"researcher"}))):
        assert not corrections.transcript(archive, story, nobody).editable
        with pytest.raises(AccessDenied, match="volunteers and the moderators"):
            corrections.set_text(archive, story, first, "Mine.", nobody, base=0)
        with pytest.raises(AccessDenied):
            corrections.revisions(archive, story, nobody)
    # a volunteer who may not hear a community's stories does not see them, nor correct them
    volunteer_elsewhere = Viewer("Vic", frozenset({"volunteer"}), member_of=frozenset({"Zgorzelec"}))
    with pytest.raises(NotFound):
        corrections.set_text(archive, theirs, _ids(archive, theirs)[0], "x", volunteer_elsewhere, base=0)
    with pytest.raises(NotFound):
        corrections.transcript(archive, theirs, volunteer_elsewhere)
    assert corrections.set_text(archive, theirs, _ids(archive, theirs)[0], "Theirs.", other_moderator,
                                base=0).revision == 1
    assert corrections.set_text(archive, story, first, "Ours.", MIRA, base=0).revision == 1
    assert corrections.transcript(archive, story, MIRA).editable


def _redact(archive, story, start, end, who="Mira"):
    return record_redaction(archive, plan_redaction(archive, story, start, end), {}, who)


def test_a_redaction_reaches_every_revision_and_stale_editors(archive):
    story = _story(archive)
    first = _ids(archive, story)[0]
    loaded = corrections.transcript(archive, story, VERA)
    corrections.set_text(archive, story, first, "We pumped the settler fully dry.", VIKTOR, base=0)
    stale = corrections.transcript(archive, story, VERA).revision

    _redact(archive, story, 2.5, 3.0)  # "settler", 2.4-3.2 s

    assert archive.segments(story, KEEPER)[0].text == f"We pumped the {MARK} fully dry."
    snapshots = [json.loads(r[0])["segments"][0] for r in archive.conn.execute(
        "SELECT snapshot FROM revisions WHERE story_id = ? ORDER BY number", (story,))]
    # the revision that said what was cut is cut the same way; the older one loses the segment's words;
    # the English out of date since the correction goes, to be made again
    assert [(s["text"], s["text_en"]) for s in snapshots] == [
        (MARK, MARK), (f"We pumped the {MARK} fully dry.", None), (f"We pumped the {MARK} fully dry.", None)]
    restored = corrections.restore(archive, story, 0, KEEPER, base=None)
    assert "settler" not in archive.segments(story, KEEPER)[0].text
    assert corrections.revision(archive, story, 2, KEEPER).summary == "redacted 2.5-3.0 s"
    # an editor who loaded the words before the redaction cannot save them again
    for base in (loaded.revision, stale):
        with pytest.raises(Conflict, match="reload"):
            corrections.set_text(archive, story, first, "We pumped the settler dry.", VERA, base=base)
    assert restored.revision == 3


def test_a_redaction_reaches_a_segment_only_an_older_revision_holds(archive):
    story = _story(archive)
    first, second, third = _ids(archive, story)
    corrections.split(archive, story, first, KEEPER, base=None, offset=len("We pumped "))
    corrections.merge(archive, story, first, KEEPER, base=None)  # the second half's row is gone again

    def said_in_revision_1():
        snapshot = archive.conn.execute("SELECT snapshot FROM revisions WHERE story_id = ? AND number = 1",
                                        (story,)).fetchone()[0]
        return [s["text"] for s in json.loads(snapshot)["segments"]]

    assert said_in_revision_1()[1] == "the settler dry."  # 1.6-4.0 s
    _redact(archive, story, 4.0, 8.0)  # the second line: the lines before and after only touch its edges
    assert said_in_revision_1()[1:] == ["the settler dry.", MARK, "The settler was full again."]
    _redact(archive, story, 2.5, 3.0)  # "settler", 2.4-3.2 s
    assert said_in_revision_1()[1] == MARK
    assert not any("settler dry" in r[0] for r in archive.conn.execute("SELECT snapshot FROM revisions"))


def _snapshots(archive, story) -> list[list[tuple[str, str | None]]]:
    return [[(x["text"], x["text_en"]) for x in json.loads(r[0])["segments"]] for r in archive.conn.execute(
        "SELECT snapshot FROM revisions WHERE story_id = ? ORDER BY number", (story,))]


def test_a_name_redacted_from_one_part_of_a_split_line_leaves_no_english_behind(archive):
    story = add_story(archive, "Flut", "de", [(0.0, 8.0, "Wir pumpten den Keller leer und dann kam Anna Nowak.",
                                               "We pumped the cellar dry and then Anna Nowak came.")], timed=True)
    line = _ids(archive, story)[0]
    corrections.split(archive, story, line, VERA, base=0, offset=len("Wir pumpten den Keller leer "))
    assert [s.text_en for s in archive.segments(story, KEEPER)] == [None, None]  # both wait for their own

    _redact(archive, story, 6.5, 7.9)  # "Anna Nowak", 6.4-8.0 s: only the second part

    assert not any("Nowak" in f"{s.text} {s.text_en}" for s in archive.segments(story, KEEPER))
    assert not any("Nowak" in f"{text} {english}" for revision in _snapshots(archive, story)
                   for text, english in revision[1:])  # revision 0 is the line before the split: all of it goes
    assert _snapshots(archive, story)[0] == [(MARK, MARK)]


def test_english_out_of_date_leaves_with_a_redaction_as_an_older_split_left_it(archive):
    """Before 2026-12-04 a split left the whole line's English on its first part, out of
    date: a redaction of the second part takes it from the segments and the revisions."""
    story = add_story(archive, "Flut", "de", [(0.0, 4.0, "Wir pumpten den Keller leer", "We pumped the cellar dry "
                                               "and then Anna Nowak came."), (4.0, 8.0, "und dann kam Anna Nowak.")],
                      timed=True)
    first, second = _ids(archive, story)
    archive.conn.execute("UPDATE segments SET text_en_stale = 1 WHERE story_id = ?", (story,))
    corrections.set_speaker(archive, story, second, "S1", VERA, base=None)  # revision 1 holds it too

    _redact(archive, story, 6.5, 7.9)

    assert not any("Nowak" in f"{s.text} {s.text_en}" for s in archive.segments(story, KEEPER))
    assert not any("Nowak" in f"{text} {english}" for revision in _snapshots(archive, story)
                   for text, english in revision)


def test_a_word_said_before_its_line_starts_leaves_the_revision_it_was_merged_from(archive):
    story = _story(archive)
    first, second, _ = _ids(archive, story)
    # Whisper put the second line's first word ("Then") before the line starts
    archive.conn.execute("UPDATE words SET start = 3.6, end = 3.95 WHERE segment_id = ? AND idx = 0", (second,))
    corrections.merge(archive, story, first, VERA, base=0)

    _redact(archive, story, 3.62, 3.93)  # "Then", within the first line's time in revision 0

    assert "Then" not in " ".join(_texts(archive, story))
    assert not any("Then" in text for revision in _snapshots(archive, story) for text, _ in revision)
    corrections.restore(archive, story, 0, KEEPER, base=None)
    assert "Then" not in " ".join(_texts(archive, story))


def test_a_redaction_before_any_correction_keeps_stale_editors_out_too(archive):
    story = _story(archive)
    loaded = corrections.transcript(archive, story, VERA)
    _redact(archive, story, 0.0, 4.0)
    assert [r.number for r in corrections.revisions(archive, story, KEEPER)] == [1, 0]
    with pytest.raises(Conflict, match="Mira saved revision 1"):
        corrections.set_text(archive, story, _ids(archive, story)[0], "We pumped the settler dry.", VERA,
                             base=loaded.revision)


def test_erasure_takes_the_revisions_and_speakers(archive, settings):
    story = _story(archive)
    first = _ids(archive, story)[0]
    corrections.set_speaker(archive, story, first, "S1", VERA, base=0)
    corrections.name_speaker(archive, story, "S1", "Anna", VERA, base=1)
    erase(archive, settings.media_dir, story, "cli:test", "withdrawn")
    for table in ("revisions", "speakers"):
        assert archive.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0


def test_speaker_names_reach_the_subtitles_as_the_storyteller_asked_to_be_named(archive):
    story = _story(archive, storyteller_naming="first")
    first, second, third = _ids(archive, story)
    for seg, label in ((first, "S1"), (second, "S2"), (third, "S3")):
        corrections.set_speaker(archive, story, seg, label, VERA, base=None)
    corrections.name_speaker(archive, story, "S1", "Anna Nowak", VERA, base=None, role="storyteller")
    corrections.name_speaker(archive, story, "S2", "Jan Kowal", VERA, base=None, role="interviewer")

    vtt = export(archive, story, "vtt", Viewer.anonymous())
    assert "<v Anna>We pumped the settler dry." in vtt and "<v Jan Kowal>Then the river" in vtt
    assert "<v S3>The settler" in vtt and "Nowak" not in vtt  # an unnamed label shows as itself
    srt = export(archive, story, "srt", Viewer.anonymous())
    assert "Anna: We pumped the settler dry." in srt and "Jan Kowal: Then the river came back." in srt
    doc = json.loads(export(archive, story, "json", Viewer.anonymous()))
    assert [s["speaker"] for s in doc["segments"]] == ["Anna", "Jan Kowal", "S3"]
    # readers see the storyteller as they asked; editors see the name they gave
    assert [s.name for s in corrections.transcript(archive, story, Viewer.anonymous()).speakers] == \
           ["Anna", "Jan Kowal"]
    assert corrections.transcript(archive, story, VERA).speakers[0].name == "Anna Nowak"
    archive.conn.execute("UPDATE stories SET storyteller_naming = 'anonymous' WHERE id = ?", (story,))
    assert "<v Storyteller>We pumped" in export(archive, story, "vtt", Viewer.anonymous())


def _words(archive, story):
    return [[(round(w.start, 2), round(w.end, 2), w.word) for w in s.words]
            for s in archive.segments(story, KEEPER, with_words=True)]


def test_a_correction_keeps_what_it_did_not_change(archive):
    story = _story(archive)
    first, second, third = _ids(archive, story)
    # timings as a model gives them: uneven, the last word running past the segment's end
    archive.conn.execute("DELETE FROM words WHERE segment_id = ?", (first,))
    archive.conn.executemany("INSERT INTO words (segment_id, idx, start, end, word) VALUES (?, ?, ?, ?, ?)", [
        (first, i, s, e, w) for i, (s, e, w) in enumerate(
            [(0.1, 0.3, " We"), (0.3, 1.5, " pumped"), (1.5, 1.7, " the"), (1.7, 3.0, " settler"),
             (3.0, 4.4, " dry.")])])
    archive.conn.execute("UPDATE segments SET low_confidence = 1 WHERE id = ?", (first,))

    done = corrections.set_text(archive, story, first, "We pumped the old cellar dry.", VERA, base=0)
    assert _words(archive, story)[0] == [
        (0.1, 0.3, " We"), (0.3, 1.5, " pumped"), (1.5, 1.7, " the"), (1.7, 2.35, " old"), (2.35, 3.0, " cellar"),
        (3.0, 4.0, " dry.")]  # the words that stayed keep their times, each within the segment
    assert not archive.segments(story, KEEPER)[0].low_confidence  # a person listened

    # a split at a time goes between the words whose middle is before it and the others
    done = corrections.split(archive, story, first, VERA, base=done.revision, at=1.65)
    assert _texts(archive, story)[:2] == ["We pumped the", "old cellar dry."]
    head, tail = _words(archive, story)[:2]
    assert head[-1] == (1.5, 1.65, " the") and tail[0] == (1.7, 2.35, " old")

    # a merge keeps both parts' words, English, speaker, doubts and out-of-date English
    done = corrections.set_text(archive, story, third, "The cellar was full again.", VERA, base=done.revision)
    archive.conn.execute("UPDATE segments SET low_confidence = 1, speaker = 'S2' WHERE id = ?", (third,))
    done = corrections.merge(archive, story, second, VERA, base=done.revision)
    merged = archive.segments(story, KEEPER, with_words=True)[2]
    assert merged.text == "Then the river came back. The cellar was full again."
    assert merged.text_en == "Dann kam der Fluss zurück. Der Siedler war wieder voll."
    assert merged.text_en_stale and merged.low_confidence and merged.speaker == "S2"
    assert [w.word.strip() for w in merged.words] == merged.text.split()

    # a restored text gets word timings for its own words on the rows still there; the
    # row the merge took comes back without (no invented timings)
    corrections.restore(archive, story, 0, VERA, base=done.revision)
    assert [[w for _, _, w in ws] for ws in _words(archive, story)] == \
           [[f" {w}" for w in line[2].split()] for line in LINES[:2]] + [[]]


def test_speakers_are_renamed_in_place_and_labelled_only_on_the_storys_segments(archive):
    story = _story(archive)
    first, second, _ = _ids(archive, story)
    done = corrections.name_speaker(archive, story, "S1", "Anna", VERA, base=0)
    done = corrections.name_speaker(archive, story, "S1", "Anna Nowak", VERA, base=done.revision, role="storyteller")
    assert [(s.label, s.name, s.role) for s in corrections.transcript(archive, story, VERA).speakers] == \
           [("S1", "Anna Nowak", "storyteller")]
    # a revision keeps the names as they were then
    done = corrections.restore(archive, story, 1, VERA, base=done.revision)
    assert [(s.label, s.name, s.role) for s in corrections.transcript(archive, story, VERA).speakers] == \
           [("S1", "Anna", "other")]
    other = _story(archive, title="Another")
    for wrong in ({first: "S1", _ids(archive, other)[0]: "S2"}, {first: "S1", 99999: "S2"}):
        with pytest.raises(Conflict, match="no segment"):
            corrections.label_speakers(archive, story, wrong, VERA, base=done.revision)
    assert [s.speaker for s in archive.segments(other, KEEPER)] == [None, None, None]
    assert corrections.label_speakers(archive, story, {first: "S1", second: "S2"}, VERA,
                                      base=done.revision).changed == 2
    # labels the machine finds later (by channel) do not overwrite a person's
    assert revisions.machine_speakers(archive.conn, story, {first: "S9"}) == 0
    assert archive.segments(story, KEEPER)[0].speaker == "S1"


def test_a_text_or_name_too_long_is_refused(archive):
    story = _story(archive)
    first = _ids(archive, story)[0]
    with pytest.raises(CorrectionError, match="at most 5000 characters"):
        corrections.set_text(archive, story, first, "word " * 1001, VERA, base=0)
    with pytest.raises(CorrectionError, match="at most 200 characters"):
        corrections.name_speaker(archive, story, "S1", "A" * 201, VERA, base=0)
    with pytest.raises(CorrectionError, match="1 to 40 characters"):
        corrections.set_speaker(archive, story, first, "S" * 41, VERA, base=0)
    assert corrections.revisions(archive, story, VERA) == [] and _texts(archive, story) == [x[2] for x in LINES]
