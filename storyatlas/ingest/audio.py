"""Derivatives made with the ffmpeg program: the 16 kHz mono WAV that speech models read.

ffmpeg is the one on PATH, else the binary shipped by imageio-ffmpeg, so a fresh
machine with pip alone can run it. It is run only on local files, with the demuxer
the probe allowed, and with a time limit (see ingest.probe for why).
"""

from __future__ import annotations

import functools
import logging
import re
import shutil
import struct
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from storyatlas.errors import MediaError, Said, said
from storyatlas.ingest.probe import MEDIA_DEMUXERS, OPEN_OPTIONS, file_url, probe
from storyatlas.ingest.store import disk_full
from storyatlas.text import clock

log = logging.getLogger(__name__)

SPEECH_RATE = 16_000
# Opus at 48 kbit/s, as the browser plays it. Compression level 5, not ffmpeg's 10: a
# 16-minute story took 7.4 s at 10 and 2.4 s at 5 on 2 cores (most of what ingest cost
# beyond the speech model), and at this rate speech sounds the same
LISTEN_CODEC = ("-c:a", "libopus", "-b:a", "48k", "-compression_level", "5")
# the listening copy in mono or stereo, whatever the source: FFmpeg guesses 2.1 and 4.0 for a
# field recorder's 3 and 4 tracks, which libopus refuses, and that stopped both outputs (the
# speech cut to a second, the listening copy empty); a browser plays two channels at most
LISTEN_LAYOUT = ("-af", "aformat=channel_layouts=mono|stereo")
# below this peak level (about -60 dBFS) a recording holds nothing a person could hear
SILENCE_PEAK = 32
MIN_DECODED_S = 0.2
# raw streams, whose length FFmpeg estimates from the bit rate (an ADTS AAC stream of 37 s
# said 18): a shorter decoding says nothing about them
ESTIMATED_LENGTH = frozenset({"aac", "ac3", "eac3", "amr", "amrnb", "amrwb", "loas"})
# FFmpeg's messages name the part that wrote them: "[dec:mp3float @ 0x55ee7c657e00] "
_FFMPEG_PART = re.compile(r"\[[^\]]*@ 0x[0-9a-f]+\]\s*")


@functools.cache
def ffmpeg_exe() -> str:
    """The ffmpeg program to run."""
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError) as e:
        raise MediaError(
            said("no ffmpeg found: install it (apt-get install ffmpeg) or `pip install imageio-ffmpeg`")
        ) from e


@dataclass(frozen=True)
class SpeechAudio:
    """The 16 kHz mono WAV made for the speech model, and what it holds."""

    path: Path
    duration_s: float
    peak: int


def ffmpeg_input(source: Path, demuxer: str) -> list[str]:
    """ffmpeg's options to read ``source`` and nothing else: the file protocol only, and the
    demuxer the probe found (``MediaInfo.demuxer``), so ffmpeg cannot pick a playlist's,
    a concat list's or a manifest's. Every ffmpeg run on a recording reads it this way."""
    if demuxer not in MEDIA_DEMUXERS:
        raise MediaError(said("{demuxer!r} is not an audio or video container the archive reads", demuxer=demuxer),
                         str(source))
    return ["-protocol_whitelist", "file", "-format_whitelist", OPEN_OPTIONS["format_whitelist"],
            "-f", demuxer, "-i", file_url(source)]


def decode_time_limit(max_duration_s: float) -> float:
    """Seconds ffmpeg may take to decode a recording of at most ``max_duration_s``.

    Decoding and encoding the listening copy run at 50-100 times real time on one core,
    so ten times that is room for a slow machine, yet stops a file built to keep ffmpeg busy.
    """
    return 60.0 + max_duration_s / 10


