"""The small parts of the engine, without Whisper: voice activity on a committed recording,
chunks and their time map, where a window is cut, the loop and silence rules, checkpoints
as files."""

import json
import os
import wave

import numpy as np
import pytest

from storyatlas.archive.records import Word
from storyatlas.errors import TranscriptionError
from storyatlas.transcribe import (
    Checkpoint, TranscribeOptions, TranscriptSegment, checkpoint_path, discard_checkpoint,
    load_checkpoint, save_checkpoint,
)
from storyatlas.transcribe.audio_windows import (
    AudioIdentity, Span, SpeechWav, cut_window, fixed_spans, join_spans, speech_spans,
)
from storyatlas.transcribe.chunks import Chunk, merge_spans
from storyatlas.transcribe.engine import WindowResult
from storyatlas.transcribe.quality import Decoding, is_silence, looping, needs_another_try, without_loops
from storyatlas.transcribe.sentences import by_sentence

SR = 16_000


def s(start: float, end: float, pause: float = 0.5, seq: int = 0) -> Span:
    return Span(int(start * SR), int(end * SR), pause, seq)


# ---------------------------------------------------------------- sentences

def _line(*timed: tuple[float, str]) -> TranscriptSegment:
    words = tuple(Word(t, t + 0.3, w, 0.9) for t, w in timed)
    return TranscriptSegment(words[0].start, words[-1].end, "".join(w.word for w in words).strip(), words,
                             -0.2, 0.01, "en")


def test_lines_are_cut_again_at_sentence_ends_and_long_pauses():
    lines = [_line((0.0, " The"), (0.4, " water"), (0.8, " came")),
             _line((1.2, " into"), (1.6, " our"), (2.0, " street."), (2.4, " Mr."), (2.8, " Nowak")),
             _line((3.2, " brought"), (3.6, " bread"), (6.0, " and"), (6.4, " soup"))]
    unsure = []
    out = by_sentence(lines, lambda words: unsure.append(len(words)) or len(words) == 2)
    assert [seg.text for seg in out] == ["The water came into our street.", "Mr. Nowak brought bread", "and soup"]
    assert [(seg.start, seg.end) for seg in out] == [(0.0, 2.3), (2.4, 3.9), (6.0, 6.7)]
    assert [seg.low_confidence for seg in out] == [False, False, True] and unsure == [6, 4, 2]
    assert all(seg.language == "en" and seg.avg_logprob == -0.2 for seg in out)


def test_speech_without_punctuation_ends_at_the_first_line_end_after_15_s():
    # four lines of 6 s, their words 0.5 s apart: no sentence end, no long pause
    lines = [_line(*[(at + i * 0.5, f" w{at + i}") for i in range(12)]) for at in (0, 6, 12, 18)]
    out = by_sentence(lines, lambda words: False)
    assert [(seg.start, seg.end) for seg in out] == [(0.0, 17.8), (18.0, 23.8)]  # never within a line


@pytest.mark.parametrize("word, ends", [(" street.", True), (" Mr.", False), (" ul.", False), ('"Go!"', True),
                                       (" nocy.»", True), (" 水。", True), (" هل؟", True), (" so…", True),
                                       (" „Wasser!“", True), (" »Wasser!«", True), (' said."»', True),
                                       (" water", False), (" 3.5", False)])
def test_a_sentence_ends_at_its_mark_in_any_script_quotes_after_it_but_not_at_an_abbreviation(word, ends):
    from storyatlas.transcribe.sentences import ends_sentence

    assert ends_sentence(word) == ends


def test_lines_without_word_times_are_kept_as_the_model_cut_them():
    lines = [TranscriptSegment(0.0, 2.0, "the water"), TranscriptSegment(2.0, 4.0, "came. In")]
    assert by_sentence(lines, lambda words: False) == lines
    # one line with word times among lines without: the decoding is kept as it was cut
    mixed = [_line((0.0, " The"), (0.4, " water.")), lines[1]]
    assert by_sentence(mixed, lambda words: False) == mixed


def test_a_pause_of_one_and_a_half_seconds_ends_a_segment():
    out = by_sentence([_line((0.2, " The"), (2.0, " water"), (2.4, " came"))], lambda words: False)
    assert [seg.text for seg in out] == ["The", "water came"]  # 2.0 - 0.5: the pause itself


def test_a_segment_of_15_s_ends_at_the_line_end():
    first = _line(*[(float(t), f" w{t}") for t in range(15)], (14.7, " w"))  # its last word ends at 15.0
    out = by_sentence([first, _line((15.2, " and"), (15.6, " on"))], lambda words: False)
    assert [(seg.start, seg.end) for seg in out] == [(0.0, 15.0), (15.2, 15.9)]


