"""The correction workbench: volunteers and moderators fix a story's transcript (its
text, where segments split, who speaks), each save a revision that can be compared and
restored.

Who may: the people who index a story (``index_points.may_index``): volunteers, and
the moderators of its community (admins moderate every one), when they may see it. A
story out of sight is NotFound; one in sight but not theirs to edit, AccessDenied.

Every edit names ``base``, the revision the editor started from (reads return the
current one); when someone saved since, it raises Conflict naming them, so two people
never overwrite each other silently. An edit naming a segment the transcript no longer
holds is a Conflict too (a story transcribed again stays at revision 0, and its new
segments never take the old ones' ids). A save changes the segments (the search index
follows through the triggers on ``segments``, the search cache through the generation
counter they move), marks the English of changed text out of date, moves a machine
draft to "corrected", makes the story due for re-tagging, and writes an audit entry
(without the words: the audit log never holds them; nor do revision summaries, which
a redaction could not scrub).
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from difflib import SequenceMatcher

from storyatlas.archive import Archive, Segment, Story, audit
from storyatlas.archive import revisions as store
from storyatlas.archive.index_points import may_index
from storyatlas.archive.policy import Viewer, shown_storyteller
from storyatlas.archive.records import Word
from storyatlas.archive.revisions import Line, Revision, Speaker
from storyatlas.errors import AccessDenied, Conflict, CorrectionError, said
from storyatlas.text import clock_tenths, one_line

SPEAKER_ROLES = ("interviewer", "storyteller", "other")
_TEXT_MAX, _LABEL_MAX, _NAME_MAX = 5000, 40, 200


@dataclass(frozen=True)
class Transcript:
    """A story's transcript as an editor loads it."""

    story: Story
    segments: tuple[Segment, ...]
    speakers: tuple[Speaker, ...]
    revision: int
    """The current revision: send it back as ``base`` with an edit."""
    editable: bool


@dataclass(frozen=True)
class Saved:
    revision: int
    """The story's revision after the save (unchanged when nothing changed)."""
    changed: int
    """How many segments changed (or speakers, for a speaker's name)."""


@dataclass(frozen=True)
class Change:
    """One difference between two revisions: a segment's text before and after
    (None where the segment is not in that revision)."""

    start: float
    end: float
    before: str | None
    after: str | None


def may_correct(story: Story, viewer: Viewer) -> bool:
    """Whether ``viewer`` (who may see ``story``) may correct its transcript."""
    return may_index(story, viewer)  # the people who index a story are those who correct it


# reading ----------------------------------------------------------------------------

def transcript(archive: Archive, story_id: int, viewer: Viewer) -> Transcript:
    """The segments (with their speaker labels), the speakers and the current revision;
    for anyone who may see the story."""
    story = archive.story(story_id, viewer)
    segments = archive.segments(story_id, viewer)
    editable = may_correct(story, viewer)
    speakers = store.load_speakers(archive.conn, story_id)
    if not editable:
        # readers see the storyteller named as they asked to be, like everywhere else
        speakers = [replace(s, name=_shown_name(s, story)) for s in speakers]
    return Transcript(story, tuple(segments), tuple(speakers), store.number(archive.conn, story_id), editable)


def segment_at(archive: Archive, story_id: int, at: float, viewer: Viewer) -> Segment:
    """The segment playing at ``at`` seconds; CorrectionError when none is."""
    segments = archive.segments(story_id, viewer)
    for i, s in enumerate(segments):
        if s.start <= at < s.end or (i == len(segments) - 1 and at == s.end):
            return s
    if not segments:
        raise CorrectionError(said("story {story} has no transcript yet: wait until it is processed", story=story_id))
    nearest = min(segments, key=lambda s: min(abs(s.start - at), abs(s.end - at)))
    raise CorrectionError(said("no segment is playing at {at} in story {story}; the nearest runs "
                               "{start}-{end}: give a time inside it", at=clock_tenths(at), story=story_id,
                               start=clock_tenths(nearest.start), end=clock_tenths(nearest.end)))


