"""Redaction, the archive's side: a moderator takes a time range out of the published story.

The words spoken in the range leave the transcript (each run of them becomes "[…]"),
the English of every segment the range touches becomes "[…]" (a translation cannot be
cut word by word), and the themes, entities and phrases drawn from those segments go.
The listening copy and the speech WAV are made again from the untouched original with
every redacted range muted, under new names, so that neither a listener nor a later
re-transcription can bring the words back; the original is kept as it is (admins only).
``storyatlas.ingest.redact.redact`` does it all; this module plans it and changes the rows.
"""

from __future__ import annotations

import logging
import math
import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass

from storyatlas.archive import Archive
from storyatlas.archive.audit import record
from storyatlas.archive.checkpoints import discard_story_checkpoint
from storyatlas.archive.revisions import after_redaction
from storyatlas.errors import MediaError, NotFound, StoryAtlasError, said

log = logging.getLogger(__name__)

MARK = "[…]"


@dataclass(frozen=True)
class Redaction:
    """One redacted range and what it changed."""

    id: int
    story_id: int
    start: float
    end: float
    who: str
    segments_changed: int
    words_removed: int
    ranges: tuple[tuple[float, float], ...]
    """Every redacted range of the story, this one included, in order."""
    index_points: tuple[float, ...] = ()
    """Where the index points start whose passage holds some of the range: what people
    wrote there (a title, a synopsis, keywords) is theirs, not the recording's, and is not
    cut; whoever redacts is told to read it."""


def parse_clock(text: str) -> float:
    """Seconds from ``62``, ``62.5``, ``1:02``, ``1:02.5`` or ``0:01:02``."""
    m = re.fullmatch(r"\s*(?:(?:(\d+):)?(\d+):)?(\d+(?:\.\d*)?)\s*", text or "")
    try:  # a number of 400 digits is no time either (int + float overflows)
        if m is not None and not (m.group(2) is not None and float(m.group(3)) >= 60) and \
                not (m.group(1) is not None and int(m.group(2)) >= 60):
            hours, minutes, seconds = m.group(1), m.group(2), m.group(3)
            total = int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds)
            if math.isfinite(total):
                return total
    except OverflowError:
        pass
    raise StoryAtlasError(said("{text!r} is not a time in the recording: write seconds (62 or 62.5), "
                               "minutes:seconds (1:02 or 1:02.5) or hours:minutes:seconds (0:01:02)",
                               text=text[:40]))


def seconds(at: int | float | str) -> float:
    """A time sent as a number, or written (``parse_clock``); a number past any float
    (10**400) is no time: infinite, refused as such where it is used."""
    if isinstance(at, str):
        return parse_clock(at)
    try:
        return float(at)
    except OverflowError:
        return math.inf


def ranges(archive: Archive, story_id: int) -> list[tuple[float, float]]:
    """The story's redacted ranges, in order (seconds)."""
    return [(r[0], r[1]) for r in archive.conn.execute(
        "SELECT start, end FROM redactions WHERE story_id = ? ORDER BY start, id", (story_id,))]


@dataclass(frozen=True)
class RedactionPlan:
    """What a redaction needs to know before the new audio is made (``plan_redaction``)."""

    story_id: int
    start: float
    end: float
    before: tuple[tuple[float, float], ...]
    """The story's ranges so far: if they change before the plan is carried out, it is refused."""
    ranges: tuple[tuple[float, float], ...]
    """Every range to silence, the new one included."""
    original: str
    """The original recording (relative to the media store), to make the new audio from."""
    sha256: str
    duration_s: float | None
    derived: dict[str, str]
    """The story's speech and listening copies now (role: relative path)."""