def test_a_sentence_left_open_at_the_end_is_said_as_the_last_line_says():
    from dataclasses import replace

    german = replace(_line((1.0, " Das"), (1.4, " Wasser")), language="de", avg_logprob=-0.6, no_speech_prob=0.2)
    out = by_sentence([_line((0.0, " Water.")), german], lambda words: False)
    assert [(seg.text, seg.language, seg.avg_logprob, seg.no_speech_prob) for seg in out] == [
        ("Water.", "en", -0.2, 0.01), ("Das Wasser", "de", -0.6, 0.2)]


def test_a_sentence_is_its_words_as_the_model_spelled_them_out():
    """Words carry their own spaces: a contraction's second part has none."""
    out = by_sentence([_line((0.0, " I"), (0.3, " don"), (0.5, "'t"), (0.8, " know."))], lambda words: False)
    assert [seg.text for seg in out] == ["I don't know."]


def test_a_transcripts_text_and_languages_most_spoken_first():
    from storyatlas.transcribe import Transcript

    def told(*lines):
        return Transcript("transcribe", "pl", 0.9, 60.0, tuple(lines), "base")

    # two German lines, but the one Polish line lasts longer
    mixed = told(TranscriptSegment(0, 2, "Hochwasser.", language="de"),
                 TranscriptSegment(2, 12, "Przyszła.", language="pl"),
                 TranscriptSegment(12, 14, "Wasser.", language="de"), TranscriptSegment(14, 15, "Hm.", language=None))
    assert mixed.languages == ("pl", "de") and mixed.text == "Hochwasser. Przyszła. Wasser. Hm."
    assert told(TranscriptSegment(0, 2, "Woda.")).languages == ("pl",)  # none told apart: the story's own
    assert told().languages == ("pl",) and told().text == ""


# ---------------------------------------------------------------- chunks

def test_spans_are_merged_into_chunks_of_at_most_30_s_ending_at_the_longest_late_pause():
    spans = [s(0, 8, 0, 0), s(9, 17, 1.0, 1), s(17.2, 24, 0.2, 2), s(26, 29, 2.0, 3), s(29.1, 36, 0.1, 4)]
    chunks = merge_spans(spans, 30)
    assert all(c.seconds <= 30 for c in chunks)
    assert [p for c in chunks for p in c.pieces] == spans  # every span once, in order
    # 8+8+6.8+3 = 25.8 s fit; the fifth does not: the cut goes at the 2 s pause, not after span 4
    assert [len(c.pieces) for c in chunks] == [3, 2]


@pytest.mark.parametrize("pause_of_the_fifth, pieces", [(0.2, [3, 2]), (1.0, [4, 1]), (0.5, [4, 1])])
def test_a_chunk_is_cut_at_the_longest_pause_of_its_last_10_s_or_before_the_span_that_does_not_fit(
        pause_of_the_fifth, pieces):
    # 5 + 8 + 7.7 + 3.5 s; the fifth (6.8 s) does not fit. The 3 s pause is earlier than the
    # last 10 s (a sentence cut there is a sentence cut early); the 0.5 s pause before the
    # fourth is the longest late one, unless the fifth's is longer; of equal pauses the
    # later, for the fuller chunk
    spans = [s(0, 5, 0, 0), s(8, 16, 3.0, 1), s(16.3, 24, 0.3, 2), s(24.5, 28, 0.5, 3),
             s(28.2, 35, pause_of_the_fifth, 4)]
    chunks = merge_spans(spans, 30)
    assert [len(c.pieces) for c in chunks] == pieces and [p for c in chunks for p in c.pieces] == spans


def test_what_is_carried_over_is_a_chunk_of_its_own_when_the_next_span_does_not_fit_with_it():
    spans = [s(0, 15, 0, 0), s(17, 25, 2.0, 1), s(25.5, 50.5, 0.5, 2)]  # 15, 8 and 25 s
    assert [len(c.pieces) for c in merge_spans(spans, 30)] == [1, 1, 1]
    exactly = [s(0, 10, 0, 0), s(11, 21, 1.0, 1), s(22, 32, 1.0, 2)]  # 30 s of speech: one chunk
    assert [c.seconds for c in merge_spans(exactly, 30)] == [30.0]