def speaker_names(archive: Archive, story_id: int, viewer: Viewer) -> dict[int, str]:
    """Segment id -> who speaks there, as pages and exports show it: the speaker's name
    (the storyteller's only as they asked to be named), else the label."""
    story = archive.story(story_id, viewer)
    named = {s.label: s for s in store.load_speakers(archive.conn, story_id)}
    return {segment_id: (_shown_name(named[label], story) if label in named else "") or label
            for segment_id, label in archive.conn.execute(
                "SELECT id, speaker FROM segments WHERE story_id = ? AND speaker IS NOT NULL", (story_id,))}


def _shown_name(speaker: Speaker, story: Story) -> str:
    if speaker.role == "storyteller" and speaker.name:
        return shown_storyteller(speaker.name, story.storyteller_naming) or "Storyteller"
    return speaker.name


def revisions(archive: Archive, story_id: int, viewer: Viewer) -> list[Revision]:
    """The story's revisions, newest first (none before the first correction)."""
    _editable(archive, story_id, viewer)
    return store.listed(archive.conn, story_id)


def revision(archive: Archive, story_id: int, number: int, viewer: Viewer) -> Revision:
    """One revision with the transcript it saved."""
    _editable(archive, story_id, viewer)
    return store.get(archive.conn, story_id, number)


def compare(archive: Archive, story_id: int, a: int, b: int, viewer: Viewer) -> list[Change]:
    """The segments whose text (or time) differs between revisions ``a`` and ``b``."""
    _editable(archive, story_id, viewer)
    old, new = store.get(archive.conn, story_id, a).lines, store.get(archive.conn, story_id, b).lines
    key = [(x.start, x.end, x.text) for x in old], [(x.start, x.end, x.text) for x in new]
    changes = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, *key, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        before, after = old[i1:i2], new[j1:j2]
        for k in range(max(len(before), len(after))):
            x, y = (before[k] if k < len(before) else None), (after[k] if k < len(after) else None)
            shown = y or x
            changes.append(Change(shown.start, shown.end, x.text if x else None, y.text if y else None))
    return changes


# editing ----------------------------------------------------------------------------

def checked_text(text: str) -> str:
    """A segment's text as it will be saved, or CorrectionError: asked before anything of
    an edit is saved (a speaker sent with a text refused must not be saved alone)."""
    text = one_line(str(text))
    if not text:
        raise CorrectionError(said("a segment needs some text: to take words out for good, ask a moderator to "
                                    "redact them"))
    if len(text) > _TEXT_MAX:
        raise CorrectionError(said("a segment holds at most {count} characters: split it first", count=_TEXT_MAX))
    return text


def set_text(archive: Archive, story_id: int, segment_id: int, text: str, viewer: Viewer, *,
             base: int | None) -> Saved:
    """Replace a segment's text. Words that stay keep their timings; new ones are spread
    over the time of those they replace."""
    text = checked_text(text)

    def change(lines: list[Line], speakers: list[Speaker]):
        i = _find(lines, segment_id, story_id)
        if lines[i].text != text:
            lines[i] = _retext(lines[i], text)
        return lines, speakers, said("text at {at}", at=clock_tenths(lines[i].start))
    return _save(archive, story_id, viewer, base, change)


def split(archive: Archive, story_id: int, segment_id: int, viewer: Viewer, *, base: int | None,
          at: float | None = None, offset: int | None = None) -> Saved:
    """Split a segment in two, at ``at`` seconds or before the word at character
    ``offset`` of its text (a word cut in the middle goes to the first part)."""
    if (at is None) == (offset is None):
        raise CorrectionError(said("say where to split: a time inside the segment, or a character offset in its "
                                    "text"))

    def change(lines: list[Line], speakers: list[Speaker]):
        i = _find(lines, segment_id, story_id)
        lines[i:i + 1] = _split(lines[i], at, offset)
        return lines, speakers, said("split at {at}", at=clock_tenths(lines[i + 1].start))
    return _save(archive, story_id, viewer, base, change)


