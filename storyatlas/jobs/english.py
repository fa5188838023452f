"""Corrected segments get their English again (``transcribe.retranslate``): run by the
worker after corrections, before the themes are read again, and by `storyatlas retranslate`."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from storyatlas.archive import Archive, Viewer
from storyatlas.archive.english import set_english, stale_english, stories_with_stale_english
from storyatlas.ingest.store import MediaStore
from storyatlas.jobs.pipeline import WORKER
from storyatlas.settings import Settings
from storyatlas.transcribe.retranslate import english_lines

log = logging.getLogger(__name__)


def refresh_english(archive: Archive, settings: Settings, story_ids: Iterable[int] | None = None,
                    viewer: Viewer = WORKER) -> int:
    """Translate again the English that corrections left out of date, in ``story_ids``
    (every story the viewer may see, by default); returns how many lines were written."""
    written = 0
    for story_id in (list(story_ids) if story_ids is not None else stories_with_stale_english(archive, viewer)):
        lines = stale_english(archive, story_id, viewer)
        if not lines:
            continue
        speech = MediaStore(settings.media_dir).absolute(archive.media(story_id, "speech", viewer).path)
        done = set_english(archive, story_id, english_lines(settings, speech, lines))
        log.info("story %d: %d of %d English lines made again", story_id, done, len(lines))
        written += done
    return written