def test_no_chunk_is_empty_and_what_follows_a_carried_over_chunk_still_fills_one():
    # 8 s after a long pause, then 25 s: the 8 s go alone, never an empty chunk before them
    assert [len(c.pieces) for c in merge_spans([s(0, 8, 3.0, 0), s(10, 35, 1.0, 1)], 30)] == [1, 1]
    # 15, 8, 25 and 2 s: the 8 s are carried over and do not fit with the 25; the 2 join the 25
    spans = [s(0, 15, 0, 0), s(17, 25, 2.0, 1), s(25.5, 50.5, 0.5, 2), s(51, 53, 0.5, 3)]
    assert [len(c.pieces) for c in merge_spans(spans, 30)] == [1, 1, 2]


def test_a_chunk_knows_where_it_starts_and_ends_and_cuts_its_audio_from_the_window():
    chunk = Chunk((s(10, 12), s(20, 25)))
    assert (chunk.start_s, chunk.end_s, chunk.seconds) == (10.0, 25.0, 7.0)
    window = np.arange(30 * SR, dtype=np.float32)  # a window starting at 5 s
    audio = chunk.audio(window, 5 * SR)
    assert len(audio) == 7 * SR and audio[0] == 5 * SR and audio[2 * SR - 1] == 7 * SR - 1
    assert audio[2 * SR] == 15 * SR and audio[-1] == 20 * SR - 1


def test_what_a_decoding_left_unheard_is_the_part_of_the_chunk_between_two_times():
    chunk = Chunk((s(10, 12, 0.8, 0), s(20, 25, 3.0, 1)))
    rest = chunk.between(0.5, 2.0)  # inside the first piece, up to where the second starts
    assert [(p.start / SR, p.end / SR, p.pause_before) for p in rest.pieces] == [(10.5, 12.0, 0.0)]
    rest = chunk.between(1.0, 4.0)
    assert [(p.start / SR, p.end / SR, p.pause_before) for p in rest.pieces] == [(11.0, 12.0, 0.0),
                                                                                 (20.0, 22.0, 3.0)]


def test_a_time_in_a_chunk_maps_back_to_the_recording_across_its_pieces():
    chunk = Chunk((s(10, 12), s(20, 25)))  # 2 s, then 5 s: the pause between is left out
    assert chunk.recording_time(1.0) == 11.0
    assert chunk.recording_time(3.0) == 21.0
    assert chunk.recording_time(2.0, is_end=True) == 12.0  # an end stays before the pause
    assert chunk.recording_time(2.0) == 20.0                # a start goes after it
    assert chunk.recording_time(1.25) == 11.25              # to the millisecond
    assert chunk.recording_time(9.0) == 25.0                # past its end (Whisper overshoots): its end
    # a word whose middle is in the second piece keeps both ends there
    assert (chunk.recording_time(1.9, piece=1), chunk.recording_time(2.4, piece=1)) == (20.0, 20.4)
    assert chunk.recording_time(99) == 25.0
    rest = chunk.between(1.5, 7.0)
    assert [(p.start / SR, p.end / SR) for p in rest.pieces] == [(11.5, 12.0), (20.0, 25.0)]
    assert [p.pause_before for p in rest.pieces] == [0.0, 0.5]  # a piece cut in its middle follows no pause


def test_short_pauses_are_kept_and_long_ones_cut():
    fine = [s(0, 5, 0, 0), s(5.9, 9, 0.9, 1), s(11, 14, 2.0, 2)]
    joined = join_spans(fine, keep_pause_s=1.2, max_span_s=30)
    assert [(p.start / SR, p.end / SR) for p in joined] == [(0, 9), (11, 14)]
    assert joined[0].fine == tuple(fine[:2]) and joined[0].last == 1 and joined[1].seq == 2
    # a joined span follows the pause before its first part
    assert join_spans([s(3, 5, 2.5, 0), s(5.5, 9, 0.5, 1)], keep_pause_s=1.2, max_span_s=30)[0].pause_before == 2.5
    # spans the detector did not find next to each other, or longer together than a span may be
    assert len(join_spans([s(0, 5, 0, 0), s(5.5, 9, 0.5, 2)], keep_pause_s=1.2, max_span_s=30)) == 2
    assert len(join_spans([s(0, 20, 0, 0), s(20.5, 31, 0.5, 1)], keep_pause_s=1.2, max_span_s=30)) == 2
    # at the limits: a pause as long as keep_pause_s is cut, spans exactly max_span_s long together join
    assert len(join_spans([s(0, 5, 0, 0), s(6.2, 9, 1.2, 1)], keep_pause_s=1.2, max_span_s=30)) == 2
    assert len(join_spans([s(0, 20, 0, 0), s(20.5, 30, 0.5, 1)], keep_pause_s=1.2, max_span_s=30)) == 1


