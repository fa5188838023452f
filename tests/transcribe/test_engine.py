"""The engine's bookkeeping of what a decoding left unheard, with the real tiny.en model:
which stretches of a chunk are decoded again, as what, and that their words reach the
transcript."""

from dataclasses import replace

import numpy as np
import pytest

from storyatlas.transcribe import TranscribeOptions, TranscriptSegment, options_for, transcribe_story
from storyatlas.transcribe import whisper as whisper_module
from storyatlas.transcribe.audio_windows import Span
from storyatlas.transcribe.chunks import Chunk
from storyatlas.transcribe.engine import MAX_ROUNDS, Counters, Engine, _Job
from storyatlas.transcribe.whisper import get_transcriber
from tests.transcribe.sounds import story_wav

SR = 16_000


@pytest.fixture
def engine(settings):
    # the process's one loaded tiny.en (get_transcriber keeps it across tests)
    return Engine(get_transcriber(settings).model, TranscribeOptions(), detect=False, counters=Counters())


def _job(seconds: float, start: float = 0.0, **fields) -> _Job:
    chunk = Chunk((Span(int(start * SR), int((start + seconds) * SR), 0.5, 0),))
    return _Job(chunk, np.zeros((80, 3000), dtype=np.float32), content=int(seconds * 100), **fields)


def _words(*times: tuple[float, float]) -> list[dict]:
    return [{"start": times[0][0], "end": times[-1][1], "words": [{"start": a, "end": b} for a, b in times]}]


def test_a_skipped_passage_and_the_rest_after_an_early_stop_are_unheard(engine):
    # words to 4 s, nothing for 4 s, words to 10 s, then 10 s the decoding stopped before
    lines = _words((0.0, 2.0), (2.0, 4.0), (8.0, 10.0))
    assert engine._unheard(_job(20), lines, ended=False) == [(4.0, 8.0), (10.0, 20.0)]
    # speech from the chunk's start is unheard too; a gap of exactly 3 s counts, 2.9 s does not
    lines = _words((3.5, 5.0), (7.9, 9.0), (12.0, 14.0))
    assert engine._unheard(_job(14.5), lines, ended=True) == [(0.0, 3.5), (9.0, 12.0)]


def test_what_is_left_after_the_last_word_counts_from_a_second_or_three_if_the_decoding_ended(engine):
    lines = _words((0.0, 5.0))
    assert engine._unheard(_job(6.2), lines, ended=False) == [(5.0, 6.2)]
    assert engine._unheard(_job(5.8), lines, ended=False) == []  # the voice detector's padding
    assert engine._unheard(_job(7.5), lines, ended=True) == []  # Whisper said it was done
    assert engine._unheard(_job(8.0), lines, ended=True) == [(5.0, 8.0)]


def test_a_word_inside_a_longer_one_does_not_open_a_gap(engine):
    # alignment can give a short word within a long one: the heard stretch still ends at 6 s
    assert engine._unheard(_job(9.5), _words((0.0, 6.0), (1.0, 2.0), (7.0, 9.0)), ended=False) == []


def test_without_word_times_the_lines_times_tell_what_was_heard(engine):
    lines = [{"start": 0.0, "end": 4.0}, {"start": 9.0, "end": 12.0}]
    assert engine._unheard(_job(12.5), lines, ended=True) == [(4.0, 9.0)]


def test_each_unheard_stretch_is_decoded_again_as_its_chunks_language(engine):
    audio = np.zeros(30 * SR, dtype=np.float32)
    job = _job(20, start=5.0, language="de", probability=0.91, translate=True,
               unheard=[(1.0, 4.0), (10.0, 20.0)], english_reaches=[(10.0, 20.0)])
    rests = engine._rests([job], audio, 0)

    assert [(r.chunk.start_s, r.chunk.end_s) for r in rests] == [(6.0, 9.0), (15.0, 25.0)]
    assert [(r.language, r.probability, r.round) for r in rests] == [("de", 0.91, 1)] * 2
    # the chunk's translation reached the second stretch: its English is kept, not decoded again
    assert [r.translate for r in rests] == [True, False]
    assert all(r.encoded is not None and r.content == int(r.chunk.seconds * 100) for r in rests)
    assert engine.counters.continuations == 2 and engine.counters.encoded == 2

    # a rest's rest is decoded again up to MAX_ROUNDS decodings in all, then no more
    deeper = _job(20, round=MAX_ROUNDS - 2, unheard=[(1.0, 4.0)])
    assert [r.round for r in engine._rests([deeper], audio, 0)] == [MAX_ROUNDS - 1]
    assert engine._rests([_job(20, round=MAX_ROUNDS - 1, unheard=[(1.0, 4.0)])], audio, 0) == []
    assert engine.counters.continuations == 3


