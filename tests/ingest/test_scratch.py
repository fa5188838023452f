"""What a crash leaves under media/tmp (unfinished uploads, scratch folders, half-copied
originals) is removed when the next process starts, unless another one is at work there."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storyatlas.archive import StoryMetadata, Viewer
from storyatlas.errors import MediaError
from storyatlas.ingest import ingest_file
from storyatlas.ingest.store import MediaStore, ScratchLease, claim_scratch, clean_scratch
from tests.conftest import story_file

ROOT = Path(__file__).resolve().parents[2]


def _leave_a_crash_behind(media: Path) -> list[Path]:
    """What the web server, an ingest and a copy into the store leave when killed mid-way."""
    uploads = media / "tmp" / "uploads"
    uploads.mkdir(parents=True)
    scratch = media / "tmp" / "tmpa1b2c3"
    scratch.mkdir()
    old_partial = media / "originals" / "ab" / ("ab" * 32 + ".ogg.4242.partial")
    old_partial.parent.mkdir(parents=True)
    left = [uploads / "Zq4xR2v9Tn8wLp3sYb6kHd1m.part", uploads / "Zq4xR2v9Tn8wLp3sYb6kHd1m.client",
            uploads / ("f" * 32 + ".part"), scratch / "speech.wav", scratch / "listen.webm",
            media / "tmp" / "0123456789abcdef.partial", old_partial]
    for path in left:
        path.write_bytes(b"\0" * 1000)
    os.chmod(old_partial, 0o444)
    return left


def _remaining(media: Path) -> list[Path]:
    return sorted(p for p in media.rglob("*") if p.is_file())


def test_a_start_removes_what_a_crash_left(tmp_path):
    media = tmp_path / "media"
    kept = media / "originals" / "cd" / ("cd" * 32 + ".ogg")
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"a story")
    _leave_a_crash_behind(media)

    lease = claim_scratch(media)
    assert _remaining(media) == [kept]
    assert (media / "tmp").is_dir()
    lease.release()


def test_a_link_left_under_tmp_goes_and_what_it_names_stays(tmp_path):
    """A link to a folder elsewhere (the archive's own media, say) is removed as a link,
    never followed."""
    media, elsewhere = tmp_path / "media", tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "story.ogg").write_bytes(b"a story")
    (media / "tmp").mkdir(parents=True)
    (media / "tmp" / "link").symlink_to(elsewhere, target_is_directory=True)
    clean_scratch(media)
    assert list((media / "tmp").iterdir()) == [] and (elsewhere / "story.ogg").read_bytes() == b"a story"


def test_a_copy_into_the_store_cut_short_leaves_no_part_behind(tmp_path, monkeypatch):
    """The disk filling up mid-copy: said so, and neither a half original nor its part
    file stays."""
    import shutil

    def fill_the_disk(source, target):
        Path(target).write_bytes(b"half")
        raise OSError(28, "No space left on device")

    store = MediaStore(tmp_path / "media")
    monkeypatch.setattr(shutil, "copyfile", fill_the_disk)
    with pytest.raises(MediaError, match="the archive's disk is full"):
        store.keep_original(story_file("en"), store.original_path("ab" * 32, "ogg"))
    assert _remaining(store.root) == []


def test_an_original_being_copied_in_survives_another_processs_start(tmp_path, monkeypatch):
    import shutil

    store = MediaStore(tmp_path / "media")
    copy = shutil.copyfile

    def another_start_meanwhile(source, target):
        copy(source, target)
        clean_scratch(store.root)  # the worker starting while the web server copies an upload in

    monkeypatch.setattr(shutil, "copyfile", another_start_meanwhile)
    relative = store.original_path("ab" * 32, "ogg")
    store.keep_original(story_file("en"), relative)
    assert store.absolute(relative).read_bytes() == story_file("en").read_bytes()


def test_an_original_already_kept_is_not_copied_again(tmp_path):
    """The same recording sent twice: the file the first story names stays as it is."""
    store = MediaStore(tmp_path / "media")
    relative = store.original_path("ab" * 32, "ogg")
    store.keep_original(story_file("en"), relative)
    kept = os.stat(store.absolute(relative))
    store.keep_original(story_file("en"), relative)
    again = os.stat(store.absolute(relative))
    assert (again.st_ino, again.st_mtime_ns) == (kept.st_ino, kept.st_mtime_ns)
    assert again.st_mode & 0o222 == 0  # and read-only


def test_a_derivative_is_moved_into_the_store_and_a_removed_file_is_gone(tmp_path):
    store = MediaStore(tmp_path / "media")
    with store.scratch() as tmp:
        made = Path(tmp) / "listen.webm"
        made.write_bytes(b"an hour of listening copy")
        store.keep_derivative(made, store.listen_path("ab" * 32))
        assert not made.exists()  # moved, not written twice
    original = store.original_path("ab" * 32, "ogg")
    store.keep_original(story_file("en"), original)
    for relative in (store.listen_path("ab" * 32), original):
        store.remove(relative)
        store.remove(relative)  # and again: an erasure run twice, a copy never made
    assert _remaining(store.root) == []


def test_a_clean_up_that_fails_keeps_no_other_process_waiting(tmp_path, monkeypatch):
    """The folder locked while a start cleans it is unlocked when the cleaning fails, so the
    next process's lease is not kept waiting for ever."""
    import fcntl

    from storyatlas.ingest import store

    def refused(media_dir):
        raise PermissionError(13, "Permission denied", str(media_dir / "tmp" / "uploads"))

    media = tmp_path / "media"
    monkeypatch.setattr(store, "_remove_leftovers", refused)
    with pytest.raises(PermissionError):
        claim_scratch(media)
    fd = os.open(media / "tmp", os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)  # BlockingIOError while the lock is held
    finally:
        os.close(fd)


def test_a_start_leaves_the_work_of_a_running_process_alone(tmp_path):
    media = tmp_path / "media"
    left = _leave_a_crash_behind(media)
    running = ScratchLease(media)  # another process at work (a lease on its own descriptor)
    clean_scratch(media)
    assert _remaining(media) == sorted(left)
    running.release()
    clean_scratch(media)
    assert _remaining(media) == []


def test_an_ingest_keeps_nothing_under_tmp(archive, settings):
    ingest_file(archive, story_file("en"), StoryMetadata(), settings, Viewer.keeper())
    assert [p for p in (settings.media_dir / "tmp").rglob("*")] == []
    assert not list(settings.media_dir.rglob("*.partial"))


def test_a_scratch_folder_in_use_survives_another_start(tmp_path):
    store = MediaStore(tmp_path / "media")
    with store.scratch() as tmp:
        assert Path(tmp).parent == store.root / "tmp"  # where the next start looks for what a crash left
        (Path(tmp) / "speech.wav").write_bytes(b"half made")
        clean_scratch(store.root)
        assert (Path(tmp) / "speech.wav").exists()
    clean_scratch(store.root)
    assert list((store.root / "tmp").iterdir()) == []


def test_the_worker_cleans_up_when_it_starts(settings):
    left = _leave_a_crash_behind(settings.media_dir)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    worker = subprocess.Popen([sys.executable, "-m", "storyatlas", "worker", "--archive", str(settings.archive)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        deadline = time.monotonic() + 60
        while any(p.exists() for p in left) and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.2)
        assert not any(p.exists() for p in left), worker.stderr.read().decode() if worker.poll() is not None else ""
    finally:
        worker.terminate()
        worker.wait(timeout=30)