def merge(archive: Archive, story_id: int, segment_id: int, viewer: Viewer, *, base: int | None) -> Saved:
    """Join a segment and the next one into one."""
    def change(lines: list[Line], speakers: list[Speaker]):
        i = _find(lines, segment_id, story_id)
        if i + 1 >= len(lines):
            raise CorrectionError(said("this is the last segment: there is no next one to merge it with"))
        a, b = lines[i], lines[i + 1]
        english = " ".join(t for t in (a.text_en, b.text_en) if t) or None
        lines[i:i + 2] = [replace(a, end=max(a.end, b.end), text=f"{a.text} {b.text}", text_en=english,
                                  low_confidence=a.low_confidence or b.low_confidence,
                                  speaker=a.speaker or b.speaker, text_en_stale=a.text_en_stale or b.text_en_stale,
                                  words=a.words + b.words)]
        return lines, speakers, said("merged at {at} with the next segment", at=clock_tenths(a.start))
    return _save(archive, story_id, viewer, base, change)


def set_speaker(archive: Archive, story_id: int, segment_id: int, label: str | None, viewer: Viewer, *,
                base: int | None) -> Saved:
    """Say who speaks in a segment, by a label ("S1"; None or "" for nobody known)."""
    label = _label(label) if label else None

    def change(lines: list[Line], speakers: list[Speaker]):
        i = _find(lines, segment_id, story_id)
        lines[i] = replace(lines[i], speaker=label)
        return lines, speakers, said("speaker at {at}", at=clock_tenths(lines[i].start))
    return _save(archive, story_id, viewer, base, change)


def label_speakers(archive: Archive, story_id: int, labels: Mapping[int, str | None], viewer: Viewer, *,
                   base: int | None, summary: str | None = None) -> Saved:
    """Set many segments' speaker labels at once (segment id -> label), e.g. found by
    channel in a stereo recording."""
    labels = {k: _label(v) if v else None for k, v in labels.items()}

    def change(lines: list[Line], speakers: list[Speaker]):
        for segment_id in labels:
            _find(lines, segment_id, story_id)
        return [replace(x, speaker=labels.get(x.id, x.speaker)) for x in lines], speakers, summary or said(
            "speakers labelled")
    return _save(archive, story_id, viewer, base, change)


def name_speaker(archive: Archive, story_id: int, label: str, name: str, viewer: Viewer, *,
                 base: int | None, role: str = "other") -> Saved:
    """Give a speaker label a name and a role (interviewer, storyteller or other)."""
    label, name = _label(label), one_line(str(name))
    if role not in SPEAKER_ROLES:
        raise CorrectionError(said("unknown speaker role {role!r}: choose one of {roles}", role=role,
                                    roles=", ".join(SPEAKER_ROLES)))
    if len(name) > _NAME_MAX:
        raise CorrectionError(said("a speaker's name holds at most {count} characters", count=_NAME_MAX))

    def change(lines: list[Line], speakers: list[Speaker]):
        others = [s for s in speakers if s.label != label]
        named = said("speaker {label} named", label=label)
        return lines, sorted([*others, Speaker(label, name, role)], key=lambda s: s.label), named
    return _save(archive, story_id, viewer, base, change)


def replace_text(archive: Archive, story_id: int, find: str, replacement: str, viewer: Viewer, *,
                 base: int | None, case_sensitive: bool = True) -> Saved:
    """Replace ``find`` (plain text, not a pattern) by ``replacement`` in every segment;
    ``changed`` says in how many."""
    if not find or not find.strip():
        raise CorrectionError(said("say what to find: an empty text would match everywhere"))
    if len(find) > _TEXT_MAX or len(replacement) > _TEXT_MAX:
        raise CorrectionError(said("a segment holds at most {count} characters: split it first", count=_TEXT_MAX))
    pattern = re.compile(re.escape(find), 0 if case_sensitive else re.IGNORECASE)

    def change(lines: list[Line], speakers: list[Speaker]):
        out = []
        for x in lines:
            text = one_line(pattern.sub(lambda _: replacement, x.text))
            if text == x.text:
                out.append(x)
                continue
            if not text:
                raise CorrectionError(said("the replacement would leave the segment at {at} without words: replace "
                                           "with something, or ask a moderator to redact it", at=clock_tenths(x.start)))
            if len(text) > _TEXT_MAX:
                raise CorrectionError(said("the replacement would make the segment at {at} longer than {count} "
                                           "characters: replace with less", at=clock_tenths(x.start), count=_TEXT_MAX))
            out.append(_retext(x, text))
        return out, speakers, "find and replace"
    return _save(archive, story_id, viewer, base, change)