def test_voice_activity_is_padded_as_silero_pads_without_spans_overlapping():
    import subprocess

    from storyatlas.ingest.audio import ffmpeg_exe
    from tests.conftest import story_file

    pcm = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(story_file("en")), "-ac", "1", "-ar", str(SR),
                          "-f", "s16le", "-"], capture_output=True, check=True).stdout
    audio = np.concatenate([np.zeros(SR, np.float32), np.frombuffer(pcm, "<i2").astype(np.float32) / 32768])
    offset, pad = 5 * SR, int(0.4 * SR)
    spans = speech_spans(audio, offset, 30.0, 0.5, 160, 400, keep_pause_s=0.0)  # none joined
    assert len(spans) >= 3 and offset <= spans[0].start and spans[-1].end <= offset + len(audio)
    assert spans[0].pause_before == 0.0  # the second of silence before it is no pause between spans
    touching = 0
    for before, after in zip(spans, spans[1:]):
        gap = round(after.pause_before * SR)  # the detector's own pause
        if gap < 2 * pad:  # half of it to each side: they touch
            touching += 1
            assert before.end == after.start
        else:
            assert after.start - before.end == gap - 2 * pad
    assert touching  # the recording has a pause shorter than two paddings
    # the first span is padded as far as the silence before it allows, the last never past the recording
    from faster_whisper.vad import VadOptions, get_speech_timestamps
    raw = get_speech_timestamps(audio, VadOptions(threshold=0.5, min_silence_duration_ms=160, speech_pad_ms=0,
                                                  max_speech_duration_s=30.0 - 0.8), sampling_rate=SR)
    assert raw[0]["start"] > pad and spans[0].start == offset + raw[0]["start"] - pad
    ending = audio[:raw[-1]["end"] + pad // 4]  # speech until a tenth of a second before its end
    assert speech_spans(ending, offset, 30.0, 0.5, 160, 400, keep_pause_s=0.0)[-1].end == offset + len(ending)
    # none longer than a span may be once padded, however long the speech
    assert max(sp.seconds for sp in speech_spans(audio, 0, 3.0, 0.5, 160, 400, keep_pause_s=0.0)) <= 3.0


# ---------------------------------------------------------------- windows

def test_a_window_is_never_cut_inside_speech():
    spans = [s(0, 20, 0, 0), s(290, 310, 1, 1), s(312, 330, 2, 2)]
    start, target, read_end, total = 0, 300 * SR, 345 * SR, 3600 * SR
    cut = cut_window(spans, start, target, read_end, total)
    assert cut == 310 * SR  # the span over the target is whole: cut after it
    assert cut_window([s(0, 20, 0, 0)], 0, target, read_end, total) == target  # silence there
    assert cut_window(spans, 0, target, 40 * SR, 40 * SR) == 40 * SR  # the recording ends in it
    # a span running on past what was read: cut before it, or after it when it starts the window
    running_on = [s(0, 20, 0, 0), s(290, 350, 1, 1)]
    assert cut_window(running_on, 0, target, read_end, total) == 290 * SR
    assert cut_window(running_on[1:], 290 * SR, target, read_end, total) == 350 * SR
    # one the detector ended just where the read ended may run on past it too
    assert cut_window([s(0, 20, 0, 0), s(290, 345, 1, 1)], 0, target, read_end, total) == 290 * SR


def test_without_voice_detection_a_window_is_cut_into_spans_to_its_end():
    spans = fixed_spans(50 * SR, SR, 30)
    assert [(p.start / SR, p.end / SR) for p in spans] == [(1, 31), (31, 51)]
    assert [p.seq for p in spans] == [0, 1]  # next to each other, as the detector's spans are numbered


def test_only_the_speech_wav_is_read(tmp_path):
    path = tmp_path / "cd.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(44100)
        w.writeframes(b"\0" * 4000)
    with pytest.raises(TranscriptionError, match="44100 Hz, 2 channel.*put it back from a backup"):
        SpeechWav(path)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(SR)
        w.writeframes(b"\x80" * 4000)
    with pytest.raises(TranscriptionError, match="16000 Hz, 1 channel.*8-bit"):
        SpeechWav(path)
    (tmp_path / "x.wav").write_bytes(b"not a wav")
    with pytest.raises(TranscriptionError, match="^the story's speech audio in the media store is damaged: put"):
        SpeechWav(tmp_path / "x.wav")


def test_the_wav_is_read_in_parts(tmp_path):
    path = tmp_path / "s.wav"
    samples = (np.arange(SR * 3) % 1000).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(samples.tobytes())
    wav = SpeechWav(path)
    assert wav.duration_s == 3.0
    part = wav.read(SR, 2 * SR)
    assert part.dtype == np.float32 and len(part) == SR
    assert np.allclose(part * 32768, samples[SR:2 * SR])
    assert len(wav.read(2 * SR, 10 * SR)) == SR  # past the end: what there is
    assert len(wav.read(4 * SR, 5 * SR)) == 0  # after it: nothing
    path.unlink()  # the story erased while it is transcribed
    with pytest.raises(TranscriptionError, match="^the story's speech audio is missing from the media store"):
        wav.read(0, SR)


def test_a_speech_wav_that_cannot_be_read_is_said_so_without_its_place_on_the_server(tmp_path, monkeypatch, caplog):
    """A failed job's message is shown to everyone who may see the story: what is wrong and
    how a keeper mends it (ingesting the recording again only finds it in the archive), and
    the file's path in the log alone."""
    gone = tmp_path / "media" / "speech.wav"
    with pytest.raises(TranscriptionError) as missing:
        SpeechWav(gone)
    said = str(missing.value)
    assert said.startswith("the story's speech audio is missing from the media store: put it back from a backup")
    assert "`storyatlas retry`" in said and str(tmp_path) not in said and "not the 16 kHz" not in said
    assert str(gone) in caplog.text

    gone.parent.mkdir()
    gone.write_bytes(b"RIFF")  # cut off in its header
    with pytest.raises(TranscriptionError, match="^the story's speech audio in the media store is damaged") as damaged:
        SpeechWav(gone)
    assert str(tmp_path) not in str(damaged.value)

    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(gone))

    monkeypatch.setattr(wave, "open", refused)
    with pytest.raises(TranscriptionError) as unreadable:
        SpeechWav(gone)
    assert str(unreadable.value).startswith("the story's speech audio cannot be read (Permission denied): check")
    assert str(tmp_path) not in str(unreadable.value)