def test_the_english_goes_only_to_lines_not_said_in_english(engine):
    # a German line, then an English one; the German chunk's translation ran on into the
    # English line's time, and a later chunk's line came back first
    german = _job(10, segments=[TranscriptSegment(0.0, 4.0, "Das Wasser kam.", language="de")],
                  translation=[TranscriptSegment(3.0, 9.0, "The water came.", language="en")])
    english = _job(10, segments=[TranscriptSegment(4.5, 10.0, "We pumped the cellar.", language="en")])
    later = _job(5, segments=[TranscriptSegment(12.0, 14.0, "Die Nachbarn halfen.", language="de")],
                 translation=[TranscriptSegment(12.0, 14.0, "The neighbours helped.", language="en")])
    result = engine._result([later, german, english], spoken=())

    assert [s.text for s in result.segments] == ["Das Wasser kam.", "We pumped the cellar.", "Die Nachbarn halfen."]
    assert result.english == ("The water came.", None, "The neighbours helped.")
    assert [s.text for s in result.translation] == ["The water came.", "The neighbours helped."]


def stopping_early(taken: list, fractions: list) -> type[Engine]:
    """An engine whose first decoding of each chunk stops before its lines from 5 s on (chunk
    time), as Whisper's does when it takes the last sentence to go on past it; ``taken``
    gets how many lines each lost, ``fractions`` the window's progress."""

    class StopsEarly(Engine):
        def transcribe(self, audio, window_start, spans, progress=lambda _: None):
            return super().transcribe(audio, window_start, spans, lambda f: fractions.append(f) or progress(f))

        def _lines(self, job, d, tokenizer):
            lines, ended = super()._lines(job, d, tokenizer)
            if job.round == 0:
                kept = [line for line in lines if line["start"] < 5.0]
                taken.append(len(lines) - len(kept))
                return kept, False
            return lines, ended

    return StopsEarly


def test_what_a_decoding_stopped_before_is_decoded_again_and_reaches_the_transcript(settings, english, monkeypatch):
    # the story's one chunk, its first decoding stopped after its first line (about 6 s):
    # the rest (about 10 s, three sentences) must still be transcribed
    taken, fractions = [], []
    monkeypatch.setattr(whisper_module, "Engine", stopping_early(taken, fractions))
    result = transcribe_story(english, settings)

    assert taken == [2]  # the first decoding did hear the rest, and it was taken away
    assert result.stats.continuations == 1 and result.stats.transcribe_decodes == 2
    segments = result.transcript.segments
    text = " ".join(s.text for s in segments).lower()
    assert "our street" in text and "sandbags" in text and text.count("water came") == 1
    # in the recording's time: "The neighbours brought sandbags" is said from 13.06 s
    assert abs(next(s for s in segments if "sandbags" in s.text.lower()).start - 13.06) < 1.0
    assert [s.start for s in segments] == sorted(s.start for s in segments)
    assert fractions == [1.0, 1.0]  # progress counts the window's chunks, not their rests


@pytest.mark.slow
def test_a_rest_the_chunks_translation_reached_is_not_translated_again(base_settings, monkeypatch, tmp_path):
    wav = story_wav("de", tmp_path)
    taken = []
    monkeypatch.setattr(whisper_module, "Engine", stopping_early(taken, []))
    result = transcribe_story(wav, base_settings)

    assert taken == [3] and result.stats.continuations == 1
    assert "keller" in result.transcript.text.lower() and len(result.transcript.segments) == 4
    # the chunk was translated whole: that English stays, one line to each German line
    assert result.stats.translate_decodes == 1 and len(result.translation.segments) == 4
    assert all(result.english) and "every day" in result.english[-1].lower()


def test_words_are_aligned_only_when_asked(settings, english):
    result = transcribe_story(english, settings, options=replace(options_for(settings), word_timestamps=False))
    assert "sandbags" in result.transcript.text.lower()
    assert all(s.words == () for s in result.transcript.segments)
