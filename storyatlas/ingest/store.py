"""The media store: originals kept byte for byte under their SHA-256, read-only,
and derivatives beside them. File names are always generated, never the uploader's.

Work in progress (uploads arriving, scratch folders, originals being copied in) lives
under ``media/tmp``, so that what a crashed process left behind is in one place and can
be removed at the next start (``claim_scratch``).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from storyatlas.archive import media_folder
from storyatlas.errors import MediaError, said

READ_ONLY = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
log = logging.getLogger(__name__)


class MediaStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def original_path(self, sha256: str, extension: str) -> str:
        return f"originals/{sha256[:2]}/{sha256}.{extension}"

    def speech_path(self, sha256: str) -> str:
        return f"derived/{sha256[:2]}/{sha256}/speech.wav"

    def listen_path(self, sha256: str) -> str:
        return f"derived/{sha256[:2]}/{sha256}/listen.webm"

    def absolute(self, relative: str) -> Path:
        return self.root / relative

    @contextlib.contextmanager
    def scratch(self) -> Iterator[str]:
        """A temporary folder on the same file system, so finished files can be renamed in.

        While it exists no other process's start removes it (it holds the scratch lease).
        """
        lease = ScratchLease(self.root)
        try:
            with tempfile.TemporaryDirectory(dir=self.root / "tmp") as tmp:
                yield tmp
        finally:
            lease.release()

    def locked(self) -> contextlib.AbstractContextManager[None]:
        """``storyatlas.archive.media_folder.lock`` on this store."""
        return media_folder.lock(self.root)

    def keep_original(self, source: Path, relative: str) -> None:
        """Copy ``source`` into the store (atomically) and make it read-only; an original
        already there (the same bytes) is kept as it is. Hold ``locked()`` until a row names it."""
        target = self.absolute(relative)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        lease = ScratchLease(self.root)
        try:
            partial = self.root / "tmp" / f"{secrets.token_hex(8)}.partial"
            try:
                shutil.copyfile(source, partial)
                os.chmod(partial, READ_ONLY)
                os.replace(partial, target)
            except OSError as e:
                if e.errno == errno.ENOSPC:  # said so, not as a crash
                    raise disk_full(source) from e
                raise
            finally:
                partial.unlink(missing_ok=True)
        finally:
            lease.release()

    def keep_derivative(self, made: Path, relative: str) -> None:
        target = self.absolute(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(made, target)

    def remove(self, relative: str) -> None:
        # a read-only original goes like any file: unlinking asks only its folder's permission
        self.absolute(relative).unlink(missing_ok=True)


def disk_full(source: Path) -> MediaError:
    """A recording not taken in because the archive's disk filled up as it was stored."""
    return MediaError(said("the archive's disk is full, so this recording's audio could not be made and nothing "
                           "of it was kept: send it again once the archive's keepers have made room"), str(source))


class ScratchLease:
    """A shared lock on ``media/tmp`` held while a process may have work in progress there.

    The first process to start when nobody holds it removes everything under ``media/tmp``
    (what a crash left: unfinished uploads, scratch folders, half-copied originals); a
    process starting while another one works leaves the folder alone.
    """

    def __init__(self, media_dir: Path, clean: bool = False) -> None:
        tmp = media_dir / "tmp"
        try:
            tmp.mkdir(parents=True, exist_ok=True)
            # the lock is on the folder itself, so that it leaves no file behind
            self._fd: int | None = os.open(tmp, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as e:  # a media folder that is a file, on a read-only disk, not this user's
            raise MediaError(said(
                "cannot use the media folder {path} ({detail}): move aside what is there, or check that this user "
                "may write there", path=str(media_dir), detail=e.strerror or str(e))) from None
        try:
            if clean:
                try:
                    fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    log.info("%s is in use by another process: leaving it as it is", tmp)
                else:
                    _remove_leftovers(media_dir)
            # from exclusive to shared, or wait while another process cleans up
            fcntl.flock(self._fd, fcntl.LOCK_SH)
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def claim_scratch(media_dir: Path) -> ScratchLease:
    """At a process's start: remove what crashed processes left under ``media/tmp`` (when no
    other process is at work there), and hold the lease until ``release()``."""
    return ScratchLease(media_dir, clean=True)


def clean_scratch(media_dir: Path) -> None:
    """``claim_scratch`` for a process that writes nothing there itself (the worker)."""
    claim_scratch(media_dir).release()


def _remove_leftovers(media_dir: Path) -> None:
    tmp = media_dir / "tmp"
    # files copied into the store by earlier versions were made beside their target
    leftovers = [*tmp.iterdir(), *media_dir.glob("originals/*/*.partial")]
    for path in leftovers:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    if leftovers:
        log.info("removed %d unfinished uploads and scratch files left in %s", len(leftovers), tmp)