def plan_redaction(archive: Archive, story_id: int, start: float, end: float) -> RedactionPlan:
    """Check that the range can be taken out of the story, and gather what making its
    new audio needs. Raises NotFound, MediaError (no original), StoryAtlasError (the range)."""
    start, end = float(start), float(end)
    if not (math.isfinite(start) and math.isfinite(end)) or start < 0 or end <= start:
        raise StoryAtlasError(said("cannot redact {start:g}..{end:g} s: the end must come after the start, "
                                   "and neither before 0", start=start, end=end))
    story = archive.conn.execute("SELECT duration_s FROM stories WHERE id = ?", (story_id,)).fetchone()
    if story is None:
        raise NotFound(said("there is no story {story}: `storyatlas stories` lists them", story=story_id))
    if story[0] is not None and start >= story[0]:
        raise StoryAtlasError(said("story {story} is only {length:.1f} s long: choose a range inside it",
                                   story=story_id, length=story[0]))
    media = {r["role"]: r for r in archive.conn.execute("SELECT * FROM media WHERE story_id = ?", (story_id,))}
    original = media.get("original")
    if original is None:
        raise MediaError(said("story {story} has no original recording to make silenced copies from",
                              story=story_id))
    before = tuple(ranges(archive, story_id))
    return RedactionPlan(story_id, start, end, before, tuple(sorted([*before, (start, end)])),
                         original["path"], original["sha256"], original["duration_s"] or story[0],
                         {role: media[role]["path"] for role in ("speech", "listen") if role in media})


def record_redaction(archive: Archive, plan: RedactionPlan, made: Mapping[str, tuple[str, int]],
                     who: str) -> Redaction:
    """In one transaction: record the range, cut it out of the transcript, its English,
    the index and the tags, point the story's speech and listening copies at ``made``
    (role: (relative path, size)), and write the audit entry."""
    with archive.transaction() as c:
        still_there(c, plan.story_id)
        if tuple(ranges(archive, plan.story_id)) != plan.before:
            raise StoryAtlasError(said("story {story} was redacted by someone else at the same time: redact again",
                                       story=plan.story_id))
        redaction_id = c.execute("INSERT INTO redactions (story_id, start, end, who) VALUES (?, ?, ?, ?)",
                                 (plan.story_id, plan.start, plan.end, who)).lastrowid
        changed, removed, cut = _cut_transcript(c, plan.story_id, plan.start, plan.end)
        # the corrections' revisions hold the words too: restoring one must not bring them back
        after_redaction(c, plan.story_id, plan.start, plan.end, cut, who, MARK)
        for role, (relative, size) in made.items():
            _point_media(c, plan, role, relative, size)
        c.execute("UPDATE stories SET updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?",
                  (plan.story_id,))
        record(c, who, "redact", plan.story_id, f"{plan.start:.3f}-{plan.end:.3f} s")
        c.execute("INSERT INTO scrubs_owed (story_id, why) VALUES (?, 'redact')", (plan.story_id,))
    log.info("redacted %.2f-%.2f s of story %d: %d segments changed", plan.start, plan.end, plan.story_id, changed)
    # a killed transcription's checkpoint holds the words just cut
    discard_story_checkpoint(archive.path, plan.story_id)
    return Redaction(redaction_id, plan.story_id, plan.start, plan.end, who, changed, removed, plan.ranges,
                     _index_points_over(archive, plan.story_id, plan.start, plan.end))


def _index_points_over(archive: Archive, story_id: int, start: float, end: float) -> tuple[float, ...]:
    """The index points whose passage (to the next point, or the end) meets the range."""
    starts = [r[0] for r in archive.conn.execute(
        "SELECT DISTINCT at FROM index_points WHERE story_id = ? ORDER BY at", (story_id,))]
    return tuple(at for at, until in zip(starts, [*starts[1:], math.inf]) if at < end and until > start)


def still_there(c: sqlite3.Connection, story_id: int) -> None:
    """NotFound when the story was erased while its new audio was being made."""
    if c.execute("SELECT 1 FROM stories WHERE id = ?", (story_id,)).fetchone() is None:
        raise NotFound(said("story {story} was erased while it was being redacted: nothing is left to redact",
                            story=story_id))


def current_speech(archive: Archive, story_id: int) -> str | None:
    """The story's speech audio as it is now (relative to the media store): None once the
    story is erased, another file once it was redacted."""
    row = archive.conn.execute(
        "SELECT (SELECT path FROM media WHERE story_id = ? AND role = 'speech') FROM stories WHERE id = ?",
        (story_id, story_id)).fetchone()
    return None if row is None else row[0]


