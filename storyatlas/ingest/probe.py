"""What is this file? Probing through PyAV: the one place PyAV errors are translated.

Uploads are hostile input. FFmpeg can read much more than recordings: playlists and
streaming manifests (HLS, DASH) and concat lists make it open other files or addresses,
image2 reads numbered sequences of files. An uploaded ffconcat list once made the archive
read another person's unfinished upload into a new story. So a file is opened only through
the ``file`` protocol and only with one of the demuxers below, each of which reads the one
file it is given; any other kind is refused before its demuxer reads a byte.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import av

from storyatlas.errors import MediaError, Said, said

log = logging.getLogger(__name__)

# the containers that recorders, phones, cameras and audio editors write
MEDIA_DEMUXERS = frozenset({
    "mov", "matroska", "ogg", "mp3", "wav", "w64", "flac", "aac", "loas", "amr", "amrnb",
    "amrwb", "asf", "aiff", "caf", "avi", "flv", "mpegts", "mpeg", "wv", "ape", "au", "ac3",
    "eac3", "tta", "mpc", "mpc8",
})
# single pictures, opened only to tell the person that a photo is not a recording;
# never a sequence (image2), and not svg, whose decoder may load what it references
_PICTURE_DEMUXERS = frozenset({"png_pipe", "jpeg_pipe", "bmp_pipe", "gif_pipe", "webp_pipe", "tiff_pipe"})
OPEN_OPTIONS = {
    "protocol_whitelist": "file",
    "format_whitelist": ",".join(sorted(MEDIA_DEMUXERS | _PICTURE_DEMUXERS)),
}
# below telephone quality nothing is a real recording, and a header declaring 8 Hz turned
# 224 KB into hours of audio; above this no recorder writes
MIN_SAMPLE_RATE = 4_000
MAX_SAMPLE_RATE = 768_000

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
    demuxer: str = ""
    """The FFmpeg demuxer that read it (one of MEDIA_DEMUXERS): decoding must use the same."""


def file_url(path: Path) -> str:
    """``path`` as a URL of FFmpeg's file protocol, so no part of a name is read as another protocol."""
    return "file:" + str(Path(path).resolve())


def _extension(path: Path, container: av.container.InputContainer, has_video: bool) -> str:
    name = container.format.name
    if name == "matroska,webm":
        # FFmpeg reads both alike and names neither: the EBML header's DocType, in the
        # file's first bytes, says which (FFmpeg's metadata has no DOCTYPE: every
        # Matroska file was kept as .webm)
        with path.open("rb") as f:
            return "mkv" if b"matroska" in f.read(64) else "webm"
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
    """Open the file with an allowed FFmpeg demuxer and describe its first audio stream.

    Raises MediaError when the file is not an audio or video recording (a playlist, a
    list of other files, a manifest, subtitles, a picture...), has no audio, or declares
    an impossible sample rate.
    """
    path = Path(path)
    try:
        with av.open(file_url(path), container_options=OPEN_OPTIONS, metadata_errors="ignore") as container:
            return _describe(path, container)
    except MediaError:
        raise
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as e:
        log.debug("probe failed for %s: %s", path, e)
        kind = _what_else(path)
        if kind:
            raise MediaError(
                said("not a recording: this is {kind}; the archive reads only audio and video files "
                     "themselves, never files or addresses named in another file: send the recording", kind=kind),
                str(path)) from e
        raise MediaError(
            said("not a recording that can be read (not audio or video, or damaged beyond repair); "
                 "check that it is the file you meant"), str(path)
        ) from e


def picture_size(path: Path) -> tuple[int, int] | None:
    """Width and height of a stored recording's picture, or None for sound alone (or
    when it cannot be read). For descriptions of a video (IIIF), not for taking files in:
    it opens only files the archive already probed, through the same allowed demuxers."""
    try:
        with av.open(file_url(Path(path)), container_options=OPEN_OPTIONS, metadata_errors="ignore") as container:
            for stream in container.streams.video:
                if not _is_cover_art(stream) and stream.codec_context.width and stream.codec_context.height:
                    return stream.codec_context.width, stream.codec_context.height
    except (av.error.FFmpegError, OSError, ValueError) as e:
        log.debug("no picture size for %s: %s", path, e)
    return None


def _describe(path: Path, container: av.container.InputContainer) -> MediaInfo:
    demuxer = container.format.name.split(",")[0]
    audio = container.streams.audio
    has_video = any(s.codec_context.type == "video" and not _is_cover_art(s)
                    for s in container.streams.video)
    if demuxer not in MEDIA_DEMUXERS:
        raise MediaError(said("this is an image, not a recording; there is nothing to transcribe"), str(path))
    if not audio:
        raise MediaError(said("this is a video without sound; there is nothing to transcribe") if has_video
                         else said("this is media without an audio stream; there is nothing to transcribe"),
                         str(path))
    stream = audio[0]
    rate = stream.codec_context.sample_rate or 0
    if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise MediaError(
            said("the recording declares {rate:,} samples a second, outside the {low:,} to "
                 "{high:,} of real recordings; the file is damaged or not a real recording: "
                 "export it again from the recorder or phone", rate=rate, low=MIN_SAMPLE_RATE,
                 high=MAX_SAMPLE_RATE), str(path))
    duration = None
    if container.duration:
        duration = container.duration / av.time_base
    elif stream.duration and stream.time_base:
        duration = float(stream.duration * stream.time_base)
    if duration is not None and duration <= 0:
        duration = None
    return MediaInfo(
        container=container.format.name,
        extension=_extension(path, container, has_video),
        audio_codec=stream.codec_context.name,
        has_video=has_video,
        duration_s=duration,
        sample_rate=rate,
        channels=stream.codec_context.channels or 0,
        demuxer=demuxer,
    )


_SRT = re.compile(rb"^\d+\s*\r?\n\d\d:\d\d:\d\d[,.]\d{3} -->")


def _what_else(path: Path) -> Said | None:
    """Names the kinds of text file FFmpeg could follow elsewhere, for the refusal's message.

    Only a message: the demuxer allow-list, not this, is what keeps them out.
    """
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError:
        return None
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"#EXTM3U") or b"#EXT-X-" in text or path.suffix.lower() in (".m3u", ".m3u8"):
        return said("a playlist (M3U or HLS)")
    if text.startswith(b"ffconcat"):
        return said("a list of other files (ffconcat)")
    if b"<MPD" in text:
        return said("a streaming manifest (DASH)")
    if text.startswith((b"WEBVTT", b"[Script Info]")) or _SRT.match(text):
        return said("a subtitles file")
    return None


def _is_cover_art(stream: av.stream.Stream) -> bool:
    # an mp3 or m4a with an album picture shows it as a one-frame "video" stream
    return bool(stream.disposition & av.stream.Disposition.attached_pic)
