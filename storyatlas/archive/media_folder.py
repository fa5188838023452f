"""The media folder as the archive shares it with whoever puts files there."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def lock(media_dir: Path) -> Iterator[None]:
    """Held, in any process, from putting a recording's files in place until the rows that
    name them are committed, and by whoever removes the files no row names (an erasure,
    a redaction, a refused ingest). Recordings are stored by their bytes' SHA-256: without
    it, the erasure of a story removed the original that the same recording, sent again
    at that moment as a story of its own, found already there and was about to name."""
    media_dir.mkdir(parents=True, exist_ok=True)
    # on the folder itself, as the scratch lease is, so that it leaves no file behind
    fd = os.open(media_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def sha256_file(path: Path) -> str:
    """The file's SHA-256, the name an original is stored under (and checked against)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
