"""What a transcription has done so far, so a worker killed at minute 70 of 90 lets the
next one start near minute 70 rather than from zero.

A checkpoint is taken after each window: how far the recording is done (a cut between
two speech spans) and everything found before it. It is only valid for the same file
(a redacted copy of the speech is another file, and must not bring cut words back) and
the same model and options. The job pipeline keeps it in
``<archive>/checkpoints/<story id>.json``, written atomically and removed when the job ends;
it holds transcript text, so erasure and redaction remove it too.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from storyatlas.archive.checkpoints import checkpoint_path, discard_checkpoint
from storyatlas.archive.records import Word
from storyatlas.transcribe.audio_windows import SPEECH_RATE, AudioIdentity
from storyatlas.transcribe.engine import WindowResult
from storyatlas.transcribe.types import TranscriptSegment

log = logging.getLogger(__name__)

__all__ = ["Checkpoint", "checkpoint_path", "discard_checkpoint", "load_checkpoint", "save_checkpoint"]

FORMAT = 1


@dataclass(frozen=True)
class Checkpoint:
    audio: AudioIdentity
    made_with: dict[str, Any]
    """The model and the options that shape the text (JSON-normalised)."""
    done: int = 0
    """Samples of the recording transcribed: the next window starts here."""
    segments: tuple[TranscriptSegment, ...] = ()
    english: tuple[str | None, ...] = ()
    translation: tuple[TranscriptSegment, ...] = ()
    spoken: tuple[tuple[str, float, float], ...] = ()
    """Per language detected: seconds of speech, and seconds weighted by the detection's
    probability (for the story's language probability)."""

    @property
    def done_s(self) -> float:
        return self.done / SPEECH_RATE

    def fits(self, audio: AudioIdentity, made_with: dict[str, Any]) -> bool:
        return self.audio == audio and self.made_with == made_with

    def extended(self, window: WindowResult, done: int) -> Checkpoint:
        """This checkpoint with one more window, done up to ``done``."""
        spoken = {lang: [s, p] for lang, s, p in self.spoken}
        for language, seconds, probability in window.spoken:
            entry = spoken.setdefault(language, [0.0, 0.0])
            entry[0] += seconds
            entry[1] += seconds * probability
        return replace(self, done=done, segments=self.segments + window.segments,
                       english=self.english + window.english, translation=self.translation + window.translation,
                       spoken=tuple((lang, round(s, 3), round(p, 3)) for lang, (s, p) in spoken.items()))

    # ------------------------------------------------------------------ JSON

    def to_json(self) -> str:
        return json.dumps({
            "format": FORMAT, "audio": asdict(self.audio), "made_with": self.made_with, "done": self.done,
            "segments": [_segment_json(s) for s in self.segments], "english": list(self.english),
            "translation": [_segment_json(s) for s in self.translation], "spoken": [list(x) for x in self.spoken],
        }, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Checkpoint:
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise ValueError(f"checkpoint format {data.get('format')!r}, expected {FORMAT}")
        segments = tuple(_segment(s) for s in data["segments"])
        english = tuple(data["english"])
        if len(english) != len(segments):
            raise ValueError("checkpoint: English lines do not match the segments")
        return cls(AudioIdentity(**data["audio"]), data["made_with"], int(data["done"]), segments, english,
                   tuple(_segment(s) for s in data["translation"]),
                   tuple((str(lang), float(s), float(p)) for lang, s, p in data["spoken"]))


def normalised(value: dict[str, Any]) -> dict[str, Any]:
    """As it reads back from JSON (tuples become lists), so comparing with a loaded one works."""
    return json.loads(json.dumps(value, sort_keys=True))


def _segment_json(s: TranscriptSegment) -> dict:
    return {"start": s.start, "end": s.end, "text": s.text, "avg_logprob": s.avg_logprob,
            "no_speech_prob": s.no_speech_prob, "language": s.language, "low_confidence": s.low_confidence,
            "words": [[w.start, w.end, w.word, w.probability] for w in s.words]}


def _segment(d: dict) -> TranscriptSegment:
    return TranscriptSegment(d["start"], d["end"], d["text"], tuple(Word(*w) for w in d["words"]),
                             d["avg_logprob"], d["no_speech_prob"], d["language"], bool(d["low_confidence"]))


# ---------------------------------------------------------------------- files

def save_checkpoint(path: Path, checkpoint: Checkpoint) -> None:
    """Write it atomically (a temporary file, flushed, then renamed over the old one), so
    a worker killed while writing leaves the previous checkpoint, never half of one; only
    the archive's owner can read it (it holds the transcript)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(checkpoint.to_json())
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):  # the rename itself made durable, where the OS allows
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def load_checkpoint(path: Path) -> Checkpoint | None:
    """The checkpoint at ``path``; None when there is none or it cannot be read (then it is
    removed: a damaged checkpoint only costs starting from zero)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as e:
        log.warning("cannot read the checkpoint %s (%s): starting from zero", path, e)
        return None
    try:
        return Checkpoint.from_json(text)
    except (ValueError, KeyError, TypeError) as e:
        log.warning("ignoring the unreadable checkpoint %s: %s", path, e)
        discard_checkpoint(path)
        return None