def test_a_wav_written_again_at_the_same_size_is_another_file(tmp_path):
    path = tmp_path / "speech.wav"
    path.write_bytes(b"a" * 100)
    before = AudioIdentity.of(path)
    path.write_bytes(b"b" * 100)
    os.utime(path, ns=(before.mtime_ns + 10**9, before.mtime_ns + 10**9))  # later, whatever the clock's grain
    assert AudioIdentity.of(path) != before
    assert AudioIdentity.of(path) == AudioIdentity("speech.wav", 100, before.mtime_ns + 10**9)


# ---------------------------------------------------------------- quality

OPTIONS = TranscribeOptions()


def d(text: str, avg_logprob: float = -0.2, no_speech: float = 0.1) -> Decoding:
    return Decoding((), text, avg_logprob, no_speech, 0.0)


def test_repeating_and_unsure_decodings_are_tried_again_and_silence_is_not():
    assert not needs_another_try(d("We pumped the cellar for three days."), OPTIONS)
    assert needs_another_try(d("Thank you. " * 20), OPTIONS)  # compression ratio
    assert needs_another_try(d("We pumped", avg_logprob=-1.5), OPTIONS)
    silent = d("Thank you.", avg_logprob=-1.5, no_speech=0.9)
    assert is_silence(silent, OPTIONS) and not needs_another_try(silent, OPTIONS)


def test_a_sure_decoding_is_no_silence_and_after_every_try_the_surest_that_does_not_repeat_is_kept():
    from storyatlas.transcribe.quality import best_of_tries

    assert not is_silence(d("We pumped the cellar.", avg_logprob=-0.2, no_speech=0.9), OPTIONS)
    repeating, surer, unsure = d("la " * 60, avg_logprob=-0.1), d("We pumped", -0.9), d("We pumped it", -1.2)
    assert best_of_tries([repeating, surer, unsure], OPTIONS) == surer
    assert best_of_tries([d("la " * 60, -0.8), d("na " * 60, -0.5)], OPTIONS).text.startswith("na")  # all repeat


