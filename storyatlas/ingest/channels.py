"""Speakers by channel: in a stereo (or multi-track) recording where each voice has its
own microphone and channel, who speaks in a segment is the channel loudest during it.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from storyatlas.errors import MediaError, said
from storyatlas.ingest.audio import decode_time_limit, ffmpeg_exe, ffmpeg_input
from storyatlas.ingest.probe import probe

# speech energy lies mostly below 2 kHz: this rate keeps an hour of stereo near 60 MB
_RATE = 4000
_MAX_CHANNELS = 8


def channel_speakers(source: Path, spans: Sequence[tuple[float, float]], ratio: float = 2.0) -> list[str | None]:
    """For each (start, end) span in seconds, "S1" when the first channel is the loudest
    during it by ``ratio`` times the energy of the next loudest (2: about 3 dB), "S2" for
    the second, and so on; None where no channel clearly leads, or for a mono recording."""
    info = probe(source)
    if info.channels < 2 or not spans:
        return [None] * len(spans)
    channels = min(info.channels, _MAX_CHANNELS)
    longest = max(end for _, end in spans)
    cmd = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", *ffmpeg_input(source, info.demuxer),
           "-map", "0:a:0", "-vn", "-t", f"{longest + 1:.3f}", "-ac", str(channels), "-ar", str(_RATE),
           "-c:a", "pcm_s16le", "-f", "s16le", "pipe:1"]
    try:
        proc = subprocess.run(cmd, check=False, capture_output=True, timeout=decode_time_limit(longest))
    except subprocess.TimeoutExpired:
        raise MediaError(said("decoding the channels took too long: the file is damaged"), str(source)) from None
    if proc.returncode != 0:
        raise MediaError(said("cannot read the channels: {detail}",
                              detail=proc.stderr.decode(errors="replace").strip()[-300:]), str(source))
    samples = np.frombuffer(proc.stdout, np.int16)
    samples = samples[: len(samples) // channels * channels].reshape(-1, channels).astype(np.float32)
    labels: list[str | None] = []
    for start, end in spans:
        part = samples[max(0, int(start * _RATE)):max(0, int(end * _RATE))]
        if len(part) == 0:
            labels.append(None)
            continue
        energy = np.mean(part * part, axis=0)
        order = np.argsort(energy)[::-1]
        loudest, next_loudest = energy[order[0]], energy[order[1]]
        # silence in every channel says nothing about who speaks
        clear = loudest > 1.0 and loudest >= ratio * next_loudest
        labels.append(f"S{order[0] + 1}" if clear else None)
    return labels
