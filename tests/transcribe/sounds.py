"""Recordings assembled for the tests: the committed espeak-ng stories, generated silence,
noise and mains hum, laid end to end in a 16 kHz mono WAV (what the ingest makes), with
where each part lies."""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tests.conftest import ffmpeg, story_file

RATE = 16_000
# ffmpeg's generators: what a kitchen or community hall adds to a recording
SOURCES = {
    "silence": "anullsrc=r=16000:cl=mono",
    "noise": "anoisesrc=color=pink:amplitude=0.3:r=16000:seed=7",
    "rumble": "anoisesrc=color=brown:amplitude=0.5:r=16000:seed=8",
    "hum": "sine=frequency=50:sample_rate=16000,volume=0.5",
}


@dataclass(frozen=True)
class Part:
    kind: str
    """A story's language (en, de, ...) or one of SOURCES."""
    start: float
    end: float


def build(path: Path, parts: list[tuple[str, float]]) -> list[Part]:
    """Write ``parts`` (``(language, 0)`` for a story, ``(language, seconds)`` for its
    first seconds, ``(source, seconds)`` otherwise) end to end into ``path``; return
    where each lies."""
    scratch = path.parent / f"{path.stem}-parts"
    scratch.mkdir(exist_ok=True)
    pieces, placed, at = [], [], 0
    for i, (kind, seconds) in enumerate(parts):
        out = scratch / f"{i}.raw"
        if kind in SOURCES:
            ffmpeg("-f", "lavfi", "-t", str(seconds), "-i", SOURCES[kind], "-ac", "1", "-ar", str(RATE),
                   "-f", "s16le", str(out))
        else:
            ffmpeg("-i", str(story_file(kind)), "-ac", "1", "-ar", str(RATE), "-f", "s16le", str(out))
        samples = np.fromfile(out, dtype="<i2")
        if kind not in SOURCES and seconds:
            samples = samples[:int(seconds * RATE)]
        pieces.append(samples)
        placed.append(Part(kind, at / RATE, (at + len(samples)) / RATE))
        at += len(samples)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(np.concatenate(pieces).tobytes())
    return placed


def story_wav(language: str, folder: Path) -> Path:
    """The committed espeak-ng story in ``language`` as the ingest makes its speech WAV."""
    from storyatlas.ingest.audio import make_speech_wav

    return make_speech_wav(story_file(language), folder / f"{language}.wav", 3600).path