def test_silence_and_repetition_are_judged_past_their_thresholds_as_faster_whisper_does():
    from storyatlas.transcribe.quality import best_of_tries, compression_ratio

    unsure = OPTIONS.log_prob_threshold - 0.1
    assert not is_silence(d("Hm.", unsure, no_speech=OPTIONS.no_speech_threshold), OPTIONS)  # at it: not past
    assert is_silence(d("Hm.", unsure, no_speech=OPTIONS.no_speech_threshold + 0.01), OPTIONS)
    # a ratio of exactly 2.4 is not yet past the threshold: such a decoding counts as calm
    at = d("pumped night river mud cellar pumped the river school the school came pumped pumped street water "
           "school water street we street piano river mud river we street school pumped street pumped the water "
           "school water night river came school school", -1.5)
    assert compression_ratio(at.text) == OPTIONS.compression_ratio_threshold
    assert best_of_tries([at, d("la " * 60, -0.5)], OPTIONS) == at
    # the spaces around a line are not part of what it says
    line = "We pumped the cellar."
    assert compression_ratio(" " * 40 + line + " " * 40) == compression_ratio(line)


def test_a_line_that_repeats_the_one_before_is_a_loop_and_goes():
    lines = ["We pumped the cellar.", "We pumped the cellar!", "The neighbours came.", "The neighbours came."]
    assert looping(lines, OPTIONS)
    assert without_loops(lines, OPTIONS) == [True, False, True, False]
    assert not looping(["We pumped the cellar.", "The neighbours came."], OPTIONS)
    assert without_loops(["ok", "la " * 60], OPTIONS) == [True, False]  # a line that is a loop itself
    # as written in full-width letters (CJK input methods) or with a ligature, the same line
    assert without_loops(["Ｗｅ ｐｕｍｐｅｄ ｔｈｅ ｃｅｌｌａｒ", "We pumped the cellar", "ﬁve", "five"], OPTIONS) == [
        True, False, True, False]
    assert looping(["We pumped the cellar.", "WE PUMPED THE CELLAR"], OPTIONS)  # case is no difference
    assert not looping(["…", "—"], OPTIONS)  # lines without words repeat nothing
    # no line repeats the one before, but together they go round in a loop
    assert looping(["We pumped the cellar.", "The neighbours came."] * 6, OPTIONS)


# ---------------------------------------------------------------- checkpoints

def test_a_checkpoint_survives_a_round_trip_through_its_file(tmp_path):
    audio = AudioIdentity("speech.wav", 123, 456)
    seg = TranscriptSegment(1.0, 2.5, "Guten Tag.", (Word(1.0, 1.5, " Guten", 0.9), Word(1.6, 2.5, " Tag.", 0.8)),
                            -0.3, 0.01, "de", True)
    window = WindowResult((seg,), ("Good day.",), (TranscriptSegment(1.0, 2.5, "Good day.", language="en"),),
                          (("de", 20.0, 0.9),))
    checkpoint = Checkpoint(audio, {"model": "base"}).extended(window, 300 * SR)
    path = checkpoint_path(tmp_path / "archive", 7)
    assert path == tmp_path / "archive" / "checkpoints" / "7.json"

    save_checkpoint(path, checkpoint)
    assert load_checkpoint(path) == checkpoint
    assert os.stat(path).st_mode & 0o077 == 0  # it holds the transcript: the owner's alone
    assert os.stat(path.parent).st_mode & 0o077 == 0  # and so does its folder
    assert list(path.parent.iterdir()) == [path]  # no temporary file left
    assert checkpoint.done_s == 300 and checkpoint.spoken == (("de", 20.0, 18.0),)
    assert checkpoint.fits(audio, {"model": "base"})
    assert not checkpoint.fits(AudioIdentity("speech-story7-r1.wav", 123, 456), {"model": "base"})
    assert not checkpoint.fits(audio, {"model": "tiny.en"})

    discard_checkpoint(path)
    assert load_checkpoint(path) is None


def test_a_checkpoint_grows_window_by_window_in_order():
    def window(i: int, probability: float) -> WindowResult:
        at = i * 300.0
        return WindowResult((TranscriptSegment(at, at + 2, f"Zeile {i}.", language="de"),), (f"Line {i}.",),
                            (TranscriptSegment(at, at + 2, f"Line {i}.", language="en"),), (("de", 10.0, probability),))

    checkpoint = Checkpoint(AudioIdentity("speech.wav", 1, 1), {})
    checkpoint = checkpoint.extended(window(0, 0.5), 300 * SR).extended(window(1, 0.9), 600 * SR)
    assert [s.text for s in checkpoint.segments] == ["Zeile 0.", "Zeile 1."]
    assert checkpoint.english == ("Line 0.", "Line 1.")
    assert [s.text for s in checkpoint.translation] == ["Line 0.", "Line 1."]
    assert checkpoint.done_s == 600 and checkpoint.spoken == (("de", 20.0, 14.0),)


