"""The real faster-whisper models on espeak-ng speech."""

from dataclasses import replace

import pytest

from storyatlas.errors import ModelError
from storyatlas.transcribe import TranscriptSegment, transcribe_story
from storyatlas.transcribe.translate import align
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


def test_alignment_gives_each_english_line_to_the_segment_it_overlaps_most():
    original = [TranscriptSegment(0, 4, "a"), TranscriptSegment(4.5, 9, "b"), TranscriptSegment(10, 12, "c")]
    english = [TranscriptSegment(0.2, 4.4, "A"), TranscriptSegment(4.4, 6, "B1"),
               TranscriptSegment(6, 9.5, "B2"), TranscriptSegment(13, 14, "late")]
    assert align(original, english) == ["A", "B1 B2", "late"]


@pytest.mark.slow
def test_a_german_story_gets_a_german_transcript_and_an_english_translation(base_settings, tmp_path):
    wav = story_wav("de", tmp_path)
    result = transcribe_story(wav, base_settings)

    assert result.transcript.language == "de" and result.transcript.language_probability > 0.5
    assert "keller" in result.transcript.text.lower()
    assert result.translation.task == "translate" and result.translation.language == "en"
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