def _cut_transcript(c: sqlite3.Connection, story_id: int, start: float, end: float) -> tuple[int, int, dict[int, str]]:
    """Cut the range out of every segment it touches; returns (segments changed, words
    removed, the id and former text of each segment touched)."""
    segments = c.execute(
        """SELECT id, text, text_en FROM segments WHERE story_id = ? AND (start < ? AND end > ?
               OR id IN (SELECT w.segment_id FROM words w JOIN segments s ON s.id = w.segment_id
                         WHERE s.story_id = ? AND w.start < ? AND w.end > ?))
           ORDER BY idx""", (story_id, end, start, story_id, end, start)).fetchall()
    changed = removed = 0
    for seg in segments:
        words = c.execute("SELECT idx, start, end, word FROM words WHERE segment_id = ? ORDER BY idx",
                          (seg["id"],)).fetchall()
        if words:
            text, cut = _cut_words(c, seg["id"], words, start, end)
            removed += cut
        else:
            # without word times the whole segment may hold the words: all of it goes
            text = MARK
        text_en = MARK if seg["text_en"] is not None else None
        if (text, text_en) != (seg["text"], seg["text_en"]):
            c.execute("UPDATE segments SET text = ?, text_en = ? WHERE id = ?", (text, text_en, seg["id"]))
            changed += 1
        for table in ("theme_evidence", "entities", "phrases"):
            c.execute(f"DELETE FROM {table} WHERE segment_id = ?", (seg["id"],))
    # an English line out of date may hold words said beyond its segment (a split before
    # 2026-12-04 left the whole line's English on its first part): it goes, to be made again
    c.execute("UPDATE segments SET text_en = NULL WHERE story_id = ? AND text_en_stale = 1 AND text_en IS NOT NULL",
              (story_id,))
    # a theme whose every piece of evidence was cut out no longer has a reason to be there
    c.execute("""DELETE FROM story_themes WHERE story_id = ? AND NOT EXISTS (
                     SELECT 1 FROM theme_evidence e WHERE e.story_id = story_themes.story_id
                     AND e.theme_id = story_themes.theme_id)""", (story_id,))
    return changed, removed, {seg["id"]: seg["text"] for seg in segments}


def _cut_words(c: sqlite3.Connection, segment_id: int, words: list[sqlite3.Row],
               start: float, end: float) -> tuple[str, int]:
    """Replace each run of words spoken (even partly) in the range by one "[…]" word, and
    return the segment's text rebuilt from its words, with how many words were cut.
    Earlier redactions' marks are words too, so rebuilding keeps them."""
    spaced = any(w["word"].startswith(" ") for w in words)
    mark = f" {MARK}" if spaced else MARK
    runs: list[list[sqlite3.Row]] = []
    kept: list[tuple[int, str | None]] = []
    for w in words:
        inside = w["start"] < end and w["end"] > start
        is_mark = w["word"].strip() == MARK
        if inside or is_mark:
            if runs and kept and kept[-1][1] is None:
                runs[-1].append(w)
            else:
                runs.append([w])
                kept.append((w["idx"], None))
        else:
            kept.append((w["idx"], w["word"]))
    cut = 0
    for run in runs:
        real = [w for w in run if w["word"].strip() != MARK]
        cut += len(real)
        if len(run) == 1 and not real:
            continue  # an earlier mark, untouched
        c.executemany("DELETE FROM words WHERE segment_id = ? AND idx = ?", [(segment_id, w["idx"]) for w in run])
        c.execute("INSERT INTO words (segment_id, idx, start, end, word, probability) VALUES (?, ?, ?, ?, ?, NULL)",
                  (segment_id, run[0]["idx"], run[0]["start"], run[-1]["end"], mark))
    text = "".join(mark if word is None else word for _, word in kept).strip()
    return text, cut


def _point_media(c: sqlite3.Connection, plan: RedactionPlan, role: str, relative: str, size: int) -> None:
    kind = {"speech": ("wav", "pcm_s16le"), "listen": ("webm", "opus")}[role]
    if c.execute("UPDATE media SET path = ?, size_bytes = ? WHERE story_id = ? AND role = ?",
                 (relative, size, plan.story_id, role)).rowcount == 0:
        c.execute("""INSERT INTO media (story_id, role, sha256, path, container, codec, has_video, size_bytes,
                     duration_s) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)""",
                  (plan.story_id, role, plan.sha256, relative, *kind, size, plan.duration_s))
