"""Each bad input gets a one-line reason naming the file, and the archive stays as it was."""

import os
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from storyatlas.archive import StoryMetadata, Viewer
from storyatlas.errors import MediaError
from storyatlas.ingest import ingest_file, ingest_paths
from storyatlas.ingest.audio import make_speech_wav
from tests.conftest import ffmpeg, story_file

KEEPER = Viewer.keeper()  # the archive's own tools (`storyatlas ingest`)


def _snapshot(archive, settings):
    tables = {t: archive.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("stories", "media", "jobs", "segments")}
    files = sorted(str(p.relative_to(settings.media_dir)) for p in settings.media_dir.rglob("*")
                   if p.is_file()) if settings.media_dir.exists() else []
    return tables, files


@pytest.fixture
def filled(archive, settings):
    """An archive that already holds one story, which a refusal must not touch."""
    ingest_file(archive, story_file("fr"), StoryMetadata(), settings, KEEPER)
    return _snapshot(archive, settings)


def _bad_inputs(tmp: Path, media_dir: Path) -> dict[str, tuple[Path, str]]:
    text = tmp / "notes.mp3"
    text.write_text("This is not a recording, just notes with a misleading name.\n" * 20)
    empty = tmp / "empty.m4a"
    empty.touch()
    image = tmp / "photo.png"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x64", "-frames:v", "1", str(image))
    mute_video = tmp / "mute.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x64:rate=5", "-t", "2", "-c:v", "libx264", str(mute_video))
    truncated = tmp / "truncated.m4a"
    # an m4a keeps its index at the end: cut there, nothing can be decoded
    truncated.write_bytes((media_dir / "story.m4a").read_bytes()[:3000])
    truncated_ogg = tmp / "truncated.ogg"
    truncated_ogg.write_bytes(story_file("en").read_bytes()[:200])
    folder = tmp / "a folder.wav"
    folder.mkdir()
    return {
        "not media": (text, "not a recording that can be read"),
        "empty": (empty, r"empty \(0 bytes\); copy it again from the device"),
        "image": (image, "an image, not a recording"),
        "video without sound": (mute_video, "video without sound"),
        "truncated m4a": (truncated, "not a recording that can be read|truncated or damaged"),
        "truncated ogg": (truncated_ogg, "not a recording that can be read|truncated or damaged"),
        "missing": (tmp / "nowhere.wav", "no such file"),
        "a folder": (folder, "not a regular file"),
    }


def test_each_bad_input_is_refused_and_changes_nothing(archive, settings, media_dir, tmp_path, filled):
    for name, (path, reason) in _bad_inputs(tmp_path, media_dir).items():
        with pytest.raises(MediaError, match=reason) as refused:
            ingest_file(archive, path, StoryMetadata(), settings, KEEPER)
        message = str(refused.value)
        assert message.startswith(str(path)) and "\n" not in message, name
        assert _snapshot(archive, settings) == filled, name


def test_a_batch_carries_on_past_refused_files(archive, settings, media_dir, tmp_path):
    bad = _bad_inputs(tmp_path, media_dir)
    paths = [bad["not media"][0], story_file("es"), bad["empty"][0], story_file("pl")]
    results = ingest_paths(archive, paths, StoryMetadata(), settings, KEEPER)

    assert [r.ok for r in results] == [False, True, False, True]
    assert archive.count_stories(KEEPER) == 2


def test_a_file_over_the_size_limit_is_refused_without_reading_it(archive, settings, tmp_path, filled):
    huge = tmp_path / "huge.mp4"
    with huge.open("wb") as f:  # sparse: 4.1 GB on paper, nothing on disk
        f.truncate(int(4.1 * 1024**3))
    with pytest.raises(MediaError, match="over the 4 GiB limit"):
        ingest_file(archive, huge, StoryMetadata(), settings, KEEPER)
    assert _snapshot(archive, settings) == filled


@pytest.mark.slow
def test_an_hour_of_silence_is_refused(archive, settings, tmp_path, filled):
    silence = tmp_path / "hour.ogg"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "3600", "-c:a", "libopus", str(silence))
    with pytest.raises(MediaError, match="silent .60 min"):
        ingest_file(archive, silence, StoryMetadata(), settings, KEEPER)
    assert _snapshot(archive, settings) == filled


def test_a_stream_longer_than_the_limit_is_refused_and_leaves_nothing(archive, settings, tmp_path):
    # a raw ADTS AAC stream does not state its length: PyAV estimates it from the bit rate
    aac = tmp_path / "long.aac"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=30", "-c:a", "aac", str(aac))
    with pytest.raises(MediaError, match="longer than the"):
        ingest_file(archive, aac, StoryMetadata(), replace(settings, max_duration_s=10), KEEPER)
    assert archive.count_stories(KEEPER) == 0
    assert not any(p.is_file() for p in settings.media_dir.rglob("*"))


def test_a_file_that_says_it_is_too_long_is_refused_before_decoding(archive, settings, tmp_path, monkeypatch):
    """Four hours sent where one is the limit: refused at once, not after decoding them."""
    import storyatlas.ingest

    monkeypatch.setattr(storyatlas.ingest, "make_speech_wav", lambda *args, **kwargs: pytest.fail("decoded"))
    aac = tmp_path / "long.aac"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=30", "-c:a", "aac", str(aac))
    with pytest.raises(MediaError, match="longer than the"):
        ingest_file(archive, aac, StoryMetadata(), replace(settings, max_duration_s=10), KEEPER)