def restore(archive: Archive, story_id: int, number: int, viewer: Viewer, *, base: int | None) -> Saved:
    """Make revision ``number`` the transcript again, as a new revision."""
    def change(lines: list[Line], speakers: list[Speaker]):
        old = store.get(archive.conn, story_id, number)
        return _restored(lines, old.lines), list(old.speakers), said("restored revision {number}", number=number)
    return _save(archive, story_id, viewer, base, change)


def due_for_retagging(conn: sqlite3.Connection, story_id: int) -> None:
    """Make the story due for re-tagging (in the caller's transaction): the themes runner
    tags again every story with no ``taggings`` row (``themes.store.stories_due``); its
    tags stay until then."""
    conn.execute("DELETE FROM taggings WHERE story_id = ?", (story_id,))


# the save ---------------------------------------------------------------------------

_Edit = Callable[[list[Line], list[Speaker]], tuple[list[Line], list[Speaker], str]]


def _save(archive: Archive, story_id: int, viewer: Viewer, base: int | None, change: _Edit) -> Saved:
    _editable(archive, story_id, viewer)
    with archive.transaction() as c:
        now = store.check_base(c, story_id, base)
        lines, speakers = store.load(c, story_id), store.load_speakers(c, story_id)
        if not lines:
            raise CorrectionError(said("story {story} has no transcript yet: wait until it is processed",
                                       story=story_id))
        new_lines, new_speakers, summary = change(list(lines), list(speakers))
        was = {x.id: x for x in lines}
        changed = sum(1 for x in new_lines if was.get(x.id) != x) + len(set(new_speakers) - set(speakers))
        if new_lines == lines and new_speakers == speakers:
            return Saved(now, 0)
        if store.current(c, story_id) is None:
            # the machine's draft becomes revision 0 at the first save, so it can be restored
            store.add(c, story_id, 0, store.MACHINE, said("the machine's transcript"), lines, speakers)
        new_lines = store.write(c, story_id, lines, new_lines)
        if new_speakers != speakers:
            store.write_speakers(c, story_id, new_speakers)
        store.add(c, story_id, now + 1, viewer.label(), summary, new_lines, new_speakers)
        if [(x.start, x.end, x.text) for x in new_lines] != [(x.start, x.end, x.text) for x in lines]:
            due_for_retagging(c, story_id)
        # a machine draft a person corrected is "corrected"; later states stay for the moderators to change
        c.execute("""UPDATE stories SET review_state = CASE review_state WHEN 'draft' THEN 'corrected'
                     ELSE review_state END, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?""",
                  (story_id,))
        audit.record(c, viewer, "transcript corrected", story_id,
                     said("revision {number}: {summary}", number=now + 1, summary=summary))
    return Saved(now + 1, changed)


def _editable(archive: Archive, story_id: int, viewer: Viewer) -> Story:
    story = archive.story(story_id, viewer)  # NotFound for a story the viewer may not see
    if not may_correct(story, viewer):
        raise AccessDenied(said("only volunteers and the moderators of this story's community may correct its "
                                "transcript: sign in as one"))
    return story


def _find(lines: Sequence[Line], segment_id: int, story_id: int) -> int:
    for i, x in enumerate(lines):
        if x.id == segment_id:
            return i
    # a Conflict, as for a newer revision: the editor's transcript is not the story's now (the
    # segment was merged, split, or the story transcribed again at the same revision)
    raise Conflict(said("story {story} has no segment {segment}: reload the transcript", story=story_id,
                        segment=segment_id))


def _label(label: str) -> str:
    label = one_line(str(label))
    if not label or len(label) > _LABEL_MAX:
        raise CorrectionError(said("a speaker label is 1 to {count} characters, such as S1", count=_LABEL_MAX))
    return label


# the lines ---------------------------------------------------------------------------

def _retext(line: Line, text: str) -> Line:
    """``line`` saying ``text``: its words retimed, its English out of date, and no
    longer marked unsure (a person listened)."""
    return replace(line, text=text, words=_retime(line.words, text, line.start, line.end),
                   text_en_stale=line.text_en_stale or line.text_en is not None, low_confidence=False)


