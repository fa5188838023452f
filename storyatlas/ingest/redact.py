"""Redaction, the media's side: the listening copy and the speech WAV made again from the
untouched original with every redacted range muted, streamed through ffmpeg's filters
(a long recording is never held in memory), then the archive changed to match
(``storyatlas.archive.redaction``)."""

from __future__ import annotations

import logging
import secrets
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

from storyatlas.archive import Archive, Viewer
from storyatlas.archive.erasure import scrub
from storyatlas.archive.redaction import Redaction, plan_redaction, record_redaction, still_there
from storyatlas.errors import MediaError, said
from storyatlas.ingest.audio import LISTEN_CODEC, SPEECH_RATE, decode_time_limit, ffmpeg_exe, ffmpeg_input
from storyatlas.ingest.probe import file_url, probe
from storyatlas.ingest.store import MediaStore

log = logging.getLogger(__name__)

# the volume filter decides per audio frame; frames this long (at 48 kHz) keep what
# is left audible at a range's edge below 10 ms
_FRAME_SAMPLES = 480
_RATE = 48_000
# Opus spreads a sound over its 20 ms frames and their overlap: speech cut at a range's
# edge was heard at -35 dBFS 20 ms inside it, so the silence reaches this far beyond
_CODEC_MARGIN_S = 0.03


def redact(archive: Archive, media_dir: Path, story_id: int, start: float, end: float, who: Viewer) -> Redaction:
    """Take the range ``start``..``end`` (seconds) out of the story: its transcript, English,
    search index and tags, and its published audio (silent there, as is the speech WAV a
    later transcription reads), recorded with an audit entry by ``who``, who must be one
    of the story's moderators (AccessDenied otherwise). The original recording is not touched.

    The new audio is made first and the archive changed in one transaction after, so a
    failure leaves the story as it was. Raises NotFound, AccessDenied, MediaError, StoryAtlasError.
    """
    archive.story_to_moderate(story_id, who)
    plan = plan_redaction(archive, story_id, start, end)
    store = MediaStore(media_dir)
    original = store.absolute(plan.original)
    if not original.is_file():
        raise MediaError(said("the original recording of story {story} is missing from the media store; "
                              "restore it from a backup, then redact again", story=story_id))
    # named after the story (a recording other stories share keeps its own unredacted
    # copies for them), the number of its ranges and this attempt: two moderators redacting
    # at once must not write each other's files, as the one refused would leave its copies
    # (without the other's range silenced) under the names the other one saved
    folder = Path(store.listen_path(plan.sha256)).parent.as_posix()
    stem = f"story{story_id}-r{len(plan.ranges)}-{secrets.token_hex(4)}"
    names = {"speech": f"{folder}/speech-{stem}.wav", "listen": f"{folder}/listen-{stem}.webm"}
    with store.scratch() as tmp:
        made = {"speech": Path(tmp) / "speech.wav", "listen": Path(tmp) / "listen.webm"}
        try:
            silenced_copies(original, plan.ranges, made["speech"], made["listen"], plan.duration_s)
        except MediaError:
            still_there(archive.conn, story_id)  # its original went with it
            raise
        for role, path in made.items():
            store.keep_derivative(path, names[role])
    try:
        done = record_redaction(
            archive, plan, {role: (relative, store.absolute(relative).stat().st_size)
                            for role, relative in names.items()}, who.label())
    except BaseException:
        _remove_unused(archive, store, names.values())
        raise
    _remove_unused(archive, store, plan.derived.values())
    scrub(archive)
    return done


def silence_filter(ranges: Sequence[tuple[float, float]]) -> str:
    """The ffmpeg audio filter that mutes ``ranges`` (seconds). A frame is muted when it
    overlaps a range at all, so nothing inside one stays audible."""
    before, after = _FRAME_SAMPLES / _RATE + _CODEC_MARGIN_S, _CODEC_MARGIN_S
    spans = "+".join(f"between(t,{max(0.0, start - before):.4f},{end + after:.4f})" for start, end in ranges)
    # times in the transcript count from the first decoded sample, whatever the container says
    chain = (f"asetpts=PTS-STARTPTS,aresample={_RATE},aformat=channel_layouts=mono,"
             f"asetnsamples=n={_FRAME_SAMPLES}:p=0")
    return f"{chain},volume=volume=0:enable='{spans}'" if ranges else chain


def silenced_copies(original: Path, ranges: Sequence[tuple[float, float]], speech: Path,
                    listen: Path, duration_s: float | None) -> None:
    """Write ``speech`` (16 kHz mono WAV) and ``listen`` (Opus in WebM, 48 kbit/s, mono)
    from ``original`` with ``ranges`` muted, in one ffmpeg pass. Raises MediaError."""
    audio = silence_filter(ranges)
    cmd = [
        ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
        *ffmpeg_input(original, probe(original).demuxer),
        "-map", "0:a:0", "-vn", "-sn", "-dn", "-af", audio,
        "-ar", str(SPEECH_RATE), "-c:a", "pcm_s16le", "-f", "wav", file_url(speech),
        "-map", "0:a:0", "-vn", "-sn", "-dn", "-af", audio,
        *LISTEN_CODEC, "-f", "webm", file_url(listen),
    ]
    timeout = decode_time_limit(duration_s or 4 * 3600)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise MediaError(said("silencing took longer than {seconds:.0f} s and was stopped; try again "
                              "when the machine is less busy", seconds=timeout), str(original)) from e
    if proc.returncode != 0 or not speech.exists() or not listen.exists():
        detail = proc.stderr.strip()[-300:]
        if not detail:
            raise MediaError(said("the redacted copies could not be made (ffmpeg exited with {code}); check that "
                                  "the original recording is intact", code=proc.returncode), str(original))
        raise MediaError(said("the redacted copies could not be made ({detail}); check that the "
                              "original recording is intact", detail=detail), str(original))


def _remove_unused(archive: Archive, store: MediaStore, paths: Iterable[str]) -> None:
    """Remove derived files no media row uses (the unredacted copies of a recording that
    another story shares stay, as that story's)."""
    with store.locked():  # the same recording may be sent again meanwhile, as a story of its own
        for relative in paths:
            if not archive.media_in_use(relative):
                store.remove(relative)
