"""Shared fixtures: real SQLite archives in temp folders, real ffmpeg, real Whisper models,
and speech made by espeak-ng (committed under tests/data, see make_speech.py)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from storyatlas.archive import Archive
from storyatlas.ingest.audio import ffmpeg_exe
from storyatlas.settings import DEFAULT_ALLOWED_HOSTS, Settings, _default_cache

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def model_cache() -> Path:
    # the joined base model is 145 MB: share the user's cache rather than join it per test
    import os

    return Path(os.environ.get("STORYATLAS_CACHE") or _default_cache(os.environ))


@pytest.fixture
def settings(tmp_path: Path, model_cache: Path) -> Settings:
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


def story_file(lang: str) -> Path:
    return DATA / f"story_{lang}.ogg"


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


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
