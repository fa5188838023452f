"""Shared fixtures: real SQLite archives in temp folders, real ffmpeg, real Whisper models,
and speech made by espeak-ng (committed under tests/data, see make_speech.py)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from storyatlas import stems
from storyatlas.archive import Archive, media_folder
from storyatlas.archive.db import _migrations, _statements
from storyatlas.ingest.audio import ffmpeg_exe
from storyatlas.settings import DEFAULT_ALLOWED_HOSTS, Settings, _default_cache

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def model_cache() -> Path:
    # the joined base model is 145 MB: share the user's cache rather than join it per test
    import os

    return Path(os.environ.get("STORYATLAS_CACHE") or _default_cache(os.environ))


@pytest.fixture(scope="session")
def known_words(model_cache: Path):
    """The words of the vocabulary's languages, made in the cache before any app reads it:
    an app made before them would start making them (50 s), and "did you mean" would
    change as they came."""
    from storyatlas.search import known_words

    return known_words.made(model_cache)


@pytest.fixture
def settings(tmp_path: Path, model_cache: Path, known_words) -> Settings:
    # Starlette's test client asks for the host "testserver"
    return Settings(archive=tmp_path / "archive", cache=model_cache, model="tiny.en",
                    allowed_hosts=(*DEFAULT_ALLOWED_HOSTS, "testserver"))


@pytest.fixture
def base_settings(settings: Settings) -> Settings:
    from dataclasses import replace

    return replace(settings, model="base")


@pytest.fixture
def archive(settings: Settings):
    with Archive(settings.database) as a:
        yield a


@pytest.fixture(scope="session")
def timings() -> dict[str, list[dict]]:
    return json.loads((DATA / "speech.json").read_text(encoding="utf-8"))


def rewind(conn: sqlite3.Connection, version: int) -> None:
    """An archive made now, marked as of schema ``version`` and, from 24 on, with what
    the later migrations add that cannot be added twice taken out again."""
    if version < 26:
        for statement in ("DROP TRIGGER ids_given_stories", "DROP TRIGGER ids_given_segments",
                          "DROP TRIGGER ids_given_index_points", "DROP TABLE ids_given"):
            conn.execute(statement)
    if version < 25:
        conn.execute("DROP TABLE scrubs_owed")
    if version < 24:  # the index points' folded words: their index as migration 0008 made it
        for statement in ("DROP TRIGGER index_points_ai", "DROP TRIGGER index_points_ad",
                          "DROP TRIGGER index_points_au", "DROP TABLE index_points_fts",
                          "ALTER TABLE index_points DROP COLUMN folded",
                          "ALTER TABLE index_points DROP COLUMN spelled"):
            conn.execute(statement)
        [made] = [sql for number, _, sql in _migrations() if number == 8]
        for statement in _statements(made):
            if "index_points_fts" in statement and not statement.startswith("CREATE INDEX"):
                conn.execute(statement)
        conn.execute("INSERT INTO index_points_fts(index_points_fts) VALUES ('rebuild')")
    conn.execute(f"PRAGMA user_version={version}")


def old_archive(path: Path, version: int, language: str, text: str,
                search_terms: Callable[[str | None, str | None], str] = stems.index_terms) -> None:
    """An archive file as schema ``version`` left it, holding story 1 (in ``language``)
    with one segment saying ``text``; ``search_terms``: the words index's terms as they
    were made then."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.create_function("search_terms", 2, search_terms)
    conn.create_function("search_surface", 1, stems.surface)
    conn.create_function("casefold", 1, lambda v: v.casefold() if isinstance(v, str) else v)
    for number, _, sql in _migrations():
        if number <= version:
            for statement in _statements(sql):
                conn.execute(statement)
    conn.execute(f"PRAGMA user_version={version}")
    conn.execute("INSERT INTO stories (id, title, language) VALUES (1, 'Old', ?)", (language,))
    conn.execute("INSERT INTO transcripts (id, story_id, task, language, model, options, versions) "
                 "VALUES (1, 1, 'transcribe', ?, 'hand', '{}', '{}')", (language,))
    conn.execute("INSERT INTO segments (story_id, transcript_id, idx, start, end, text) VALUES (1, 1, 0, 0.0, 2.0, ?)",
                 (text,))
    conn.close()


