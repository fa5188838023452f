"""Speaker turns by voice, for recordings where the voices share a channel: each
segment's speech is cut into 1.6 s windows every 0.8 s, each window becomes a voice
embedding (Resemblyzer's encoder, run with numpy: see voice_encoder.py), the windows are
clustered (average linkage on cosine distance, stopping at ``THRESHOLD``, at most
``MAX_SPEAKERS``), and each segment takes the cluster most of its windows fell in,
named S1, S2, ... in the order they first speak."""

from __future__ import annotations

import logging
import wave
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from storyatlas.errors import MediaError, said
from storyatlas.ingest.voice_encoder import HOP, PARTIAL_FRAMES, RATE, TARGET_DBFS, encoder, mel_spectrogram, weights_path

log = logging.getLogger(__name__)

# windows closer than this (cosine distance, average linkage) are one voice: chosen on
# espeak-ng voices and the Picovoice three-speaker recording (see tests/ingest/test_voices.py)
THRESHOLD = 0.28
MAX_SPEAKERS = 6
STEP_FRAMES = PARTIAL_FRAMES // 2  # a window every 0.8 s
MIN_FRAMES = 50  # a shorter segment is heard with the 0.5 s around its middle
MAX_WINDOWS = 3000  # past this (about 40 minutes of speech) the windows are spaced further apart
# a cluster of fewer windows than this share of all (a laugh, a cough, a door) is no speaker
MIN_SHARE = 0.03
_INT16_MAX = 2 ** 15 - 1


def available() -> bool:
    """Whether the encoder's weights are installed (the Resemblyzer wheel)."""
    return weights_path() is not None


def speaker_turns(speech_wav: Path, spans: Sequence[tuple[float, float]],
                  threshold: float = THRESHOLD) -> list[str | None]:
    """For each (start, end) span in seconds of a 16 kHz mono speech WAV, "S1", "S2", ...
    by voice; None for a span outside the audio. One voice throughout gives S1 everywhere."""
    if not spans:
        return []
    mels, gain = _span_mels(speech_wav, spans)
    owners, windows = _windows(mels)
    if not windows:
        return [None] * len(spans)
    embeddings = _embed(windows, gain)
    clusters = cluster(embeddings, threshold)
    votes: list[Counter] = [Counter() for _ in spans]
    for owner, c in zip(owners, clusters):
        votes[owner][c] += 1
    names: dict[int, str] = {}
    labels: list[str | None] = []
    for v in votes:
        if not v:
            labels.append(None)
            continue
        top = v.most_common(1)[0][0]
        labels.append(names.setdefault(top, f"S{len(names) + 1}"))
    return labels