def test_a_checkpoints_name_is_only_ever_a_story_number(tmp_path):
    assert checkpoint_path(tmp_path, 7) == tmp_path / "checkpoints" / "7.json"
    with pytest.raises(ValueError):  # a checkpoint's file can never be named outside its folder
        checkpoint_path(tmp_path, "../../media/originals/x")


def test_a_damaged_checkpoint_is_dropped_not_trusted(tmp_path):
    path = checkpoint_path(tmp_path, 1)
    path.parent.mkdir()
    path.write_text(json.dumps({"format": 1, "segments": []}))
    assert load_checkpoint(path) is None and not path.exists()
    # whole, but written by another version, in a format this one does not know
    other = json.loads(Checkpoint(AudioIdentity("speech.wav", 1, 1), {}, SR).to_json()) | {"format": 2}
    path.write_text(json.dumps(other))
    assert load_checkpoint(path) is None and not path.exists()
    # English lines that do not match the segments: whose English would be whose?
    one_line = Checkpoint(AudioIdentity("speech.wav", 1, 1), {}, SR, (TranscriptSegment(0.0, 1.0, "Ja."),), ("Yes.",))
    damaged = json.loads(one_line.to_json())
    damaged["english"] = ["Yes.", "No."]
    path.write_text(json.dumps(damaged))
    assert load_checkpoint(path) is None and not path.exists()


def test_a_checkpoint_that_cannot_be_read_means_starting_from_zero(tmp_path, caplog):
    path = checkpoint_path(tmp_path, 1)
    path.mkdir(parents=True)  # there, but no file to read
    assert load_checkpoint(path) is None
    assert "cannot read the checkpoint" in caplog.text and "starting from zero" in caplog.text


def test_a_checkpoint_that_cannot_be_written_leaves_the_last_one_and_no_part(tmp_path, monkeypatch):
    path = checkpoint_path(tmp_path, 1)
    first = Checkpoint(AudioIdentity("speech.wav", 1, 1), {}, SR)
    save_checkpoint(path, first)

    def full(*_):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(OSError, match="No space"):
        save_checkpoint(path, Checkpoint(AudioIdentity("speech.wav", 1, 1), {}, 2 * SR))
    assert list(path.parent.iterdir()) == [path] and load_checkpoint(path) == first


# ---------------------------------------------------------------- languages

def test_phrases_end_at_pauses_and_short_ones_join_their_closer_neighbour():
    from storyatlas.transcribe.languages import phrases

    fine = [s(0, 3, 0, 0), s(3.2, 6, 0.2, 1), s(7, 7.8, 1.0, 2), s(8.1, 12, 0.3, 3), s(14, 18, 2.0, 4)]
    chunk = Chunk(tuple(join_spans(fine, keep_pause_s=1.2, max_span_s=30)))
    found = phrases(chunk)  # the detector's spans, not the joined ones
    # 0-6 | 7-7.8 (too short: 0.3 s to what follows, 1.0 s to what went before) + 8.1-12 | 14-18
    assert [[(p.start / SR, p.end / SR) for p in ph] for ph in found] == [
        [(0, 3), (3.2, 6)], [(7, 7.8), (8.1, 12)], [(14, 18)]]


def test_phrases_are_cut_after_10_s_and_the_shortest_short_one_joins_first_the_earlier_on_a_tie():
    from storyatlas.transcribe.languages import phrases

    def found(*fine):
        return [[(p.start / SR, p.end / SR) for p in ph] for ph in phrases(Chunk(tuple(fine)))]

    # eight 3 s spans, 0.2 s apart: no pause to cut at, so at the latest after 10 s
    assert [len(ph) for ph in found(*[s(i * 3.2, i * 3.2 + 3, 0.2 if i else 0, i) for i in range(8)])] == [4, 4]
    # 1.8 s, 1 s and 5 s: the 1 s phrase joins its closer neighbour first (the 5 s one); the
    # 1.8 s one then joins them (had it gone first, its 2.8 s with the 1 s one would stand)
    assert found(s(0, 1.8, 0, 0), s(2.7, 3.7, 0.9, 1), s(4.4, 9.4, 0.7, 2)) == [[(0, 1.8), (2.7, 3.7), (4.4, 9.4)]]
    # the bounds themselves: a pause of 0.5 s cuts, 10 s is a whole phrase, and 2 s is long enough
    assert found(s(0, 3, 0, 0), s(3.5, 6.5, 0.5, 1)) == [[(0, 3)], [(3.5, 6.5)]]
    assert found(s(0, 5, 0, 0), s(5.2, 10.2, 0.2, 1), s(10.4, 15.4, 0.2, 2)) == [
        [(0, 5), (5.2, 10.2)], [(10.4, 15.4)]]
    assert found(s(0, 2, 0, 0), s(3, 8, 1.0, 1)) == [[(0, 2)], [(3, 8)]]
    assert found(s(0, 5, 0, 0), s(6, 7, 1.0, 1)) == [[(0, 5), (6, 7)]]  # the last one short: the one before
    # as far from either neighbour: the earlier
    assert found(s(0, 5, 0, 0), s(5.8, 6.8, 0.8, 1), s(7.6, 12.6, 0.8, 2)) == [[(0, 5), (5.8, 6.8)], [(7.6, 12.6)]]


