"""Assemble long test recordings from short reference clips (for benchmarks/long.py).

Every clip is decoded by ffmpeg to 16 kHz mono float, levelled so that its active frames
(20 ms frames within 40 dB of its loudest) have an RMS of -20 dBFS (a normal speaking
level; lowered if that would clip), and placed after a pause of 0.5-2 s. Room noise runs
under everything: pink noise at -52 dBFS and brown noise at -50 dBFS RMS (ffmpeg's
anoisesrc, seeded). The optional non-speech stretch, in the middle, is a third of
ventilation-like noise (brown at -32 dBFS and pink at -40 dBFS, slowly swelling), a third
of silence (the room noise alone), and a third of mains hum (50 Hz at -30 dBFS with its
harmonics at 100-300 Hz, falling off, and a slow wobble). Written as 16-bit WAV.
The same seed gives the same recording.
"""

from __future__ import annotations

import csv
import random
import subprocess
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from storyatlas.ingest.audio import ffmpeg_exe

RATE = 16000
SPEECH_DBFS = -20.0
PAUSE_S = (0.5, 2.0)
LEAD_S = 1.0


@dataclass(frozen=True)
class Source:
    """A clip of the manifest."""

    path: Path
    language: str
    reference: str
    duration_s: float


@dataclass(frozen=True)
class Clip:
    """A clip placed in a recording, with its time span there."""

    source: Path
    language: str
    reference: str
    start: float
    end: float


@dataclass
class Recording:
    name: str
    path: Path
    languages: list[str]
    duration_s: float
    clips: list[Clip] = field(default_factory=list)
    stretch: tuple[float, float] | None = None

    def describe(self) -> str:
        per = {lang: sum(1 for c in self.clips if c.language == lang) for lang in self.languages}
        unique = len({c.source for c in self.clips})
        speech = sum(c.end - c.start for c in self.clips)
        text = (f"{self.name}: {self.path.name}, {self.duration_s:.1f} s ({self.duration_s / 60:.1f} min), "
                f"{speech:.0f} s of speech in {len(self.clips)} clips "
                f"({', '.join(f'{n} {lang}' for lang, n in per.items())}; {unique} different)")
        if self.stretch:
            a, b = self.stretch
            text += f"; non-speech stretch {a:.1f}-{b:.1f} s ({b - a:.0f} s: noise, silence, hum)"
        return text


def load_manifest(folder: Path) -> dict[str, list[Source]]:
    """Clips with a reference, by language, in manifest order."""
    out: dict[str, list[Source]] = {}
    with (folder / "manifest.tsv").open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            reference = (row.get("reference") or "").strip()
            if not reference:
                continue
            out.setdefault(row["language"], []).append(
                Source(folder / row["file"], row["language"], reference, float(row["duration_s"] or 0)))
    return out


def decode(path: Path) -> np.ndarray:
    """Any recording as 16 kHz mono float32."""
    raw = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(path), "-vn", "-ac", "1", "-ar", str(RATE),
         "-f", "f32le", "-"], check=True, capture_output=True).stdout
    return np.frombuffer(raw, dtype=np.float32).copy()


def noise(colour: str, n: int, seed: int) -> np.ndarray:
    """n samples of ffmpeg's seeded noise of that colour, scaled to RMS 1."""
    out = np.empty(n, dtype=np.float32)
    proc = subprocess.Popen(
        [ffmpeg_exe(), "-nostdin", "-v", "error", "-f", "lavfi",
         "-i", f"anoisesrc=r={RATE}:c={colour}:a=0.5:s={seed % (2**31 - 1) + 1}:d={n / RATE + 1:.3f}",
         "-ac", "1", "-f", "f32le", "-"], stdout=subprocess.PIPE)
    view = memoryview(out).cast("B")
    got = 0
    while got < len(view):
        k = proc.stdout.readinto(view[got:])
        if not k:
            break
        got += k
    proc.stdout.close()
    proc.kill()
    proc.wait()
    if got < len(view):
        raise RuntimeError(f"ffmpeg gave {got // 4} of {n} noise samples")
    out -= out.mean()
    step = 1 << 20
    energy = sum(float(np.dot(chunk, chunk)) for chunk in
                 (out[i:i + step].astype(np.float64) for i in range(0, n, step)))
    out /= np.float32(max(np.sqrt(energy / n), 1e-9))
    return out


def db(x: float) -> float:
    return 10 ** (x / 20)


def level(x: np.ndarray, target_dbfs: float = SPEECH_DBFS) -> np.ndarray:
    """Scale so that the active frames have RMS at target_dbfs, without clipping."""
    frame = RATE // 50
    n = len(x) // frame * frame
    if n == 0:
        return x
    rms = np.sqrt(np.mean(x[:n].reshape(-1, frame).astype(np.float64) ** 2, axis=1))
    loud = rms.max()
    if loud <= 0:
        return x
    active = rms[rms >= loud * db(-40)]
    gain = db(target_dbfs) / float(np.sqrt(np.mean(active ** 2)))
    peak = float(np.abs(x).max()) * gain
    if peak > 0.89:  # keep 1 dB of headroom
        gain *= 0.89 / peak
    return (x * gain).astype(np.float32)


