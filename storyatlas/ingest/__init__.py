"""Taking recordings in: probe, refuse bad input early, keep the original, make the speech WAV,
and create the story with its processing job."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from storyatlas.archive import Archive, MediaFile, StoryMetadata, Viewer
from storyatlas.archive.media_folder import sha256_file
from storyatlas.archive.records import LINE_MAX
from storyatlas.errors import MediaError, Said, said
from storyatlas.ingest.audio import check_duration, make_speech_wav, shortfall
from storyatlas.ingest.probe import probe
from storyatlas.ingest.store import MediaStore
from storyatlas.settings import Settings
from storyatlas.text import one_line

log = logging.getLogger(__name__)

# what the folder walk picks up; anything else in a folder is skipped quietly
MEDIA_SUFFIXES = {
    ".m4a", ".aac", ".mp3", ".ogg", ".oga", ".opus", ".webm", ".amr", ".3gp", ".3g2",
    ".wav", ".flac", ".mp4", ".m4v", ".mov", ".mkv", ".wma", ".aif", ".aiff", ".caf",
}


@dataclass(frozen=True)
class IngestResult:
    """What became of one file."""

    path: Path
    story_id: int | None = None
    job_id: int | None = None
    duplicate: bool = False
    error: str | None = None
    teller_token: str | None = None
    """The storyteller's private link token: shown once, never stored (only its hash)."""
    notice: Said | None = None
    """Taken in, but the sender should know something: less decoded than the file says it holds."""

    @property
    def ok(self) -> bool:
        return self.error is None


def find_media(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named directly, and media files found (recursively, in name order) in folders."""
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    p = Path(root) / name
                    if p.suffix.lower() in MEDIA_SUFFIXES and not name.startswith("."):
                        yield p
        else:
            yield path


def ingest_file(archive: Archive, path: Path, meta: StoryMetadata, settings: Settings, viewer: Viewer,
                original_name: str | None = None) -> IngestResult:
    """Take one recording in. Raises MediaError, leaving the archive unchanged, when it is refused.

    ``viewer`` is who sends it: a file already in the archive is recognised only when
    they may see the story made of it; otherwise it becomes a story of its own, so the
    answer reveals nothing of a story they may not see. ``original_name`` is the name
    the uploader gave the file, kept as data (an upload arrives under a generated
    name); it is never used as a path.
    """
    path = Path(path)
    # a name in bytes that are not UTF-8 (a file system's, Python's surrogate escapes)
    # cannot be stored as text: its bytes are shown as U+FFFD, as a browser would show them;
    # it is the sender's, printed on the keepers' terminals as a typed title is: cleaned as one
    original_name = one_line((original_name or path.name).encode("utf-8", "surrogateescape")
                             .decode("utf-8", "replace"))[:LINE_MAX]
    if not path.exists():
        raise MediaError(said("no such file"), str(path))
    if not path.is_file():
        raise MediaError(said("not a regular file"), str(path))
    size = path.stat().st_size
    if size == 0:
        raise MediaError(said("the file is empty (0 bytes); copy it again from the device"), str(path))
    if size > settings.max_file_bytes:
        raise MediaError(
            said("the file is {size:.1f} GiB, over the {limit:g} GiB "
                 "limit; split it or raise STORYATLAS_MAX_FILE_BYTES",
                 size=size / 1024**3, limit=settings.max_file_bytes / 1024**3), str(path),
        )
    sha = sha256_file(path)
    existing = archive.story_for_original(sha, viewer)
    if existing is not None:
        return IngestResult(path, story_id=existing, job_id=None, duplicate=True)

    info = probe(path)
    check_duration(path, info.duration_s, settings.max_duration_s)
    store = MediaStore(settings.media_dir)
    original = store.original_path(sha, info.extension)
    speech = store.speech_path(sha)
    listen = store.listen_path(sha)
    if meta.title is None:
        meta = replace(meta, title=_title_from(original_name))
    token = secrets.token_urlsafe(24)
    with store.scratch() as tmp:
        listening = Path(tmp) / "listen.webm"
        audio = make_speech_wav(path, Path(tmp) / "speech.wav", settings.max_duration_s, listening,
                                demuxer=info.demuxer)
        media = [
            MediaFile("original", sha, original, info.container, info.audio_codec, info.has_video,
                      size, info.duration_s, original_name),
            MediaFile("speech", sha, speech, "wav", "pcm_s16le", False,
                      audio.path.stat().st_size, audio.duration_s, None),
            MediaFile("listen", sha, listen, "webm", "opus", False,
                      listening.stat().st_size, audio.duration_s, None),
        ]
        with store.locked():  # from putting the files in place until the story's rows name them
            existing = archive.story_for_original(sha, viewer)
            if existing is not None:  # taken in by another process while this one made its audio
                return IngestResult(path, story_id=existing, job_id=None, duplicate=True)
            store.keep_original(path, original)
            store.keep_derivative(audio.path, speech)
            store.keep_derivative(listening, listen)
            try:
                story_id, job_id = archive.create_story(meta, media, audio.duration_s, teller_token=token)
            except BaseException:
                # nothing refers to the files yet, unless another story shares the recording
                for relative in (original, speech, listen):
                    if not archive.media_in_use(relative):
                        store.remove(relative)
                raise
    log.info("ingested %s as story %d", path, story_id)
    notice = shortfall(info.duration_s, audio.duration_s, info.demuxer)
    if notice:
        log.warning("%s: %s", path, notice)
    return IngestResult(path, story_id=story_id, job_id=job_id, teller_token=token, notice=notice)


def ingest_paths(
    archive: Archive,
    paths: Iterable[Path],
    meta: StoryMetadata,
    settings: Settings,
    viewer: Viewer,
    on_result: Callable[[IngestResult], None] | None = None,
) -> list[IngestResult]:
    """Ingest every file (folders recursively); a refused file is reported and the rest go on."""
    results = []
    for path in find_media(paths):
        try:
            result = ingest_file(archive, path, meta, settings, viewer)
        except MediaError as e:
            result = IngestResult(path, error=str(e))
        results.append(result)
        if on_result:
            on_result(result)
    return results


def recording_notice(archive: Archive, story_id: int, viewer: Viewer) -> Said | None:
    """What the sender was told when the story was taken in (a copy cut short), said
    again for those who look after it later: the teller's page, its moderators'. Made
    from what the archive keeps (the length the original states, the length that
    decoded), so stories taken in before it was said get it too."""
    story = archive.story(story_id, viewer)
    if story.duration_s is None:
        return None
    original = archive.media(story_id, "original", viewer)  # every story is made from one
    return shortfall(original.duration_s, story.duration_s, original.container.split(",")[0])


def _title_from(name: str) -> str:
    stem = Path(name.replace("\\", "/")).stem.replace("_", " ").replace("-", " ")
    return one_line(stem)[:LINE_MAX] or "Untitled story"
