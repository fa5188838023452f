"""What is this file? Probing through PyAV: the one place PyAV errors are translated."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import av

from storyatlas.errors import MediaError

log = logging.getLogger(__name__)

# container names as FFmpeg reports them -> the extension the store gives the original
_EXTENSIONS = {
    "mov,mp4,m4a,3gp,3g2,mj2": None,  # decided by the brand below
    "matroska,webm": None,
    "mp3": "mp3", "ogg": "ogg", "wav": "wav", "flac": "flac", "amr": "amr",
    "aac": "aac", "aiff": "aiff", "w64": "w64", "caf": "caf", "asf": "wma",
}


@dataclass(frozen=True)
class MediaInfo:
    """What probing found out about a recording."""

    container: str
    extension: str
    audio_codec: str
    has_video: bool
    duration_s: float | None
    """From the container; None when it does not say (e.g. a browser's webm recording)."""
    sample_rate: int
    channels: int


def _extension(container: av.container.InputContainer, has_video: bool) -> str:
    name = container.format.name
    if name == "matroska,webm":
        return "webm" if "webm" in (container.metadata.get("DOCTYPE", "") or "webm") else "mkv"
    if name.startswith("mov,mp4"):
        brand = (container.metadata.get("major_brand") or "").strip().lower()
        if brand.startswith("3g"):
            return "3gp"
        if brand == "qt":
            return "mov"
        return "mp4" if has_video else "m4a"
    ext = _EXTENSIONS.get(name)
    return ext or name.split(",")[0]


def probe(path: Path) -> MediaInfo:
    """Open the file with FFmpeg's demuxers and describe its first audio stream.

    Raises MediaError when the file is not media or has no audio.
    """
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            audio = container.streams.audio
            has_video = any(s.codec_context.type == "video" and not _is_cover_art(s)
                            for s in container.streams.video)
            if not audio:
                if container.format.name == "image2" or container.format.name.endswith("_pipe"):
                    what = "an image, not a recording"
                else:
                    what = "a video without sound" if has_video else "media without an audio stream"
                raise MediaError(f"this is {what}; there is nothing to transcribe", str(path))
            stream = audio[0]
            duration = None
            if container.duration:
                duration = container.duration / av.time_base
            elif stream.duration and stream.time_base:
                duration = float(stream.duration * stream.time_base)
            if duration is not None and duration <= 0:
                duration = None
            return MediaInfo(
                container=container.format.name,
                extension=_extension(container, has_video),
                audio_codec=stream.codec_context.name,
                has_video=has_video,
                duration_s=duration,
                sample_rate=stream.codec_context.sample_rate or 0,
                channels=stream.codec_context.channels or 0,
            )
    except MediaError:
        raise
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as e:
        log.debug("probe failed for %s: %s", path, e)
        raise MediaError(
            "not a recording that can be read (not audio or video, or damaged beyond repair); "
            "check that it is the file you meant", str(path)
        ) from e


def _is_cover_art(stream: av.stream.Stream) -> bool:
    # an mp3 or m4a with an album picture shows it as a one-frame "video" stream
    return bool(stream.disposition & av.stream.Disposition.attached_pic)