def _fade(x: np.ndarray, s: float = 0.05) -> np.ndarray:
    k = min(int(s * RATE), len(x) // 2)
    if k:
        ramp = np.linspace(0, 1, k, dtype=np.float32)
        x[:k] *= ramp
        x[-k:] *= ramp[::-1]
    return x


def non_speech(n: int, seed: int) -> np.ndarray:
    """Noise, then silence, then mains hum (each a third)."""
    out = np.zeros(n, dtype=np.float32)
    third = n // 3
    t = np.arange(third, dtype=np.float64) / RATE
    swell = (0.7 + 0.3 * np.sin(2 * np.pi * 0.07 * t)).astype(np.float32)
    part = (noise("brown", third, seed + 11) * db(-32) + noise("pink", third, seed + 12) * db(-40)) * swell
    out[:third] = _fade(part)
    # the middle third stays silent: only the room noise added to the whole recording
    m = n - 2 * third
    t = np.arange(m, dtype=np.float64) / RATE
    hum = np.zeros(m)
    for k, gain in enumerate((0.0, -6.0, -9.0, -14.0, -18.0, -24.0), start=1):
        hum += np.sqrt(2) * db(-30 + gain) * np.sin(2 * np.pi * 50 * k * t + k)
    hum *= 1 + 0.1 * np.sin(2 * np.pi * 0.3 * t)
    out[2 * third:] = _fade(hum.astype(np.float32))
    return out


def assemble(name: str, path: Path, clips: dict[str, list[Source]], languages: list[str], seconds: float,
             seed: int, stretch_s: float = 0.0) -> Recording:
    """A recording of about ``seconds``: clips of ``languages`` taken in turn (one language
    after the other, clip by clip), each language's clips in a random order that is
    reshuffled after every pass; a non-speech stretch of ``stretch_s`` in the middle."""
    rng = random.Random(seed)
    queues: dict[str, list[Source]] = {lang: [] for lang in languages}

    def take(lang: str) -> Source:
        if not queues[lang]:
            batch = list(clips[lang])
            rng.shuffle(batch)
            queues[lang] = batch
        return queues[lang].pop()

    cache: dict[Path, np.ndarray] = {}
    plan: list[tuple[int, np.ndarray | None, Source | None]] = []  # offset (samples), audio, source
    t = int(LEAD_S * RATE)
    turn = 0
    stretch: tuple[float, float] | None = None
    while t / RATE < seconds or not plan:
        if stretch_s and stretch is None and (t / RATE) + stretch_s / 2 >= seconds / 2:
            n = int(stretch_s * RATE)
            plan.append((t, non_speech(n, seed), None))
            stretch = (t / RATE, (t + n) / RATE)
            t += n + int(rng.uniform(*PAUSE_S) * RATE)
            continue
        src = take(languages[turn % len(languages)])
        turn += 1
        if src.path not in cache:
            cache[src.path] = level(decode(src.path))
        audio = cache[src.path]
        if plan and t + len(audio) // 2 > seconds * RATE:  # closest to the length asked for
            break
        plan.append((t, audio, src))
        t += len(audio) + int(rng.uniform(*PAUSE_S) * RATE)
    total = max(o + len(a) for o, a, _ in plan) + int(LEAD_S * RATE)  # a 1 s tail after the last clip

    mix = noise("pink", total, seed + 1) * np.float32(db(-52))
    mix += noise("brown", total, seed + 2) * np.float32(db(-50))
    placed = []
    for offset, audio, src in plan:
        mix[offset:offset + len(audio)] += audio
        if src is not None:
            placed.append(Clip(src.path, src.language, src.reference, offset / RATE, (offset + len(audio)) / RATE))
    np.clip(mix, -1.0, 1.0, out=mix)
    write_wav(path, mix)
    return Recording(name, path, list(languages), total / RATE, placed, stretch)


def write_wav(path: Path, x: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pcm = (x * 32767.0).round().astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.tobytes())


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32767.0


def cut(path: Path, start: float, end: float, target: Path) -> None:
    """Write the span [start, end] s of a WAV written by write_wav to another WAV."""
    with wave.open(str(path), "rb") as w:
        a = max(0, int(start * RATE))
        b = min(w.getnframes(), int(end * RATE))
        w.setpos(a)
        frames = w.readframes(b - a)
    with wave.open(str(target), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(frames)


def write_clips_tsv(rec: Recording, target: Path) -> None:
    """The clips of a recording with their spans, and the non-speech stretch."""
    with target.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(["start", "end", "language", "file", "reference"])
        for c in rec.clips:
            w.writerow([f"{c.start:.3f}", f"{c.end:.3f}", c.language, c.source.name, c.reference])
        if rec.stretch:
            w.writerow([f"{rec.stretch[0]:.3f}", f"{rec.stretch[1]:.3f}", "-", "(noise, silence, hum)", ""])