def test_runs_of_one_language_never_join_pieces_that_were_apart():
    from storyatlas.transcribe.languages import runs_of_one_language

    labelled = [("de", 0.9, s(0, 3, 0, 0)), ("de", 0.7, s(3, 6, 0.1, 1)), ("en", 0.9, s(7, 9, 1, 2)),
                ("de", 0.8, s(10, 12, 1, 3)), ("de", 0.9, s(30, 33, 1, 7))]
    runs = runs_of_one_language(labelled)
    assert [(lang, len(run)) for lang, _, run in runs] == [("de", 2), ("en", 1), ("de", 1), ("de", 1)]
    assert runs[0][1] == pytest.approx(0.8)
    # in the order of the recording, whatever order the pieces came in
    shuffled = runs_of_one_language([labelled[3], labelled[0], labelled[1]])
    assert [[p.seq for p in run] for _, _, run in shuffled] == [[0, 1], [3]]


def test_chunks_are_suspected_of_mixing_languages_when_two_are_heard_or_theirs_is_unsure():
    from storyatlas.transcribe.languages import story_mixed, suspects

    def suspected(*detected, heard=None):
        return suspects(list(detected), heard or {}, 0.8, 0.04)

    assert not story_mixed({"de": 300.0, "en": 4.0}) and story_mixed({"de": 300.0, "en": 12.0})
    assert story_mixed({"de": 10.0, "en": 10.0}) and not story_mixed({"de": 10.0, "en": 9.9})  # from 10 s on
    assert suspected(("de", 0.99, 0.0), ("de", 0.95, 0.01)) == [False, False]
    assert suspected(("de", 0.99, 0.0), ("en", 0.9, 0.0)) == [True, True]    # two languages in the window
    assert suspected(("de", 0.99, 0.0), ("de", 0.6, 0.3)) == [False, True]   # an unsure chunk, alone
    assert suspected(("de", 0.99, 0.0), ("de", 0.6, 0.01)) == [False, True]  # unsure, with no second likely
    assert suspected(("de", 0.99, 0.0), heard={"de": 50.0, "en": 20.0}) == [True]  # a story that mixes
    assert suspected(("de", 0.99, 0.0), ("en", 0.3, 0.2)) == [False, True]  # an unsure English says little
    # sure of its language, but a second one likely enough: from 0.04 on
    assert suspected(("de", 0.91, 0.04), ("de", 0.95, 0.039)) == [True, False]


def test_a_phrase_too_unclear_to_tell_continues_the_language_before_it():
    from storyatlas.transcribe.languages import continued

    de, en, chunk = ("de", 0.9), ("en", 0.8), ("pl", 0.7)
    assert continued([en, None, de, None, None], chunk) == [en, en, de, de, de]
    assert continued([None, None, de, en], chunk) == [de, de, de, en]  # the first ones: the one after
    assert continued([None, None], chunk) == [chunk, chunk]
    assert continued([], chunk) == []


def test_a_line_is_marked_low_confidence_by_its_chunk_or_by_its_own_words():
    from types import SimpleNamespace

    from storyatlas.transcribe.engine import Counters, Engine

    engine = Engine(SimpleNamespace(model=SimpleNamespace()), OPTIONS, detect=False, counters=Counters())
    sure = [Word(0, 1, " We", 0.95), Word(1, 2, " pumped", 0.9)]
    unsure = [Word(0, 1, " We", 0.3), Word(1, 2, " pumped", 0.2)]
    assert not engine._unsure(d("We pumped"), sure)
    assert engine._unsure(d("We pumped", avg_logprob=-1.3), sure)  # the whole chunk was unsure
    assert engine._unsure(d("We pumped"), unsure)                   # this line's words were
    assert not engine._unsure(d("We pumped"), [])
