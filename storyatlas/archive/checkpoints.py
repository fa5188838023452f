"""Where a story's transcription checkpoint lives, beside the database.

A checkpoint (see ``transcribe/checkpoint.py``) holds the transcript found so far, so it
is part of the archive's record of a story: erasure and redaction remove it with the rest.
"""

from __future__ import annotations

from pathlib import Path


def checkpoint_path(archive_dir: Path, story_id: int) -> Path:
    """``<archive>/checkpoints/<story id>.json``."""
    return archive_dir / "checkpoints" / f"{int(story_id)}.json"


def discard_checkpoint(path: Path) -> None:
    """Remove the checkpoint and any half-written copy of it."""
    path.unlink(missing_ok=True)
    if path.parent.is_dir():
        for partial in path.parent.glob(f"{path.name}.*.partial"):
            partial.unlink(missing_ok=True)


def discard_story_checkpoint(database: Path, story_id: int) -> None:
    """Remove the checkpoint of ``story_id`` in the archive whose database is ``database``."""
    discard_checkpoint(checkpoint_path(database.parent, story_id))