def story_file(lang: str) -> Path:
    return DATA / f"story_{lang}.ogg"


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def cut_short(folder: Path, suffix: str = "flac", *options: str) -> Path:
    """The English story padded to a minute, its copy cut off halfway: the header still
    says a minute, and the first part (the speech) decodes."""
    whole = folder / f"whole.{suffix}"
    ffmpeg("-i", str(story_file("en")), "-af", "apad=whole_dur=60", *options, str(whole))
    half = folder / f"half.{suffix}"
    half.write_bytes(whole.read_bytes()[:whole.stat().st_size // 2])
    return half


# how phones, recorders and cameras save a recording: suffix -> ffmpeg output options
FORMATS = {
    "m4a": ["-c:a", "aac", "-b:a", "64k"],
    "mp3": ["-c:a", "libmp3lame", "-b:a", "64k"],
    "ogg": ["-c:a", "libopus", "-b:a", "32k"],
    "opus": ["-c:a", "libopus", "-b:a", "32k"],
    "webm": ["-c:a", "libopus", "-b:a", "32k"],
    "amr": ["-ar", "8000", "-ac", "1", "-c:a", "libopencore_amrnb", "-b:a", "12.2k"],
    "3gp": ["-ar", "8000", "-ac", "1", "-c:a", "libopencore_amrnb", "-b:a", "12.2k"],
    "wav": ["-c:a", "pcm_s16le"],
    "flac": ["-c:a", "flac"],
}
VIDEO_FORMATS = {
    "mp4": ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"],
    "mov": ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"],
    "mkv": ["-c:v", "libvpx", "-deadline", "realtime", "-c:a", "libopus"],
}


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    """The English story in every format, made once per test session."""
    out = tmp_path_factory.mktemp("media")
    source = str(story_file("en"))
    for suffix, options in FORMATS.items():
        ffmpeg("-i", source, *options, str(out / f"story.{suffix}"))
    for suffix, options in VIDEO_FORMATS.items():
        # a video file made from generated speech: a small test pattern with the story as sound
        ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-i", source, "-shortest",
               *options, str(out / f"story.{suffix}"))
    return out


def index_match(*words: str) -> str:
    """An FTS5 query of the words index for any form of any of ``words`` (the index holds
    terms: "en_bread", "de_erst")."""
    from storyatlas.stems import query_forms

    return " OR ".join(f'"{form}"' for word in words for form in query_forms(word))


def add_story(archive: Archive, title: str, language: str, lines: list[tuple], timed: bool = False,
              **meta) -> int:
    """A story with a hand-written transcript (lines of start, end, text[, English[,
    language[, low confidence]]]; a line's language defaults to the story's), for tests
    of what comes after transcription; ``timed``: each line's words spread evenly over it."""
    import hashlib

    from storyatlas.archive import MediaFile, Place, StoryMetadata, Word
    from storyatlas.transcribe import Transcript, TranscriptSegment

    sha = hashlib.sha256(title.encode()).hexdigest()
    place = Place(meta.pop("community", None), meta.pop("region", None), meta.pop("country", None))
    story_id, job_id = archive.create_story(
        StoryMetadata(title=title, place=place, **meta),
        [MediaFile("original", sha, f"originals/{sha}.ogg", "ogg", "opus", False, 1, 10.0, "x.ogg")],
        lines[-1][1] if lines else 0.0,
    )
    def words(start: float, end: float, text: str) -> tuple[Word, ...]:
        said = text.split()
        step = (end - start) / len(said)
        return tuple(Word(start + i * step, start + (i + 1) * step, f" {w}") for i, w in enumerate(said))

    segments = tuple(TranscriptSegment(start, end, text, words(start, end, text) if timed else (),
                                       language=rest[1] if len(rest) > 1 else None,
                                       low_confidence=len(rest) > 2 and bool(rest[2]))
                     for start, end, text, *rest in lines)
    transcript = Transcript("transcribe", language, 0.99, lines[-1][1] if lines else 0.0, segments, "hand")
    english = [line[3] if len(line) > 3 else None for line in lines]
    archive.save_transcription(story_id, transcript, None, english)
    archive.finish_job(job_id, "done")
    return story_id


def give_recording(archive: Archive, media_dir: Path, story_id: int) -> str:
    """Put a real recording (the English test story) where ``add_story``'s original is
    said to be, for what reads it (redaction, speakers by channel); returns its path in
    the media store."""
    import shutil

    from storyatlas.archive import Viewer

    original = archive.media(story_id, "original", Viewer.keeper()).path
    (media_dir / original).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(story_file("en"), media_dir / original)
    return original


def wait_for(check, timeout: float, what: str, every_s: float = 0.2):
    """``check()``'s first true value, asked every ``every_s`` for at most ``timeout`` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every_s)
    pytest.fail(f"timed out waiting for {what}")


def saved_while_another_writes(database: Path, send: Callable[[], object], look: Callable[[], object]):
    """``send()``'s answer, asked in a thread while another process holds the archive's write
    lock; ``look()``, asked meanwhile through the same client (so the same event loop), must
    be answered while the change still waits. A change saved on the event loop held every
    other request up until it failed, after the connection's 30 s."""
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    answers: list = []
    saving = threading.Thread(target=lambda: answers.append(send()))
    saving.start()
    try:
        time.sleep(0.5)  # the change is waiting for the writer
        assert look().status_code == 200
        waited_alone = saving.is_alive()
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    saving.join()
    assert waited_alone, "the other request waited for the change, which waited for the other writer"
    return answers[0]


class Meanwhile:
    """Another process's work (an erasure, a redaction, an ingest) run in a thread while the
    test's own thread is in the middle of something: ``start`` returns once that work is
    done, or is waiting for the media store's lock that the test's thread holds."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.waiting = threading.Event()
        self.result: list = []
        lock = media_folder.lock

        def waiting_for_the_lock(media_dir: Path):
            if threading.current_thread() is not threading.main_thread():
                self.waiting.set()
            return lock(media_dir)

        monkeypatch.setattr(media_folder, "lock", waiting_for_the_lock)

    def start(self, work: Callable[[], object]) -> threading.Thread:
        thread = threading.Thread(target=lambda: self.result.append(work()))
        thread.start()
        deadline = time.monotonic() + 60
        while thread.is_alive() and not self.waiting.is_set() and time.monotonic() < deadline:
            time.sleep(0.01)
        return thread
