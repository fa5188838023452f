"""What the speech audio is made of: the first sound track, all of it, however quiet; and
what the sender is told when a file is damaged or holds less than it says."""

from __future__ import annotations

import struct
import subprocess
import wave
from pathlib import Path

import av
import numpy as np
import pytest

from storyatlas.archive import StoryMetadata, Viewer
from storyatlas.errors import MediaError
from storyatlas.ingest import ingest_file
from storyatlas.ingest.audio import (
    SPEECH_RATE,
    _check_decoded,
    _opus_length,
    decode_time_limit,
    make_speech_wav,
    shortfall,
)
from storyatlas.ingest.probe import probe
from storyatlas.text import clock
from tests.conftest import cut_short, ffmpeg, story_file

KEEPER = Viewer.keeper()


def _decode(path: Path, tmp_path: Path, listening: bool = False):
    copy = tmp_path / "listen.webm" if listening else None
    return make_speech_wav(path, tmp_path / "speech.wav", 3600, copy, demuxer=probe(path).demuxer)


def _samples(wav: Path) -> np.ndarray:
    with wave.open(str(wav)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


def test_a_quiet_recording_is_heard_not_called_silent(tmp_path):
    """A voice far from the phone: 50 dB below full scale is quiet, not silence."""
    quiet = tmp_path / "quiet.flac"
    ffmpeg("-i", str(story_file("en")), "-af", "volume=-50dB", str(quiet))
    assert 32 <= _decode(quiet, tmp_path).peak < 500


def test_sound_only_at_the_start_of_a_long_recording_is_heard(tmp_path):
    """The loudest moment counts wherever it is: here in the first of two minutes read."""
    recording = tmp_path / "then-nothing.flac"
    ffmpeg("-i", str(story_file("en")), "-af", "apad=whole_dur=75", str(recording))
    audio = _decode(recording, tmp_path)
    assert audio.duration_s == pytest.approx(75, abs=0.1) and audio.peak > 1000


def test_of_two_sound_tracks_the_first_is_heard_in_both_copies(tmp_path):
    """The voice on the first track (the one the probe read) and a silent stereo second
    one marked as the default: FFmpeg left alone takes that one."""
    two = tmp_path / "two-tracks.mkv"
    ffmpeg("-i", str(story_file("en")), "-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo", "-shortest",
           "-map", "0:a", "-map", "1:a", "-c:a", "libopus", "-disposition:a:0", "0", "-disposition:a:1", "default",
           str(two))
    audio = _decode(two, tmp_path, listening=True)
    assert audio.peak > 1000
    with av.open(str(tmp_path / "listen.webm")) as listen:
        assert len(listen.streams.audio) == 1 and listen.streams.audio[0].codec_context.channels == 1


@pytest.mark.slow
def test_a_videos_listening_copy_is_sound_alone(tmp_path, media_dir):
    _decode(media_dir / "story.mkv", tmp_path, listening=True)
    with av.open(str(tmp_path / "listen.webm")) as listen:
        assert not listen.streams.video and len(listen.streams.audio) == 1


def test_a_recording_whose_loudest_sound_is_the_lowest_sample_is_heard(tmp_path):
    """-32768 has no positive twin in 16 bits: its size is counted in wider numbers."""
    samples = np.zeros(SPEECH_RATE * 3, dtype="<i2")
    samples[SPEECH_RATE] = -32768
    click = tmp_path / "click.wav"
    with wave.open(str(click), "wb") as w:  # already as the speech model hears it: nothing resampled
        w.setparams((1, 2, SPEECH_RATE, 0, "NONE", "not compressed"))
        w.writeframes(samples.tobytes())
    assert _decode(click, tmp_path).peak == 32768


def test_what_ffmpeg_left_unmade_is_refused(tmp_path):
    """FFmpeg stopped before writing the speech WAV's header, or made the WAV but not the
    listening copy: each a refusal that says so, not a crash."""
    finished = subprocess.CompletedProcess([], 1, "", "Conversion failed!")
    empty = tmp_path / "speech.wav"
    empty.touch()
    with pytest.raises(MediaError, match=r"no audio could be decoded \(Conversion failed!\)"):
        _check_decoded(tmp_path / "x.flac", empty, 3600, None, finished)

    speech = _decode(story_file("en"), tmp_path).path
    with pytest.raises(MediaError, match="the listening copy could not be made: Conversion failed!"):
        _check_decoded(tmp_path / "x.flac", speech, 3600, tmp_path / "never-made.webm", finished)


@pytest.mark.parametrize("channels", [3, 4, 6])
def test_a_field_recorders_tracks_are_kept_whole_in_both_copies(tmp_path, channels):
    """A recorder's 3 or 4 tracks: FFmpeg takes them for 2.1 and 4.0, which libopus refused,
    and that stopped both outputs (1 s of speech kept, an empty listening copy). The
    listening copy is stereo at most, so every layout encodes."""
    poly = tmp_path / f"poly{channels}.wav"
    ffmpeg("-i", str(story_file("en")), "-ac", str(channels), "-c:a", "pcm_s16le", str(poly))
    stated = probe(poly).duration_s
    audio = _decode(poly, tmp_path, listening=True)
    assert audio.duration_s == pytest.approx(stated, abs=0.1) and audio.peak > 1000
    listen = tmp_path / "listen.webm"
    assert listen.stat().st_size > 0 and _opus_length(listen) == pytest.approx(stated, abs=0.2)
    with av.open(str(listen)) as opened:
        assert opened.streams.audio[0].codec_context.channels == 2


def _ffmpeg_failed(stderr: str) -> subprocess.CompletedProcess:
    return subprocess.CompletedProcess([], 1, "", stderr)


def test_a_listening_copy_that_failed_refuses_the_recording(tmp_path):
    """FFmpeg stopped by its encoder, not by the recording: what decoded is not the whole
    of it, so it is refused with FFmpeg's reason rather than kept as a short story."""
    speech = _decode(story_file("en"), tmp_path).path  # 17 s
    stopped = _ffmpeg_failed("[libopus @ 0x5631] Invalid channel layout 2.1 for specified mapping family -1.\n"
                             "[out#1/webm @ 0x5632] Nothing was written into output file\n")
    empty = tmp_path / "empty.webm"
    empty.touch()
    with pytest.raises(MediaError, match=r"the listening copy could not be made: Invalid channel layout 2\.1 for"):
        _check_decoded(tmp_path / "x.wav", speech, 3600, empty, stopped)
    short = tmp_path / "short.webm"
    ffmpeg("-i", str(story_file("en")), "-t", "3", "-c:a", "libopus", str(short))
    with pytest.raises(MediaError, match="the listening copy could not be made"):
        _check_decoded(tmp_path / "x.wav", speech, 3600, short, stopped)

    # the recording itself cut short: both copies end where decoding did, and are kept
    whole = tmp_path / "whole.webm"
    ffmpeg("-i", str(story_file("en")), "-c:a", "libopus", str(whole))
    damaged = _ffmpeg_failed("[mp3 @ 0x5631] Invalid data found when processing input\n")
    assert _check_decoded(tmp_path / "x.wav", speech, 3600, whole, damaged).duration_s > 17


def _unfinished(wav: Path, cut: int) -> None:
    """The WAV as FFmpeg leaves it when writing stops: its last ``cut`` bytes never written,
    and the sizes in its header never filled in."""
    data = bytearray(wav.read_bytes()[:-cut])
    data[4:8] = struct.pack("<I", 0xFFFFFFFF)
    start = data.index(b"data")
    data[start + 4:start + 8] = struct.pack("<I", 0xFFFFFFFF)
    wav.write_bytes(bytes(data))


def test_a_full_disk_is_said_so_not_taken_for_a_recording_over_the_limit(tmp_path):
    """The header of a WAV FFmpeg could not finish says 4 GiB (37 h of speech): the length
    is what the file holds, and a disk that filled up is named."""
    speech = _decode(story_file("en"), tmp_path).path
    _unfinished(speech, SPEECH_RATE * 2 * 5)  # its last 5 s
    full = _ffmpeg_failed("[out#0/wav @ 0x5631] Error writing trailer: No space left on device\n")
    with pytest.raises(MediaError, match=": the archive's disk is full, so this recording's audio could not be made"):
        _check_decoded(tmp_path / "x.ogg", speech, 4 * 3600, None, full)


def test_a_wav_ffmpeg_could_not_finish_counts_what_it_holds(tmp_path):
    speech = _decode(story_file("en"), tmp_path).path
    whole = _decode(story_file("en"), tmp_path).duration_s
    _unfinished(speech, SPEECH_RATE * 2 * 5)
    audio = _check_decoded(tmp_path / "x.ogg", speech, 4 * 3600, None, _ffmpeg_failed("Conversion failed!"))
    assert audio.duration_s == pytest.approx(whole - 5, abs=0.01)
    with wave.open(str(speech)) as w:  # the header says so, for every later reader
        assert w.getnframes() == round(audio.duration_s * SPEECH_RATE)


def test_a_tenth_of_a_second_is_too_little_to_keep(tmp_path):
    blip = tmp_path / "blip.flac"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=0.1", str(blip))
    with pytest.raises(MediaError, match="no audio could be decoded"):
        _decode(blip, tmp_path)
    assert not (tmp_path / "speech.wav").exists()


def test_a_damaged_file_is_refused_with_ffmpegs_reason_in_plain_words(tmp_path):
    whole = tmp_path / "whole.mp3"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=5", "-c:a", "libmp3lame", str(whole))
    damaged = tmp_path / "damaged.mp3"
    data = whole.read_bytes()
    damaged.write_bytes(data[:1000] + bytes(len(data) - 1000))  # the frames after the header lost
    with pytest.raises(MediaError, match=r"no audio could be decoded \(.*Invalid data") as refused:
        _decode(damaged, tmp_path)
    assert "@ 0x" not in str(refused.value) and "[" not in str(refused.value)

    flac = tmp_path / "whole.flac"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=5", str(flac))
    lost = tmp_path / "lost.flac"
    lost.write_bytes(flac.read_bytes()[:300] + bytes(flac.stat().st_size - 300))
    with pytest.raises(MediaError, match=r": no audio could be decoded; the file is truncated or damaged"):
        _decode(lost, tmp_path)  # FFmpeg says nothing: no empty reason in brackets


@pytest.mark.parametrize("suffix, options", [("webm", ["-c:a", "libopus"]), ("flac", []),
                                             ("mp3", ["-c:a", "libmp3lame"])])
def test_a_copy_cut_short_is_kept_and_the_sender_told(archive, settings, tmp_path, suffix, options):
    """A phone's upload or a copy cut off halfway: its header still says a minute. The
    story keeps the half that decodes, and the sender learns why it is short."""
    result = ingest_file(archive, cut_short(tmp_path, suffix, *options), StoryMetadata(), settings, KEEPER)
    kept = archive.story(result.story_id, KEEPER).duration_s
    assert 1 < kept < 45  # the speech, before the silence after it, compresses least
    assert result.notice.startswith(f"the file says it lasts 01:00, but it could be decoded only up to {clock(kept)}:")
    assert ingest_file(archive, tmp_path / f"whole.{suffix}", StoryMetadata(), settings, KEEPER).notice is None


@pytest.mark.slow
def test_complete_files_carry_no_notice(archive, settings, media_dir):
    """Each format as phones and cameras save it, videos whose sound ends a little before
    the picture included."""
    for path in sorted(media_dir.iterdir()):
        assert ingest_file(archive, path, StoryMetadata(), settings, KEEPER).notice is None, path.name


def test_what_is_said_of_a_shortfall():
    assert shortfall(10, 8.5, "webm") is None and shortfall(600, 580, "webm") is None  # within 2 s, within 5 %
    assert shortfall(600, 560, "webm") is not None and shortfall(10, 7.5, "flac") is not None
    assert shortfall(None, 3, "webm") is None
    # a raw stream's length is FFmpeg's guess from its bit rate (18 s said for 37)
    assert shortfall(60, 30, "aac") is None and shortfall(60, 30, "amr") is None


def test_the_time_allowed_to_decode_grows_with_the_longest_recording_allowed():
    """At 50 times real time a four-hour recording takes about five minutes to decode."""
    assert decode_time_limit(4 * 3600) > 4 * 3600 / 50 * 2
    assert decode_time_limit(60) >= 60
