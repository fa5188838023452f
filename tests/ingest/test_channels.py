"""Speakers by channel: a stereo recording with a voice on each side labels each
segment with the side that speaks."""

import wave
from pathlib import Path

import numpy as np

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
