"""A story's transcript as the correction workbench edits it, and its saved revisions.

``Line`` is one segment with what a correction may change; ``load`` reads a story's
lines and ``write`` stores new ones in the caller's transaction (the search index
follows through the triggers on ``segments``). Every save is a row of ``revisions``
holding a snapshot of the whole transcript after it (segments and speaker names), so
comparing and restoring read one row each. Nothing here checks who may do it: that is
``archive.corrections``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from storyatlas.archive.records import Word
from storyatlas.errors import Conflict, NotFound, said, said_as_json, said_from_json

MACHINE = "machine transcript"
"""Who revision 0, the machine's draft, is by."""


@dataclass(frozen=True)
class Line:
    """One segment as the workbench sees it; ``id`` None for one not stored yet."""

    id: int | None
    start: float
    end: float
    text: str
    text_en: str | None = None
    language: str | None = None
    low_confidence: bool = False
    speaker: str | None = None
    text_en_stale: bool = False
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Speaker:
    label: str
    name: str = ""
    role: str = "other"


@dataclass(frozen=True)
class Revision:
    """One save of a story's transcript; number 0 is the machine's draft."""

    number: int
    who: str
    at: str
    summary: str
    lines: tuple[Line, ...] = ()
    """The transcript after the save (without word timings)."""
    speakers: tuple[Speaker, ...] = ()


# the story's state, read and written --------------------------------------------------

def load(c: sqlite3.Connection, story_id: int) -> list[Line]:
    words: dict[int, list[Word]] = {}
    for w in c.execute("""SELECT w.segment_id, w.start, w.end, w.word, w.probability FROM words w
                          JOIN segments s ON s.id = w.segment_id WHERE s.story_id = ?
                          ORDER BY w.segment_id, w.idx""", (story_id,)):
        words.setdefault(w[0], []).append(Word(w[1], w[2], w[3], w[4]))
    return [Line(r["id"], r["start"], r["end"], r["text"], r["text_en"], r["language"], bool(r["low_confidence"]),
                 r["speaker"], bool(r["text_en_stale"]), tuple(words.get(r["id"], ())))
            for r in c.execute("""SELECT id, start, end, text, text_en, language, low_confidence, speaker,
                                  text_en_stale FROM segments WHERE story_id = ? ORDER BY idx""", (story_id,))]


def load_speakers(c: sqlite3.Connection, story_id: int) -> list[Speaker]:
    return [Speaker(*r) for r in c.execute(
        "SELECT label, name, role FROM speakers WHERE story_id = ? ORDER BY label", (story_id,))]