def make_speech_wav(source: Path, target: Path, max_duration_s: float,
                    listening_copy: Path | None = None, demuxer: str | None = None,
                    timeout_s: float | None = None) -> SpeechAudio:
    """Decode ``source`` into a 16 kHz mono 16-bit WAV at ``target`` (and, when asked,
    the browser's listening copy, Opus in WebM, in the same pass).

    ffmpeg reads only the file itself, through the demuxer the probe found (``demuxer``;
    probed here when not given), so a playlist or concat list cannot make it read
    anything else. Decodes at most a little more than ``max_duration_s``, so that a file
    whose container does not state its length cannot fill the disk, within
    ``timeout_s`` (default: decode_time_limit). Raises MediaError, leaving no output,
    when nothing decodes, when it is longer than allowed, when it is silent, or when
    decoding takes too long.
    """
    if demuxer is None:
        demuxer = probe(source).demuxer
    timeout_s = decode_time_limit(max_duration_s) if timeout_s is None else timeout_s
    limit = ["-map", "0:a:0", "-vn", "-sn", "-dn", "-t", f"{max_duration_s + 1:.3f}"]
    cmd = [
        ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *ffmpeg_input(source, demuxer),
        *limit, "-ac", "1", "-ar", str(SPEECH_RATE), "-c:a", "pcm_s16le", "-f", "wav", file_url(target),
    ]
    if listening_copy is not None:
        cmd += [*limit, *LISTEN_LAYOUT, *LISTEN_CODEC, "-f", "webm", file_url(listening_copy)]
    try:
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise MediaError(
                said("decoding took longer than {seconds:.0f} s, far more than a recording of at most "
                     "{hours:g} h needs; the file is damaged or made to keep the machine "
                     "busy: export it again from the recorder or phone",
                     seconds=timeout_s, hours=max_duration_s / 3600), str(source),
            ) from None
        return _check_decoded(source, target, max_duration_s, listening_copy, proc)
    except BaseException:
        for made in (target, listening_copy):
            if made is not None:
                made.unlink(missing_ok=True)
        raise


def _check_decoded(source: Path, target: Path, max_duration_s: float, listening_copy: Path | None,
                   proc: subprocess.CompletedProcess) -> SpeechAudio:
    if proc.returncode != 0 and "No space left on device" in proc.stderr:
        # what was written is cut short, and its length (a WAV header never finished) means nothing
        raise disk_full(source)
    decoded = _settle_wav(target) if target.exists() else 0.0
    if decoded < MIN_DECODED_S:
        detail = _FFMPEG_PART.sub("", proc.stderr.strip().splitlines()[-1]) if proc.stderr.strip() else ""
        if not detail:
            raise MediaError(said("no audio could be decoded; the file is truncated or damaged: "
                                  "copy it again from the recorder or phone"), str(source))
        raise MediaError(
            said("no audio could be decoded ({detail}); the file is truncated or damaged: "
                 "copy it again from the recorder or phone", detail=detail),
            str(source),
        )
    if proc.returncode != 0:
        # part of the audio decoded: keep it, but say so in the log
        log.warning("%s: decoding stopped early at %.1f s: %s", source, decoded, proc.stderr.strip()[-200:])
    if decoded > max_duration_s:
        raise MediaError(_too_long(max_duration_s), str(source))
    if listening_copy is not None and not _listening_copy_whole(listening_copy, decoded, proc.returncode):
        # a failing encoder stops FFmpeg, and with it the speech WAV: what decoded is not the recording
        log.warning("%s: the listening copy failed: %s", source, proc.stderr.strip()[-500:])
        raise MediaError(said("the listening copy could not be made: {detail}", detail=_first_line(proc.stderr)),
                         str(source))
    peak = _peak(target)
    if peak < SILENCE_PEAK:
        raise MediaError(
            said("the recording is silent ({minutes:.0f} min with no sound above -60 dBFS); "
                 "check the microphone or that the right file was chosen", minutes=decoded / 60), str(source),
        )
    return SpeechAudio(target, decoded, peak)


def _listening_copy_whole(path: Path, decoded_s: float, returncode: int) -> bool:
    """Whether the listening copy holds what the speech WAV holds. FFmpeg writes both from
    the one decoding, so where it stopped early because of the input they end together; one
    that stops short (or holds nothing) failed on its own. Looked into only when FFmpeg
    failed: a finished run wrote both whole."""
    if not path.exists():
        return False
    if returncode == 0:
        return True
    if path.stat().st_size == 0:
        return False
    return decoded_s - _opus_length(path) <= max(2.0, decoded_s / 20)