def _retime(words: Sequence[Word], text: str, start: float, end: float) -> tuple[Word, ...]:
    """Words for ``text``: those matching the old words keep their timings, the others
    are spread evenly over the time of what they replace. A segment without word
    timings gets none: invented timings would mislead a redaction, which takes a whole
    segment out when it has none."""
    if not words:
        return ()
    tokens = text.split()
    old = [w.word.strip() for w in words]
    space = " " if any(w.word.startswith(" ") for w in words) else ""
    out: list[Word] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, tokens, autojunk=False).get_opcodes():
        if tag == "equal":
            out += [replace(words[i1 + k], word=space + tokens[j1 + k]) for k in range(j2 - j1)]
            continue
        if j1 == j2:
            continue
        if i2 > i1:
            lo, hi = words[i1].start, words[i2 - 1].end
        else:
            lo = words[i1 - 1].end if i1 > 0 else start
            hi = words[i1].start if i1 < len(words) else end
        step = max(0.0, hi - lo) / (j2 - j1)
        out += [Word(lo + k * step, lo + (k + 1) * step, space + tokens[j1 + k]) for k in range(j2 - j1)]
    return tuple(replace(w, start=min(max(w.start, start), end), end=min(max(w.end, start), end)) for w in out)


def _aligned(line: Line) -> bool:
    return bool(line.words) and [w.word.strip() for w in line.words] == line.text.split()


def _split(line: Line, at: float | None, offset: int | None) -> list[Line]:
    tokens = line.text.split()
    aligned = _aligned(line)
    if at is not None:
        if not (math.isfinite(at) and line.start < at < line.end):
            raise CorrectionError(said("{at} is not inside the segment ({start}-{end}): choose a time between its "
                                       "start and end", at=clock_tenths(at), start=clock_tenths(line.start),
                                       end=clock_tenths(line.end)))
        if aligned:
            cut = sum(1 for w in line.words if (w.start + w.end) / 2 < at)
        else:  # no word timings: the word boundary nearest the time's share of the text
            share = len(line.text) * (at - line.start) / (line.end - line.start)
            cut = min(range(1, len(tokens)), key=lambda k: abs(len(" ".join(tokens[:k])) - share), default=0)
    else:
        if not 0 < offset < len(line.text):
            raise CorrectionError(said("the segment's text has {count} characters: split inside it",
                                       count=len(line.text)))
        cut = len(line.text[:offset].split())
    if not 0 < cut < len(tokens):
        raise CorrectionError(said("a split there would leave one part without words: split between two words"))
    if at is None:
        if aligned:
            at = (line.words[cut - 1].end + line.words[cut].start) / 2
        else:
            share = len(" ".join(tokens[:cut])) / len(" ".join(tokens))
            at = line.start + (line.end - line.start) * share
        at = min(max(at, line.start + 0.001), line.end - 0.001)
    first, second = " ".join(tokens[:cut]), " ".join(tokens[cut:])
    if aligned:
        head = tuple(replace(w, end=min(w.end, at)) for w in line.words[:cut])
        tail = tuple(replace(w, start=max(w.start, at)) for w in line.words[cut:])
    else:
        head = _retime(line.words, first, line.start, at)
        tail = _retime(line.words, second, at, line.end)
    # the English cannot be cut where the original is, and left whole on one part it would
    # keep the other part's words from a redaction of that part: both wait for their own
    stale = line.text_en_stale or line.text_en is not None
    return [replace(line, end=at, text=first, words=head, text_en=None, text_en_stale=stale),
            replace(line, id=None, start=at, text=second, words=tail, text_en=None, text_en_stale=stale)]


def _restored(lines: Sequence[Line], saved: Sequence[Line]) -> list[Line]:
    """The lines of a saved revision, on the rows (and word timings) that still hold them."""
    now = {x.id: x for x in lines}
    out = []
    for x in saved:
        row = now.pop(x.id, None)
        if row is None:
            out.append(replace(x, id=None, words=()))
            continue
        same = (row.start, row.end, row.text) == (x.start, x.end, x.text)
        out.append(replace(x, words=row.words if same else _retime(row.words, x.text, x.start, x.end)))
    return out