def write(c: sqlite3.Connection, story_id: int, old: Sequence[Line], new: Sequence[Line]) -> list[Line]:
    """Make the story's segments ``new`` (they were ``old``): rows whose line went are
    deleted, lines without an id inserted, the others updated where they changed.
    Returns ``new`` with the ids of the inserted rows."""
    positions = {r[0]: r[1] for r in c.execute("SELECT id, idx FROM segments WHERE story_id = ?", (story_id,))}
    transcript = c.execute("SELECT transcript_id FROM segments WHERE story_id = ? LIMIT 1", (story_id,)).fetchone()
    if transcript is None:
        transcript = c.execute("SELECT id FROM transcripts WHERE story_id = ? AND task = 'transcribe'",
                               (story_id,)).fetchone()
    kept = {line.id for line in new if line.id is not None}
    for line in old:
        if line.id not in kept:
            c.execute("DELETE FROM segments WHERE id = ?", (line.id,))  # its words go by cascade
    moved = {line.id for i, line in enumerate(new) if line.id is not None and positions.get(line.id) != i}
    if moved:
        # (story_id, idx) is unique and checked row by row: move them out of the way first
        offset = max(positions.values(), default=0) + len(new) + 1
        c.execute(f"UPDATE segments SET idx = idx + ? WHERE id IN ({','.join('?' * len(moved))})",
                  (offset, *sorted(moved)))
    before = {line.id: line for line in old}
    stored = []
    for i, line in enumerate(new):
        fields = (line.start, line.end, line.text, line.text_en, line.language, int(line.low_confidence),
                  line.speaker, int(line.text_en_stale))
        if line.id is None:
            segment_id = c.execute(
                """INSERT INTO segments (story_id, transcript_id, idx, start, end, text, text_en, language,
                   low_confidence, speaker, text_en_stale) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (story_id, transcript[0], i, *fields)).lastrowid
            line = replace(line, id=segment_id)
        else:
            segment_id = line.id
            if line.id in moved or replace(line, words=()) != replace(before[line.id], words=()):
                c.execute("""UPDATE segments SET idx = ?, start = ?, end = ?, text = ?, text_en = ?, language = ?,
                             low_confidence = ?, speaker = ?, text_en_stale = ? WHERE id = ?""",
                          (i, *fields, line.id))
        stored.append(line)
        if line.id in before:
            if line.words == before[line.id].words:
                continue
            c.execute("DELETE FROM words WHERE segment_id = ?", (segment_id,))
        c.executemany("INSERT INTO words (segment_id, idx, start, end, word, probability) VALUES (?, ?, ?, ?, ?, ?)",
                      [(segment_id, k, w.start, w.end, w.word, w.probability) for k, w in enumerate(line.words)])
    return stored


def write_speakers(c: sqlite3.Connection, story_id: int, speakers: Iterable[Speaker]) -> None:
    c.execute("DELETE FROM speakers WHERE story_id = ?", (story_id,))
    c.executemany("INSERT INTO speakers (story_id, label, name, role) VALUES (?, ?, ?, ?)",
                  [(story_id, s.label, s.name, s.role) for s in speakers])


def machine_speakers(c: sqlite3.Connection, story_id: int, labels: Mapping[int, str]) -> int:
    """Speaker labels found by the machine (by channel), part of its draft: written only
    while nobody has corrected the story (then they would be a revision of their own)."""
    if current(c, story_id) is not None:
        return 0
    return sum(c.execute("UPDATE segments SET speaker = ? WHERE id = ? AND story_id = ?",
                         (label, segment_id, story_id)).rowcount for segment_id, label in labels.items())


# revisions --------------------------------------------------------------------------

def current(c: sqlite3.Connection, story_id: int) -> sqlite3.Row | None:
    """The newest revision's number, who and when; None before the first save."""
    return c.execute("SELECT number, who, at FROM revisions WHERE story_id = ? ORDER BY number DESC LIMIT 1",
                     (story_id,)).fetchone()


def number(c: sqlite3.Connection, story_id: int) -> int:
    """The story's current revision: before the first save, the machine's draft, 0 (or
    the number a restore held for it: ``hold_numbers``)."""
    row = current(c, story_id)
    return row["number"] if row else _held(c, story_id)


def _held(c: sqlite3.Connection, story_id: int) -> int:
    row = c.execute("SELECT last FROM ids_given WHERE name = ?", (_HELD.format(story_id),)).fetchone()
    return row[0] if row else 0


_HELD = "revisions of story {}"
"""Its ids_given row: the number a machine's draft stands at, held by a restore."""


def check_base(c: sqlite3.Connection, story_id: int, base: int | None) -> int:
    """The current revision, when the editor started from it (``base``; None: whatever
    is current); Conflict, naming who saved the newer one and when, otherwise."""
    row = current(c, story_id)
    now = row["number"] if row else _held(c, story_id)
    if base is None or base == now:
        return now
    if row is None or base > now:
        raise Conflict(said("story {story} has no revision {base} (its transcript is at revision {now}): "
                            "reload the transcript and make your change again", story=story_id, base=base, now=now))
    raise Conflict(said("{who} saved revision {now} of story {story} at {at}, after revision {base} you started "
                        "from: reload the transcript to see their change, then make yours again", who=row["who"],
                        now=now, story=story_id, at=row["at"], base=base))


def add(c: sqlite3.Connection, story_id: int, number: int, who: str, summary: str,
        lines: Sequence[Line], speakers: Sequence[Speaker]) -> None:
    c.execute("""INSERT INTO revisions (story_id, number, who, summary, summary_said, snapshot)
                 VALUES (?, ?, ?, ?, ?, ?)""", (story_id, number, who, summary, said_as_json(summary),
                                                _snapshot(lines, speakers)))


def listed(c: sqlite3.Connection, story_id: int) -> list[Revision]:
    """The story's revisions, newest first, without their snapshots."""
    rows = c.execute("SELECT number, who, at, summary, summary_said FROM revisions WHERE story_id = ? "
                     "ORDER BY number DESC", (story_id,))
    return [Revision(r["number"], r["who"], r["at"], said_from_json(r["summary"], r["summary_said"])) for r in rows]


def get(c: sqlite3.Connection, story_id: int, number: int) -> Revision:
    row = c.execute("SELECT number, who, at, summary, summary_said, snapshot FROM revisions "
                    "WHERE story_id = ? AND number = ?",
                    (story_id, number)).fetchone()
    if row is None and number == 0:  # the machine's draft is saved as revision 0 at the first correction
        raise NotFound(said("story {story} has not been corrected yet: revision 0 is its transcript as it is "
                            "(`storyatlas correct {story}` shows it)", story=story_id))
    if row is None:
        raise NotFound(said("story {story} has no revision {number}: `storyatlas revisions {story}` lists them",
                            story=story_id, number=number))
    lines, speakers = _parse(row["snapshot"])
    return Revision(row["number"], row["who"], row["at"], said_from_json(row["summary"], row["summary_said"]),
                    lines, speakers)


def _snapshot(lines: Sequence[Line], speakers: Sequence[Speaker]) -> str:
    return json.dumps({
        "segments": [{"id": x.id, "start": x.start, "end": x.end, "text": x.text, "text_en": x.text_en,
                      "language": x.language, "low_confidence": x.low_confidence, "speaker": x.speaker,
                      "text_en_stale": x.text_en_stale} for x in lines],
        "speakers": [{"label": s.label, "name": s.name, "role": s.role} for s in speakers],
    }, ensure_ascii=False)


def _parse(snapshot: str) -> tuple[tuple[Line, ...], tuple[Speaker, ...]]:
    data = json.loads(snapshot)
    return (tuple(Line(**s) for s in data["segments"]), tuple(Speaker(**s) for s in data["speakers"]))


def hold_numbers(c: sqlite3.Connection, saved: Mapping[int, int], who: str, summary: Callable[[int], str]) -> None:
    """After a restore: a story the replaced archive saved revisions of after the snapshot
    (``saved``: its newest revision's number by story) gets one past that newest, holding
    the transcript restored (``summary(newest)`` says why). Else the next save would give
    those numbers again, and an editor loaded before the restore, its ``base`` one of them,
    would save over a transcript it never saw; now it gets a Conflict. A story with no
    transcript to keep (its machine's draft still to be made) keeps no revision: the
    number is held for its draft (``number``), and its first save comes after it."""
    for story_id, last in saved.items():
        now = current(c, story_id)
        if now is not None and now["number"] >= last:
            continue
        lines = load(c, story_id)
        if now is None and (not lines or c.execute(  # the machine's draft, to be made again: not to be kept
                "SELECT 1 FROM jobs WHERE story_id = ? AND state != 'done'", (story_id,)).fetchone()):
            c.execute("""INSERT INTO ids_given (name, last) VALUES (?, ?)
                         ON CONFLICT (name) DO UPDATE SET last = max(last, excluded.last)""",
                      (_HELD.format(story_id), last + 1))
            continue
        speakers = load_speakers(c, story_id)
        if now is None:  # as the first save keeps it, so that it can be restored
            add(c, story_id, 0, MACHINE, said("the machine's transcript"), lines, speakers)
        add(c, story_id, last + 1, who, summary(last), lines, speakers)


# redaction --------------------------------------------------------------------------

def after_redaction(c: sqlite3.Connection, story_id: int, start: float, end: float, cut: Mapping[int, str],
                    who: str, mark: str) -> None:
    """Inside the redaction's transaction, once the words are cut (``cut``: the id and
    the text before the cut of every segment the range touched): take them out of every
    stored revision too, so that restoring one cannot bring them back, and save the
    redacted transcript as a new revision, so that an editor who loaded the words before
    gets a Conflict instead of saving them again.

    A revision's segment that said what the cut segment said gets its redacted text; one
    that said something else in the range becomes the mark alone (a snapshot has no word
    timings to cut by): some words of old revisions may go with the redacted ones, none stay.
    A segment since merged into a cut one may have held a cut word said before its start
    (Whisper's word times drift past a line's): it becomes the mark where it meets the cut
    segment's words. An English line out of date may hold words said beyond its segment (a
    split before 2026-12-04 left the whole line's English on its first part): it goes.
    """
    lines, speakers = load(c, story_id), load_speakers(c, story_id)
    rows = c.execute("SELECT id, snapshot FROM revisions WHERE story_id = ?", (story_id,)).fetchall()
    if not rows and not lines:
        return  # nothing transcribed yet, nothing saved
    now = {line.id: line for line in lines}
    reach = [(min([x.start, *(w.start for w in x.words)]), max([x.end, *(w.end for w in x.words)]))
             for x in lines if x.id in cut]
    for row in rows:
        old, names = _parse(row["snapshot"])
        scrubbed = tuple(_scrub(x, now.get(x.id), cut, start, end, mark, reach) for x in old)
        if scrubbed != old:
            c.execute("UPDATE revisions SET snapshot = ? WHERE id = ?", (_snapshot(scrubbed, names), row["id"]))
    latest = number(c, story_id)
    if not rows:
        add(c, story_id, 0, MACHINE, "the machine's transcript (redacted)", lines, speakers)
    add(c, story_id, latest + 1, who, f"redacted {start:.1f}-{end:.1f} s", lines, speakers)


def _scrub(line: Line, now: Line | None, cut: Mapping[int, str], start: float, end: float, mark: str,
           reach: Sequence[tuple[float, float]]) -> Line:
    if line.text_en_stale and line.text_en is not None:
        line = replace(line, text_en=None)
    merged_away = now is None and any(line.start < b and line.end > a for a, b in reach)
    if line.id not in cut and not (line.start < end and line.end > start) and not merged_away:
        return line
    same = now is not None and line.id in cut and line.text == cut[line.id]
    return replace(line, text=now.text if same else mark, text_en=None if line.text_en is None else mark)