def _opus_length(path: Path) -> float:
    """Seconds of sound in a listening copy, from its packets (FFmpeg, stopped by a failure,
    may not have written the length into the header)."""
    import av

    end = 0.0
    try:
        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            for packet in container.demux(stream):
                if packet.pts is not None and packet.time_base is not None:
                    end = max(end, float((packet.pts + (packet.duration or 0)) * packet.time_base))
    except (av.error.FFmpegError, IndexError, OSError):
        pass  # what was read until then counts
    return end


def _first_line(stderr: str) -> str:
    """FFmpeg's first complaint (the cause; what follows is what it stopped because of), without
    the name of the part that said it."""
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return _FFMPEG_PART.sub("", lines[0]).strip()[:200] if lines else ""


def _too_long(limit_s: float) -> Said:
    return said(
        "longer than the {hours:g} h limit; split it into parts or raise "
        "the limit (--max-duration or STORYATLAS_MAX_DURATION_S)", hours=limit_s / 3600,
    )


def shortfall(stated_s: float | None, decoded_s: float, demuxer: str) -> Said | None:
    """What to tell the sender when less decoded than the container says it holds (a
    copy cut short, a card that filled up): the story keeps what decoded, but they
    should know. Two seconds and a twentieth are room for a video track outlasting the
    sound; raw streams' stated lengths are guesses, so they get no word."""
    if stated_s is None or demuxer in ESTIMATED_LENGTH or stated_s - decoded_s <= max(2.0, stated_s / 20):
        return None
    return said("the file says it lasts {stated}, but it could be decoded only up to {decoded}: it may "
                "be truncated or damaged. The story keeps what was decoded; if you have a complete copy, "
                "send that one instead", stated=clock(stated_s), decoded=clock(decoded_s))


def check_duration(source: Path, duration_s: float | None, max_duration_s: float) -> None:
    """Refuse early, before decoding, when the container says it is too long."""
    if duration_s is not None and duration_s > max_duration_s:
        raise MediaError(_too_long(max_duration_s), str(source))


def _settle_wav(path: Path) -> float:
    """Seconds of sound in the WAV ffmpeg wrote, counted from the samples it holds. FFmpeg
    writes the sizes into the header last; stopped before (the disk filled up), the header
    still says 4 GiB, which is 37 h of 16 kHz speech. The header is then made to say what
    is there, so every reader of the file counts the same."""
    try:
        with wave.open(str(path)) as w:
            stated, rate, frame_bytes = w.getnframes(), w.getframerate(), w.getsampwidth() * w.getnchannels()
    except (wave.Error, EOFError):
        return 0.0
    start = _data_start(path)
    if start is None:
        return 0.0
    present = min(stated, (path.stat().st_size - start) // frame_bytes)
    if present < stated:
        data_bytes = present * frame_bytes
        with open(path, "r+b") as f:
            f.seek(4)
            f.write(struct.pack("<I", start - 8 + data_bytes))
            f.seek(start - 4)
            f.write(struct.pack("<I", data_bytes))
    return present / rate


def _data_start(path: Path) -> int | None:
    """Where the samples of a RIFF WAV start (after its data chunk's id and size)."""
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:] != b"WAVE":
            return None
        while True:
            chunk = f.read(8)
            if len(chunk) < 8:
                return None
            size = struct.unpack("<I", chunk[4:])[0]
            if chunk[:4] == b"data":
                return f.tell()
            f.seek(size + (size & 1), 1)


def _peak(path: Path, block_frames: int = SPEECH_RATE * 60) -> int:
    peak = 0
    with wave.open(str(path)) as w:
        while True:
            frames = w.readframes(block_frames)
            if not frames:
                return peak
            block = np.frombuffer(frames, dtype="<i2")
            peak = max(peak, int(np.abs(block.astype(np.int32)).max()))
