"""Speakers by channel: a stereo recording with a voice on each side labels each
segment with the side that speaks."""

import wave
from pathlib import Path

import numpy as np
import pytest

from storyatlas.ingest.channels import channel_speakers

RATE = 16_000


def _wav(path: Path, channels: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels.shape[1])
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes((channels * 12_000).astype("<i2").tobytes())
    return path


def _voice(seconds: float, start: float, end: float, pitch: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return np.where((t >= start) & (t < end), np.sin(2 * np.pi * pitch * t) * (1 + 0.3 * np.sin(7 * t)) / 1.3, 0.0)


def test_each_segment_is_labelled_by_the_channel_that_speaks(tmp_path):
    left, right = _voice(9, 0, 4, 180), _voice(9, 4, 8, 240)
    right = right + 0.05 * left  # a little of each voice leaks into the other microphone
    path = _wav(tmp_path / "interview.wav", np.stack([left, right], axis=1))

    spans = [(0.0, 2.0), (2.0, 4.0), (4.2, 7.9), (8.2, 9.0), (3.0, 5.0)]
    assert channel_speakers(path, spans) == ["S1", "S1", "S2", None, None]  # silence and a shared span: nobody


def test_a_mono_recording_labels_nothing(tmp_path):
    path = _wav(tmp_path / "mono.wav", _voice(3, 0, 3, 200)[:, None])
    assert channel_speakers(path, [(0.0, 1.5), (1.5, 3.0)]) == [None, None]


def test_spans_in_any_order_are_labelled_and_none_asked_is_none_answered(tmp_path):
    left, right = _voice(9, 0, 4, 180), _voice(9, 4, 8, 240)
    path = _wav(tmp_path / "interview.wav", np.stack([left, right], axis=1))
    assert channel_speakers(path, [(4.2, 7.9), (0.0, 2.0)]) == ["S2", "S1"]
    assert channel_speakers(path, []) == []


def test_channels_that_cannot_be_decoded_are_said_so_not_taken_for_silence(tmp_path, monkeypatch):
    from storyatlas.errors import MediaError
    from storyatlas.ingest import channels

    path = _wav(tmp_path / "interview.wav", np.stack([_voice(3, 0, 3, 180), _voice(3, 0, 0, 240)], axis=1))
    monkeypatch.setattr(channels, "ffmpeg_exe", lambda: "false")  # a decoder that fails
    with pytest.raises(MediaError, match="cannot read the channels"):
        channel_speakers(path, [(0.0, 2.0)])


def test_a_channel_leads_only_by_twice_the_energy_of_the_next_loudest(tmp_path):
    voice, silence = _voice(4, 0, 4, 180), np.zeros(4 * RATE)
    # the voice on the second side at 0.6 of its amplitude (0.36 of its energy), then at 0.8 (0.64)
    for other, label in ((0.6, "S1"), (0.8, None)):
        path = _wav(tmp_path / f"at-{other}.wav", np.stack([voice, other * voice, silence], axis=1))
        assert channel_speakers(path, [(0.5, 3.5)]) == [label], other  # the silent third says nothing