def _span_mels(path: Path, spans: Sequence[tuple[float, float]]) -> tuple[list[np.ndarray | None], float]:
    """Each span's mel spectrogram (None when it holds no audio), and the gain in power
    that brings the speech to -30 dBFS (raised only, as the encoder was trained)."""
    try:
        with wave.open(str(path), "rb") as w:
            if w.getframerate() != RATE or w.getnchannels() != 1 or w.getsampwidth() != 2:
                raise MediaError(said("the speech audio is not 16 kHz mono 16-bit"), str(path))
            total = w.getnframes()
            mels: list[np.ndarray | None] = []
            energy, count = 0.0, 0
            for start, end in spans:
                a, b = max(0, int(start * RATE)), min(total, int(end * RATE))
                if b - a < MIN_FRAMES * HOP:  # heard with what is around its middle
                    middle = (a + b) // 2
                    a, b = max(0, middle - MIN_FRAMES * HOP // 2), min(total, middle + MIN_FRAMES * HOP // 2)
                if b - a < HOP * 10 or start >= total / RATE:
                    mels.append(None)
                    continue
                w.setpos(a)
                samples = np.frombuffer(w.readframes(b - a), dtype="<i2").astype(np.float32) / (_INT16_MAX + 1)
                energy += float(np.sum(samples.astype(np.float64) ** 2))
                count += len(samples)
                mels.append(mel_spectrogram(samples))
    except (wave.Error, EOFError, OSError) as e:
        raise MediaError(said("cannot read the speech audio: {detail}", detail=str(e)), str(path)) from None
    if count == 0 or energy <= 0:
        return mels, 1.0
    dbfs = 10 * np.log10(energy / count)
    return mels, float(10 ** (max(0.0, TARGET_DBFS - dbfs) / 10))


def _windows(mels: list[np.ndarray | None]) -> tuple[list[int], list[np.ndarray]]:
    """The windows of every span, with the span each belongs to."""
    frames = sum(len(m) for m in mels if m is not None)
    step = max(STEP_FRAMES, int(np.ceil(frames / MAX_WINDOWS)))
    owners, windows = [], []
    for i, m in enumerate(mels):
        if m is None:
            continue
        if len(m) <= PARTIAL_FRAMES:
            starts = [0]
        else:
            starts = list(range(0, len(m) - PARTIAL_FRAMES + 1, step))
            if len(m) - PARTIAL_FRAMES - starts[-1] >= step // 2:  # the end, where a turn may begin
                starts.append(len(m) - PARTIAL_FRAMES)
        for s in starts:
            owners.append(i)
            windows.append(m[s:s + PARTIAL_FRAMES])
    return owners, windows


def _embed(windows: list[np.ndarray], gain: float, batch: int = 64) -> np.ndarray:
    """Embeddings of the windows, those of one length batched together."""
    enc = encoder()
    out = np.empty((len(windows), 256), dtype=np.float32)
    by_length: dict[int, list[int]] = {}
    for i, w in enumerate(windows):
        by_length.setdefault(len(w), []).append(i)
    for idx in by_length.values():
        for k in range(0, len(idx), batch):
            part = idx[k:k + batch]
            out[part] = enc.embed(np.stack([windows[i] for i in part]) * np.float32(gain))
    return out


def cluster(embeddings: np.ndarray, threshold: float = THRESHOLD, max_clusters: int = MAX_SPEAKERS,
            min_share: float = MIN_SHARE) -> np.ndarray:
    """Agglomerative clustering of unit vectors, average linkage on cosine distance:
    clusters merge while their distance is under ``threshold`` (and past it until at most
    ``max_clusters`` are left); clusters smaller than ``min_share`` of all then join the
    nearest larger one. Returns a cluster number for each row."""
    n = len(embeddings)
    if n == 1:
        return np.zeros(1, dtype=int)
    x = embeddings / np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-12)
    d = (1.0 - x @ x.T).astype(np.float32)
    np.fill_diagonal(d, np.inf)
    size = np.ones(n)
    active = np.ones(n, dtype=bool)
    members = np.arange(n)  # the cluster (its surviving row) of each window
    nearest = np.argmin(d, axis=1)
    nearest_d = d[np.arange(n), nearest]
    clusters = n
    while clusters > 1:
        i = int(np.argmin(nearest_d))
        j = int(nearest[i])
        if nearest_d[i] > threshold and clusters <= max_clusters:
            break
        # j joins i: the average distance of the union to every other cluster
        merged = (size[i] * d[i] + size[j] * d[j]) / (size[i] + size[j])
        merged[i] = np.inf
        d[i], d[:, i] = merged, merged
        d[j], d[:, j] = np.inf, np.inf
        size[i] += size[j]
        active[j] = False
        nearest_d[j] = np.inf
        members[members == j] = i
        clusters -= 1
        # rows whose nearest was i or j look again; the others compare with the union
        stale = np.flatnonzero(active & ((nearest == i) | (nearest == j)))
        stale = np.union1d(stale, [i])
        nearest[stale] = np.argmin(d[stale], axis=1)
        nearest_d[stale] = d[stale, nearest[stale]]
        closer = active & (d[:, i] < nearest_d)
        nearest[closer], nearest_d[closer] = i, d[closer, i]
    return _absorb_small(x, members, min_share)


def _absorb_small(x: np.ndarray, members: np.ndarray, min_share: float) -> np.ndarray:
    ids, counts = np.unique(members, return_counts=True)
    big = ids[counts >= max(2, min_share * len(members))]
    if len(big) == 0 or len(big) == len(ids):
        return members
    centroids = np.stack([x[members == c].mean(axis=0) for c in big])
    out = members.copy()
    small = ~np.isin(members, big)
    out[small] = big[np.argmax(x[small] @ centroids.T, axis=1)]
    return out
