"""The media store: originals kept byte for byte under their SHA-256, read-only,
and derivatives beside them. File names are always generated, never the uploader's."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
from pathlib import Path

READ_ONLY = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


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

    def scratch(self) -> tempfile.TemporaryDirectory:
        """A temporary folder on the same file system, so finished files can be renamed in."""
        tmp = self.root / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        return tempfile.TemporaryDirectory(dir=tmp)

    def keep_original(self, source: Path, relative: str) -> None:
        """Copy ``source`` into the store (atomically) and make it read-only."""
        target = self.absolute(relative)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + f".{os.getpid()}.partial")
        shutil.copyfile(source, partial)
        os.chmod(partial, READ_ONLY)
        os.replace(partial, target)

    def keep_derivative(self, made: Path, relative: str) -> None:
        target = self.absolute(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(made, target)

    def remove(self, relative: str) -> None:
        target = self.absolute(relative)
        if target.exists():
            os.chmod(target, READ_ONLY | stat.S_IWUSR)
            target.unlink()
