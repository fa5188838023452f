"""What the archival formats (OHMS, IIIF, Dublin Core) say about a story beyond its
transcript: its addresses, its media, its themes, its consent, gathered once through
the access policy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from storyatlas.archive import Archive, MediaFile, Story, Viewer, corrections, index_points, tags
from storyatlas.archive.records import IndexPoint
from storyatlas.errors import ConfigurationError, NotFound, said
from storyatlas.ingest.probe import picture_size
from storyatlas.ingest.store import MediaStore

# where `storyatlas serve` answers by default; the web passes the address it was asked on
DEFAULT_BASE_URL = "http://127.0.0.1:8000/"

# the original's type, by the extension the media store gave it (decided by probing)
_AUDIO_TYPES = {
    "ogg": "audio/ogg", "oga": "audio/ogg", "opus": "audio/ogg", "mp3": "audio/mpeg", "m4a": "audio/mp4",
    "aac": "audio/aac", "wav": "audio/wav", "w64": "audio/x-w64", "flac": "audio/flac", "amr": "audio/amr",
    "3gp": "audio/3gpp", "webm": "audio/webm", "mka": "audio/x-matroska", "wma": "audio/x-ms-wma",
    "aiff": "audio/aiff", "caf": "audio/x-caf",
}
_VIDEO_TYPES = {"mp4": "video/mp4", "mov": "video/quicktime", "mkv": "video/x-matroska", "webm": "video/webm",
                "3gp": "video/3gpp", "avi": "video/x-msvideo"}
_WHO_HEARS = {"public": "everyone", "community": "the members of its community",
              "researchers": "researchers", "private": "the archive's keepers"}


def base_url(url: str) -> str:
    """The archive's address, checked, ending in "/" so paths can follow it."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigurationError(said("{url!r} is not the archive's address: give one like {example}", url=url,
                                      example=DEFAULT_BASE_URL))
    return url.strip().rstrip("/") + "/"


@dataclass(frozen=True)
class Links:
    """Absolute addresses of a story's pages, files and exports (identifiers in archival
    formats must resolve outside this machine's command line)."""

    base: str

    def story(self, story_id: int) -> str:
        return f"{self.base}stories/{story_id}"

    def export(self, story_id: int, fmt: str) -> str:
        return f"{self.base}api/stories/{story_id}/export.{fmt}"

    def listen(self, story_id: int) -> str:
        return f"{self.base}media/{story_id}/listen.webm"

    def video(self, story_id: int) -> str:
        return f"{self.base}media/{story_id}/video"


@dataclass(frozen=True)
class Media:
    """The recording a viewer of the export can play, as the web archive serves it to them."""

    url: str
    kind: str
    """"Sound" or "Video" (IIIF's types)."""
    format: str
    duration_s: float | None
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class StoryFacts:
    story: Story
    links: Links
    media: Media | None
    """None when the story has no listening copy (nothing to play)."""
    original_format: str | None
    """The original recording's media type, for Dublin Core's format."""
    has_video: bool
    themes: tuple[str, ...]
    """Labels of the story's themes."""
    index: tuple[IndexPoint, ...] = ()
    """The story's index points, their themes' labels as ``subjects``."""
    speakers: Mapping[int, str] = field(default_factory=dict)
    """Segment id -> who speaks, as the correction workbench named them."""

    def rights(self) -> str:
        """What the storyteller consented to, in words: the rights statement of every format."""
        story = self.story
        who = _WHO_HEARS.get(story.visibility, story.visibility)
        if story.exportable:
            consent = f"The storyteller consented to this story being heard by {who} and to its export."
        else:
            consent = (f"The storyteller consented to this story being heard by {who}, and asked that it not "
                       "be exported or passed on: this copy is for the archive's own work.")
        return f"{consent} Ask the archive ({self.links.base}) before any other use."


def _media(archive: Archive, story_id: int, role: str, viewer: Viewer) -> MediaFile | None:
    try:
        return archive.media(story_id, role, viewer)
    except NotFound:
        return None


def video_type(path: str) -> str:
    """The media type the web archive serves an original video with (``/media/ID/video``,
    for the player): MP4 and QuickTime as MP4, any other (WebM, Matroska) as WebM."""
    return "video/mp4" if path.endswith((".mp4", ".m4a", ".mov")) else "video/webm"


def original_type(original: MediaFile) -> str:
    extension = original.path.rsplit(".", 1)[-1].lower()
    table = _VIDEO_TYPES if original.has_video else _AUDIO_TYPES
    return table.get(extension, "application/octet-stream")


def gather(archive: Archive, story: Story, viewer: Viewer, links: Links, media_dir: Path | None = None) -> StoryFacts:
    """The facts of ``story`` as ``viewer`` may see them.

    The video is offered where the story page offers it: to admins, or when nothing was
    redacted (the original still holds a redacted passage); otherwise the listening copy.
    ``media_dir`` lets a video's picture size be read (IIIF needs it); without it, or
    when it cannot be read, the listening copy stands in.
    """
    original = _media(archive, story.id, "original", viewer)
    listen = _media(archive, story.id, "listen", viewer)
    has_video = bool(original and original.has_video)
    media = None
    if listen is not None:
        media = Media(links.listen(story.id), "Sound", "audio/webm", listen.duration_s or story.duration_s)
    if has_video and media_dir is not None and (viewer.is_admin or not archive.redactions(story.id, viewer)):
        size = picture_size(MediaStore(media_dir).absolute(original.path))
        if size:
            media = Media(links.video(story.id), "Video", video_type(original.path),
                          original.duration_s or story.duration_s, *size)
    labels = {r["id"]: r["label"] for r in tags.theme_rows(archive)}
    themes = tuple(labels.get(t.theme_id, t.theme_id) for t in tags.story_themes(archive, story.id, viewer))
    index = tuple(replace(p, subjects=tuple(labels.get(t, t) for t in p.themes))
                  for p in index_points.points(archive, story.id, viewer))
    return StoryFacts(story, links, media, original_type(original) if original else None, has_video, themes,
                      index, corrections.speaker_names(archive, story.id, viewer))