def test_what_decodes_decides_the_length_whatever_the_container_claimed(tmp_path):
    """An estimate can be short (an unstated length, a header that lies): decoding is the
    last word, past the check of what the container says."""
    aac = tmp_path / "long.aac"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=30", "-c:a", "aac", str(aac))
    with pytest.raises(MediaError, match="longer than the"):
        make_speech_wav(aac, tmp_path / "speech.wav", 10, demuxer="aac")
    assert not (tmp_path / "speech.wav").exists()


def test_the_original_is_not_left_writable_or_changed_by_a_refusal(archive, settings, media_dir, tmp_path):
    source = tmp_path / "story.wav"
    source.write_bytes((media_dir / "story.wav").read_bytes())
    before = source.read_bytes()
    with pytest.raises(MediaError):
        ingest_file(archive, source, StoryMetadata(), replace(settings, max_duration_s=1), KEEPER)
    assert source.read_bytes() == before and os.access(source, os.W_OK)


def test_a_file_at_the_size_limit_is_taken_and_one_byte_more_is_not(archive, settings):
    size = story_file("en").stat().st_size
    with pytest.raises(MediaError, match="over the .* limit"):
        ingest_file(archive, story_file("en"), StoryMetadata(), replace(settings, max_file_bytes=size - 1), KEEPER)
    assert ingest_file(archive, story_file("en"), StoryMetadata(), replace(settings, max_file_bytes=size), KEEPER).ok


def test_a_story_that_fails_to_be_stored_leaves_the_files_another_story_shares(archive, settings, monkeypatch):
    # the keeper's private story; a teller who may not see it sends the same recording
    kept = ingest_file(archive, story_file("en"), StoryMetadata(visibility="private"), settings, KEEPER)
    files = [settings.media_dir / archive.media(kept.story_id, role, KEEPER).path
             for role in ("original", "speech", "listen")]

    def fails(*_, **__):
        raise sqlite3.OperationalError("disk I/O error")
    monkeypatch.setattr(archive, "create_story", fails)
    with pytest.raises(sqlite3.OperationalError):
        ingest_file(archive, story_file("en"), StoryMetadata(), settings, Viewer.anonymous())
    assert all(f.is_file() for f in files)


def test_a_disk_too_full_for_the_original_is_said_so_and_leaves_nothing(archive, settings, monkeypatch):
    import errno
    import shutil

    def full(source, target):
        Path(target).write_bytes(b"half")  # what was copied before the disk filled up
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(shutil, "copyfile", full)
    with pytest.raises(MediaError, match="the archive's disk is full"):
        ingest_file(archive, story_file("en"), StoryMetadata(), settings, KEEPER)
    assert [p for p in settings.media_dir.rglob("*") if p.is_file()] == []
    assert archive.conn.execute("SELECT count(*) FROM stories").fetchone()[0] == 0


def test_a_story_stopped_by_an_interrupt_as_it_is_stored_leaves_no_files(archive, settings, monkeypatch):
    def interrupted(*_, **__):
        raise KeyboardInterrupt  # Ctrl-C just as the story's rows are written
    monkeypatch.setattr(archive, "create_story", interrupted)
    with pytest.raises(KeyboardInterrupt):
        ingest_file(archive, story_file("en"), StoryMetadata(), settings, KEEPER)
    assert [p for p in settings.media_dir.rglob("*") if p.is_file()] == []


def test_a_story_of_unknown_length_is_said_to_be_no_copy_cut_short(archive):
    from storyatlas.archive import MediaFile
    from storyatlas.ingest import recording_notice

    original = MediaFile("original", "a" * 64, "originals/a.ogg", "ogg", "opus", False, 10, 60.0, "a.ogg")
    story, _ = archive.create_story(StoryMetadata(title="Old"), [original], None)  # from before lengths were kept
    assert recording_notice(archive, story, KEEPER) is None


def test_the_same_file_taken_in_twice_at_once_is_one_story(archive, settings, monkeypatch):
    # two volunteers send one workshop recording at the same moment: the second process
    # looked for it before the first had saved it, and made a second story of it
    from storyatlas import ingest

    path = story_file("en")
    inner: list = []

    def meanwhile(*args, **kwargs):
        if not inner:  # while this one makes its audio, another process takes the file in
            inner.append(None)
            inner[0] = ingest_file(archive, path, StoryMetadata(), settings, KEEPER)
        return make_speech_wav(*args, **kwargs)

    monkeypatch.setattr(ingest, "make_speech_wav", meanwhile)
    result = ingest_file(archive, path, StoryMetadata(), settings, KEEPER)
    assert result.duplicate and result.story_id == inner[0].story_id and result.job_id is None
    assert archive.conn.execute("SELECT count(*) FROM stories").fetchone()[0] == 1
    kept = [p for p in settings.media_dir.rglob("*")
            if p.is_file() and "tmp" not in p.relative_to(settings.media_dir).parts]
    assert len(kept) == 3  # the first one's original, speech and listening copy; nothing of the second
