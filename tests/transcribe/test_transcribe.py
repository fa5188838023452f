"""The real faster-whisper models on espeak-ng speech."""

from dataclasses import replace

import pytest

from storyatlas.errors import ModelError, TranscriptionError
from storyatlas.transcribe import TranscribeOptions, TranscriptSegment, options_for, transcribe_story
from storyatlas.transcribe.audio_windows import AudioIdentity
from storyatlas.transcribe.checkpoint import Checkpoint
from storyatlas.transcribe.engine import Counters, Engine
from storyatlas.transcribe.models import ModelSource
from storyatlas.transcribe.translate import align
from storyatlas.transcribe.whisper import WhisperTranscriber, get_transcriber
from tests.transcribe.sounds import story_wav


def test_tiny_en_transcribes_with_words_times_and_progress(settings, english, timings):
    seen = []
    result = transcribe_story(english, settings, progress=seen.append)
    t = result.transcript

    assert t.language == "en" and result.translation is None
    # words tiny.en gets right ("We pumped the cellar" may come back as "the settler")
    assert "sandbags" in t.text.lower() and "river" in t.text.lower()
    words = [w for s in t.segments for w in s.words]
    pumped = next(w for w in words if "pump" in w.word.lower())  # "We pumped the cellar..."
    assert abs(pumped.start - timings["en"][2]["start"]) < 1.5
    assert all(s.start - 0.5 <= w.start <= w.end <= s.end + 0.5 for s in t.segments for w in s.words)
    fractions = [p.fraction for p in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert t.model == "tiny.en" and t.options["vad_filter"] is True and t.options["compute_type"] == "int8"
    assert t.versions["faster-whisper"] and t.versions["ctranslate2"]


def test_an_english_only_model_refuses_other_languages(settings, english):
    with pytest.raises(ModelError, match="only understands English.*--model base"):
        transcribe_story(english, settings, language_hint="de")


def test_an_english_only_model_takes_english_and_cannot_translate(settings):
    transcriber = get_transcriber(settings)
    with pytest.raises(ModelError, match="tiny.en is English-only and cannot translate; use --model base"):
        transcriber.usable(TranscribeOptions(task="translate"))
    # English, given or not, is what it hears; it never decodes a translation beside it
    for language in (None, "en"):
        assert transcriber.usable(TranscribeOptions(language=language)) == TranscribeOptions(language="en",
                                                                                              translate=False)


@pytest.mark.slow
def test_a_multilingual_model_refuses_a_language_it_does_not_know(base_settings):
    transcriber = get_transcriber(base_settings)
    with pytest.raises(ModelError, match="'xx' is not a language the model base knows; give an ISO 639-1 code"):
        transcriber.usable(TranscribeOptions(language="xx"))
    assert transcriber.usable(TranscribeOptions(language="uk", task="translate")).language == "uk"


def test_without_the_voice_detector_every_second_is_heard(settings, english):
    result = transcribe_story(english, settings, options=replace(options_for(settings), vad_filter=False))
    assert result.stats.vad_s == 0 and result.stats.speech_s == pytest.approx(result.stats.audio_s, abs=0.01)
    assert "sandbags" in result.transcript.text.lower() and result.transcript.options["vad_filter"] is False


def test_a_failure_inside_the_model_names_the_recording(settings, english, monkeypatch):
    def fails(*args, **kwargs):
        raise ValueError("shapes do not match")

    monkeypatch.setattr(Engine, "transcribe", fails)
    with pytest.raises(TranscriptionError, match=f"the speech model failed on {english.name}: shapes do not match"):
        transcribe_story(english, settings)


def test_a_damaged_model_says_which_and_where(tmp_path):
    (tmp_path / "model.bin").write_bytes(b"not a model")
    with pytest.raises(ModelError, match=f"cannot load the Whisper model small from {tmp_path}: "):
        WhisperTranscriber(ModelSource("small", tmp_path)).model
    with pytest.raises(ModelError, match="cannot load the Whisper model small from"):
        WhisperTranscriber(ModelSource("small", tmp_path / "gone")).model


def test_a_story_is_in_the_language_spoken_longest_or_with_no_words_heard_most(settings):
    # the story's language when each passage has its own: put together from the windows
    # done, whatever the model (tiny.en's own path is not taken: no language is given)
    transcriber, audio = get_transcriber(settings), AudioIdentity("story.wav", 1, 1)
    one_long = TranscriptSegment(0, 8, "Hochwasser", language="de")
    two_short = (TranscriptSegment(8, 9, "water", language="en"), TranscriptSegment(9, 10, "came", language="en"))
    spoken = (("de", 8.0, 7.2), ("en", 2.0, 1.0), ("fr", 9.0, 4.5))
    for segments, language, probability in (((one_long, *two_short), "de", 0.9), ((), "fr", 0.5)):
        state = Checkpoint(audio, {}, segments=segments, spoken=spoken)
        result = transcriber._result(state, TranscribeOptions(), 10.0, Counters())
        assert (result.transcript.language, result.transcript.language_probability) == (language, probability)


def test_alignment_gives_each_english_line_to_the_segment_it_overlaps_most():
    original = [TranscriptSegment(0, 4, "a"), TranscriptSegment(4.5, 9, "b"), TranscriptSegment(10, 12, "c")]
    english = [TranscriptSegment(0.2, 4.4, "A"), TranscriptSegment(4.4, 6, "B1"),
               TranscriptSegment(6, 9.5, "B2"), TranscriptSegment(13, 14, "late")]
    assert align(original, english) == ["A", "B1 B2", "late"]


def test_an_english_line_overlapping_nothing_goes_to_the_nearest_middle_and_none_is_none():
    # 5-6 lies in the pause: 1 s after "a" ends and 0.5 s before "b" starts, but nearer a's middle
    original = [TranscriptSegment(0, 4, "a"), TranscriptSegment(6.5, 20, "b")]
    assert align(original, [TranscriptSegment(5, 6, "A")]) == ["A", None]
    assert align([], [TranscriptSegment(5, 6, "A")]) == []
    # overlap first: 1-6 lies mostly in a long "b", though its middle is nearer the short "a"'s
    assert align([TranscriptSegment(0, 2, "a"), TranscriptSegment(2, 30, "b")], [TranscriptSegment(1, 6, "B")]) == [
        None, "B"]


@pytest.mark.slow
def test_a_german_story_gets_a_german_transcript_and_an_english_translation(base_settings, tmp_path):
    wav = story_wav("de", tmp_path)
    result = transcribe_story(wav, base_settings)

    assert result.transcript.language == "de" and result.transcript.language_probability > 0.5
    assert "keller" in result.transcript.text.lower()
    assert result.translation.task == "translate" and result.translation.language == "en"
    assert result.transcript.options["task"] == "transcribe" and result.translation.options["task"] == "translate"
    assert len(result.english) == len(result.transcript.segments) and all(result.english)
    english = " ".join(result.english).lower()
    assert "every day" in english or "city" in english


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["fr", "es", "pl"])
def test_the_language_of_each_story_is_detected(base_settings, tmp_path, lang):
    wav = story_wav(lang, tmp_path)
    result = transcribe_story(wav, replace(base_settings, translate=False))
    assert result.transcript.language == lang
    assert result.transcript.segments


def test_the_settings_become_the_transcription_options(settings):
    from dataclasses import replace

    from storyatlas.transcribe import options_for

    chosen = replace(settings, beam_size=3, vad=False, translate=False, batch_size=4)
    options = options_for(chosen, "pl")
    assert (options.language, options.beam_size, options.vad_filter, options.translate, options.batch_size) == (
        "pl", 3, False, False, 4)
    assert options_for(replace(chosen, batch_size=0)).batch_size == 8 and options_for(chosen).language is None
