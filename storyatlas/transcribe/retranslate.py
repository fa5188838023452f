"""New English for corrected segments.

Whisper translates audio, not text: each segment's own stretch of the recording is
translated again. A split segment gets English of its own this way and a merged one a
single line, each made from what its own audio holds. A corrected word reaches the
English only where the model now hears it: given the corrected text as its prompt,
Whisper (base) wrote the German prompt back instead of translating (tried on the German
test story), and no text translation model can be installed here. So the English stays
labelled machine translation.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from storyatlas.archive.english import StaleLine
from storyatlas.settings import Settings
from storyatlas.transcribe.audio_windows import SPEECH_RATE, SpeechWav

PAD_S = 0.2
"""Audio kept on each side of a segment, so its first and last words are whole."""


def english_lines(settings: Settings, speech: Path, lines: Iterable[StaleLine]) -> dict[int, tuple[str, str | None]]:
    """Segment id -> (the text translated, its English; None for a segment in English)."""
    from storyatlas.transcribe.whisper import get_transcriber

    wav = SpeechWav(speech)
    out: dict[int, tuple[str, str | None]] = {}
    model = None
    for line in lines:
        if line.language == "en":
            out[line.segment_id] = (line.text, None)
            continue
        if model is None:
            transcriber = get_transcriber(settings)
            if not transcriber.multilingual:
                break  # an English-only model cannot translate: the English stays marked out of date
            model = transcriber.model
        audio = wav.read(max(0, int((line.start - PAD_S) * SPEECH_RATE)), int((line.end + PAD_S) * SPEECH_RATE))
        segments, _ = model.transcribe(audio, language=line.language, task="translate",
                                       beam_size=settings.beam_size, vad_filter=False, without_timestamps=True,
                                       condition_on_previous_text=False)
        english = " ".join(s.text.strip() for s in segments).strip()
        out[line.segment_id] = (line.text, english or None)
    return out
