"""The archive: the source of truth for stories, media, transcripts and jobs (SQLite, WAL).

One ``Archive`` is one connection; use one per thread.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from storyatlas.archive import audit, word_index
from storyatlas.archive.db import connect
from storyatlas.archive.held import last_change
from storyatlas.archive.jobs import LEASE_S, JobsMixin, worker_id
from storyatlas.archive.policy import (
    Viewer,
    may_moderate,
    moderated_condition,
    shown_storyteller,
    story_condition,
)
from storyatlas.archive.records import (
    Job,
    MediaFile,
    Place,
    Segment,
    Story,
    StoryMetadata,
    Word,
)
from storyatlas.errors import AccessDenied, Conflict, NotFound, named, said

if TYPE_CHECKING:
    from storyatlas.transcribe.types import Transcript

__all__ = ["Archive", "Job", "LEASE_S", "MediaFile", "Place", "Segment", "Story", "StoryMetadata", "Viewer",
           "Word", "spoken_languages", "worker_id"]


def _missing(story_id: int) -> NotFound:
    # a story the viewer may not see is reported exactly like one that does not exist
    return NotFound(said("there is no story {story}: `storyatlas stories` lists them", story=story_id))


class Archive(JobsMixin):
    def __init__(self, database: Path) -> None:
        self.path = database
        self.conn = connect(database)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
            # the stories whose segments changed get their words index rows here, in
            # the same transaction: a reader never sees the two apart
            word_index.refresh(self.conn)
        except BaseException:
            # SQLite has rolled back already after some errors (a damaged index): the
            # caller sees that error, not "cannot rollback"
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def generation(self) -> int:
        """Changes whenever stories or transcripts change (see migration 0002)."""
        return self.conn.execute("SELECT n FROM generation").fetchone()[0]

    def search_state(self) -> tuple[int, int]:
        """Changes whenever a search's answer may: the generation, and the meaning index's
        vectors, which the worker writes after a story is done without changing the
        generation (the last of their changes, migration 0016)."""
        row = self.conn.execute(f"SELECT (SELECT n FROM generation), {last_change('vector_changes')}").fetchone()
        return row[0], row[1]

    def identity(self) -> str:
        """A name no other archive has (migration 0014): what is kept in memory per archive
        state is kept under it, never under a path another archive may later be made at."""
        return self.conn.execute("SELECT id FROM archive_identity").fetchone()[0]

    # stories -------------------------------------------------------------

    def create_story(
        self, meta: StoryMetadata, media: Sequence[MediaFile], duration_s: float | None,
        teller_token: str | None = None,
    ) -> tuple[int, int]:
        """Insert a story, its media and its processing job in one transaction.

        ``teller_token`` is the storyteller's private link token; only its hash is kept.
        Returns (story id, job id).
        """
        with self.transaction() as c:
            # no story's number is given again, an erased one's nor one a restored backup
            # lacks (migration 0026): links, receipts and audit entries made for it must not
            # come to mean another story
            story_id = c.execute(
                """INSERT INTO stories (id, title, collection, community, region, country, recorded_on,
                   language_hint, storyteller, description, visibility, requested_visibility, duration_s,
                   embargo_until, storyteller_naming, exportable, teller_token, review_state)
                   VALUES ((SELECT max(coalesce((SELECT max(id) FROM stories), 0),
                                       coalesce((SELECT max(story_id) FROM tombstones), 0),
                                       (SELECT last FROM ids_given WHERE name = 'stories')) + 1),
                           ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (meta.title, meta.collection, meta.place.community, meta.place.region,
                 meta.place.country, meta.recorded_on, meta.language_hint, meta.storyteller,
                 meta.description, meta.visibility, meta.requested_visibility, duration_s,
                 meta.embargo_until, meta.storyteller_naming, int(meta.exportable),
                 token_hash(teller_token) if teller_token else None,
                 # a story that needs no moderator's review is published as it comes in
                 "draft" if meta.requested_visibility is not None else "published"),
            ).lastrowid
            for m in media:
                c.execute(
                    """INSERT INTO media (story_id, role, sha256, path, container, codec, has_video,
                       size_bytes, duration_s, original_filename) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (story_id, m.role, m.sha256, m.path, m.container, m.codec, int(m.has_video),
                     m.size_bytes, m.duration_s, m.original_filename),
                )
            job_id = c.execute("INSERT INTO jobs (story_id) VALUES (?)", (story_id,)).lastrowid
        return story_id, job_id

    def story(self, story_id: int, viewer: Viewer) -> Story:
        """The story, if it exists and ``viewer`` may see it; NotFound otherwise, exactly
        as for a story that does not exist, so its existence does not leak."""
        where, params = story_condition(viewer)
        row = self.conn.execute(f"SELECT * FROM stories st WHERE st.id = ? AND {where}",
                                (story_id, *params)).fetchone()
        if row is None:
            raise _missing(story_id)
        return _story(row)

    def story_to_moderate(self, story_id: int, viewer: Viewer) -> Story:
        """The story, for one of its moderators (admins among them): NotFound for a story
        out of ``viewer``'s sight, AccessDenied for anyone else who may see it."""
        story = self.story(story_id, viewer)
        if not may_moderate(viewer, story.place.community, story.collection):
            raise AccessDenied(said("only the moderators of this story's community may look after it"))
        return story

    def stories(self, viewer: Viewer, limit: int = 100, offset: int = 0, newest_first: bool = False) -> list[Story]:
        where, params = story_condition(viewer)
        order = "DESC" if newest_first else ""
        rows = self.conn.execute(
            f"SELECT * FROM stories st WHERE {where} ORDER BY st.id {order} LIMIT ? OFFSET ?",
            (*params, limit, offset)).fetchall()
        return [_story(r) for r in rows]

    def count_stories(self, viewer: Viewer) -> int:
        where, params = story_condition(viewer)
        return self.conn.execute(f"SELECT count(*) FROM stories st WHERE {where}", params).fetchone()[0]

    def is_empty(self) -> bool:
        """Whether the archive holds no story at all (reveals nothing about any story)."""
        return self.conn.execute("SELECT NOT EXISTS (SELECT 1 FROM stories)").fetchone()[0] == 1

    def story_for_original(self, sha256: str, viewer: Viewer) -> int | None:
        """A story ``viewer`` may see that was made from this recording."""
        where, params = story_condition(viewer)
        row = self.conn.execute(
            f"""SELECT st.id FROM media m JOIN stories st ON st.id = m.story_id
                WHERE m.role = 'original' AND m.sha256 = ? AND {where} ORDER BY st.id LIMIT 1""",
            (sha256, *params)).fetchone()
        return row[0] if row else None

    def media(self, story_id: int, role: str, viewer: Viewer) -> MediaFile:
        self.story(story_id, viewer)
        row = self.conn.execute(
            "SELECT * FROM media WHERE story_id = ? AND role = ?", (story_id, role)
        ).fetchone()
        if row is None:
            raise NotFound(said("story {story} has no {role} media", story=story_id, role=role))
        return MediaFile(row["role"], row["sha256"], row["path"], row["container"], row["codec"],
                         bool(row["has_video"]), row["size_bytes"], row["duration_s"],
                         row["original_filename"])

    def redactions(self, story_id: int, viewer: Viewer) -> list[tuple[float, float]]:
        """The time ranges taken out of the story, in order."""
        self.story(story_id, viewer)
        return [tuple(r) for r in self.conn.execute(
            "SELECT start, end FROM redactions WHERE story_id = ? ORDER BY start", (story_id,))]

    def media_in_use(self, relative: str) -> bool:
        """Whether any story's media row names this file of the media store."""
        return self.conn.execute("SELECT EXISTS (SELECT 1 FROM media WHERE path = ?)", (relative,)).fetchone()[0] == 1

    def awaiting_review(self, viewer: Viewer) -> list[Story]:
        """Stories from the public, of the communities ``viewer`` moderates, that no
        moderator has yet published or declined."""
        where, params = moderated_condition(viewer)
        rows = self.conn.execute(
            f"SELECT * FROM stories st WHERE st.requested_visibility IS NOT NULL AND {where} ORDER BY st.id",
            params)
        return [_story(r) for r in rows]

    def review(self, story_id: int, publish: bool, viewer: Viewer) -> Story:
        """Publish a story waiting for review with the visibility its teller asked for,
        or decline it: a published story asked for everyone keeps the audience it had,
        any other then stays with its moderators. Only its moderators may."""
        where, params = moderated_condition(viewer)
        with self.transaction() as c:
            row = c.execute(f"SELECT * FROM stories st WHERE st.id = ? AND st.requested_visibility IS NOT NULL "
                            f"AND {where}", (story_id, *params)).fetchone()
            if row is None:
                raise NotFound(said("story {story} is not waiting for your review: `storyatlas review` lists those "
                                    "that are", story=story_id))
            c.execute("""UPDATE stories SET visibility = CASE WHEN ? THEN requested_visibility ELSE visibility END,
                         declined = CASE WHEN ? THEN 0 WHEN visibility <> 'private' AND requested_visibility = 'public'
                                         THEN declined ELSE 1 END,
                         requested_visibility = NULL,
                         review_state = CASE WHEN ? THEN 'published' ELSE review_state END WHERE id = ?""",
                      (int(publish), int(publish), int(publish), story_id))
            asked = named("visibility", row["requested_visibility"])
            audit.record(c, viewer, "publish" if publish else "decline", story_id,
                         said("visibility {visibility}", visibility=asked) if publish else None)
        return self.story(story_id, viewer)

    # transcripts -----------------------------------------------------------

    def save_transcription(
        self,
        story_id: int,
        transcript: Transcript,
        translation: Transcript | None,
        english: Sequence[str | None],
    ) -> None:
        """Replace the story's transcripts and segments in one transaction.

        ``english[i]`` is the English text aligned to ``transcript.segments[i]``. Each
        segment keeps its own language (the transcript's when it has none) and whether
        the model was unsure there; the story keeps its main language and every one
        spoken. Running it twice leaves the same rows as running it once, the segments
        under ids above any a segment was ever given (migration 0026).
        """
        languages = spoken_languages(transcript)
        with self.transaction() as c:
            corrected = c.execute("SELECT max(number) FROM revisions WHERE story_id = ?", (story_id,)).fetchone()[0]
            if corrected:
                raise Conflict(said("story {story} has been corrected by people (revision {revision}): the "
                                    "machine's new transcript was not stored over their work; correct it further "
                                    "instead", story=story_id, revision=corrected))
            # An editor loaded before names the old segments by id, and its edits start from revision 0
            # as one loaded now would: the new segments must not take those ids, which SQLite gives again
            # once the highest rows are deleted. Inserted while the old rows stand (moved out of the new
            # ones' places), they get higher ids, and an edit naming an old one finds no segment.
            c.execute("UPDATE segments SET idx = -1 - idx WHERE story_id = ?", (story_id,))
            transcript_id = self._insert_transcript(c, story_id, transcript)
            if transcript.segments:
                _hold_given_segment_ids(c, story_id, transcript_id)
            if translation is not None:
                self._insert_transcript(c, story_id, translation)
            else:
                c.execute("DELETE FROM transcripts WHERE story_id = ? AND task = 'translate'", (story_id,))
            ids = word_index.insert_segments(c, [
                (story_id, transcript_id, idx, seg.start, seg.end, seg.text, english[idx], seg.avg_logprob,
                 seg.no_speech_prob, seg.language or transcript.language, int(seg.low_confidence))
                for idx, seg in enumerate(transcript.segments)])
            c.execute("DELETE FROM segments WHERE story_id = ? AND idx < 0", (story_id,))  # words go by cascade
            c.executemany(
                "INSERT INTO words (segment_id, idx, start, end, word, probability) VALUES (?, ?, ?, ?, ?, ?)",
                [(ids[story_id, idx], i, w.start, w.end, w.word, w.probability)
                 for idx, seg in enumerate(transcript.segments) for i, w in enumerate(seg.words)],
            )
            c.execute(
                """UPDATE stories SET language = ?, languages = ?, language_probability = ?, duration_s = ?,
                   updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?""",
                (transcript.language, json.dumps(languages), transcript.language_probability,
                 transcript.duration_s, story_id),
            )

    @staticmethod
    def _insert_transcript(c: sqlite3.Connection, story_id: int, t: Transcript) -> int:
        # the story's row for the task, made anew in place: the old segments still refer to it
        return c.execute(
            """INSERT INTO transcripts (story_id, task, language, language_probability, model,
               options, versions, machine_translation) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (story_id, task) DO UPDATE SET language = excluded.language,
               language_probability = excluded.language_probability, model = excluded.model,
               options = excluded.options, versions = excluded.versions,
               machine_translation = excluded.machine_translation,
               created_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') RETURNING id""",
            (story_id, t.task, t.language, t.language_probability, t.model,
             json.dumps(t.options, sort_keys=True), json.dumps(t.versions, sort_keys=True),
             int(t.task == "translate")),
        ).fetchone()[0]

    def segments(self, story_id: int, viewer: Viewer, with_words: bool = False) -> list[Segment]:
        story = self.story(story_id, viewer)
        rows = self.conn.execute(
            """SELECT id, idx, start, end, text, text_en, language, low_confidence, speaker, text_en_stale
               FROM segments WHERE story_id = ? ORDER BY idx""",
            (story_id,),
        ).fetchall()
        words: dict[int, list[Word]] = {}
        if with_words:
            for w in self.conn.execute(
                """SELECT w.segment_id, w.start, w.end, w.word, w.probability FROM words w
                   JOIN segments s ON s.id = w.segment_id WHERE s.story_id = ?
                   ORDER BY w.segment_id, w.idx""", (story_id,),
            ):
                words.setdefault(w[0], []).append(Word(w[1], w[2], w[3], w[4]))
        # segments stored before languages were told apart per segment have none: the story's
        return [Segment(r["id"], r["idx"], r["start"], r["end"], r["text"], r["text_en"],
                        tuple(words.get(r["id"], ())), r["language"] or story.language, bool(r["low_confidence"]),
                        r["speaker"], bool(r["text_en_stale"]))
                for r in rows]

    def transcripts(self, story_id: int, viewer: Viewer) -> list[dict]:
        self.story(story_id, viewer)
        rows = self.conn.execute(
            "SELECT * FROM transcripts WHERE story_id = ? ORDER BY task", (story_id,)
        ).fetchall()
        return [dict(r) | {"options": json.loads(r["options"]), "versions": json.loads(r["versions"])}
                for r in rows]


def _hold_given_segment_ids(c: sqlite3.Connection, story_id: int, transcript_id: int) -> None:
    """Where the segments with the highest numbers ever given are gone (deleted by a transcript
    with no speech, an erasure, a restored backup lacking them), a row of the story under the
    highest, moved out of the way like its old ones, stands in for them while the new ones
    are inserted (SQLite gives the largest id in the table plus one), and goes with the old."""
    given, present = c.execute("SELECT (SELECT last FROM ids_given WHERE name = 'segments'), "
                               "(SELECT coalesce(max(id), 0) FROM segments)").fetchone()
    if given > present:
        c.execute("""INSERT INTO segments (id, story_id, transcript_id, idx, start, end, text)
                     VALUES (?, ?, ?, (SELECT coalesce(min(idx), 0) - 1 FROM segments WHERE story_id = ?), 0, 0, '')""",
                  (given, story_id, transcript_id, story_id))


def spoken_languages(transcript: Transcript) -> list[str]:
    """Every language spoken in ``transcript``, its main language (what ``stories.language``
    keeps) first, then the others as the transcript orders them (most spoken first)."""
    others = [*transcript.languages, *(s.language for s in transcript.segments if s.language)]
    return list(dict.fromkeys([transcript.language, *others]))


def token_hash(token: str) -> str:
    """What the archive keeps of a secret token: a stolen database gives no working link."""
    return hashlib.sha256(token.encode()).hexdigest()


def _story(row: sqlite3.Row) -> Story:
    return Story(
        id=row["id"], title=row["title"], collection=row["collection"],
        place=Place(row["community"], row["region"], row["country"]),
        recorded_on=row["recorded_on"], language_hint=row["language_hint"],
        language=row["language"], language_probability=row["language_probability"],
        storyteller=shown_storyteller(row["storyteller"], row["storyteller_naming"]),
        description=row["description"],
        visibility=row["visibility"], duration_s=row["duration_s"], created_at=row["created_at"],
        requested_visibility=row["requested_visibility"], embargo_until=row["embargo_until"],
        storyteller_naming=row["storyteller_naming"], exportable=bool(row["exportable"]),
        declined=bool(row["declined"]), languages=_languages(row), review_state=row["review_state"],
    )


def _languages(row: sqlite3.Row) -> tuple[str, ...]:
    # a story not yet transcribed knows at most its one language
    if row["languages"]:
        return tuple(json.loads(row["languages"]))
    return (row["language"],) if row["language"] else ()
