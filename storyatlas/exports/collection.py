"""A whole collection exported: one file per story, as files in a folder or one zip."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from storyatlas.archive import Archive, Viewer
from storyatlas.archive.collections import exportable_stories
from storyatlas.errors import AccessDenied, NotFound, StoryAtlasError, reason, said
from storyatlas.exports import DEFAULT_BASE_URL, export, file_name


@dataclass(frozen=True)
class CollectionExport:
    name: str
    files: list[tuple[str, str]]
    """(file name, contents), one per story, in story order."""
    withheld: int
    """Stories the viewer may see that were left out because their tellers refused exports."""
    skipped: list[str]
    """Why other stories were left out (e.g. no English translation for ``--track en``)."""

    def zip(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
            for name, text in self.files:
                z.writestr(name, text.encode("utf-8"))
        return buffer.getvalue()

    def write(self, target: Path) -> Path:
        """Into ``target``: a .zip file, or a folder (made if needed) with one file per story."""
        if target.suffix.lower() == ".zip":
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(self.zip())
            return target
        target.mkdir(parents=True, exist_ok=True)
        for name, text in self.files:
            (target / name).write_text(text, encoding="utf-8")
        return target


def export_collection(archive: Archive, name: str, fmt: str, viewer: Viewer, track: str = "original", *,
                      base: str = DEFAULT_BASE_URL, media_dir: Path | None = None) -> CollectionExport:
    """Every story of collection ``name`` that ``viewer`` may see and whose teller allowed
    exports, each through the one export gate (NotFound when there is none)."""
    found = exportable_stories(archive, name, viewer)
    files, skipped = [], []
    for story in found.stories:
        try:
            text = export(archive, story.id, fmt, viewer, track, base=base, media_dir=media_dir)
        except (AccessDenied, NotFound):
            raise  # the collection's query and the export gate disagree: never hide that
        except StoryAtlasError as e:  # one story without what was asked must not sink the others
            skipped.append(reason(e))
            continue
        files.append((file_name(story.id, fmt, track), text))
    if not files:
        raise NotFound(said("no story of collection {name!r} could be exported as asked: {reasons}", name=name,
                            reasons=skipped))
    return CollectionExport(found.stories[0].collection or name, files, found.withheld, skipped)
