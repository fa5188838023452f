"""Languages per passage and English from one encoding, with the real base model."""

from __future__ import annotations

from dataclasses import replace

import pytest

from storyatlas.transcribe import options_for, transcribe_story
from storyatlas.transcribe.whisper import get_transcriber
from tests.transcribe.sounds import build

pytestmark = pytest.mark.slow


class Counting:
    """CTranslate2's Whisper, counting what goes through it."""

    def __init__(self, whisper) -> None:
        self._whisper = whisper
        self.encoded = 0
        self.detections = 0
        self.prompts: list[list[int]] = []

    def encode(self, features, to_cpu=False):
        self.encoded += features.shape[0]
        return self._whisper.encode(features, to_cpu=to_cpu)

    def detect_language(self, encoded):
        self.detections += 1
        return self._whisper.detect_language(encoded)

    def generate(self, encoded, prompts, **kwargs):
        self.prompts += prompts
        return self._whisper.generate(encoded, prompts, **kwargs)

    def __getattr__(self, name):
        return getattr(self._whisper, name)


@pytest.fixture
def counting(base_settings, monkeypatch):
    model = get_transcriber(base_settings).model
    counter = Counting(model.model)
    monkeypatch.setattr(model, "model", counter)
    return counter


def segments_in(result, part):
    return [s for s in result.transcript.segments if part.start <= (s.start + s.end) / 2 <= part.end]


@pytest.mark.parametrize("pause", [1.5, 0.6])
def test_a_story_told_in_german_and_english_gets_each_passage_in_its_language(base_settings, tmp_path, pause):
    parts = build(tmp_path / "two.wav", [("de", 0), ("silence", pause), ("en", 0), ("silence", pause),
                                         ("de", 0), ("silence", pause), ("en", 0)])
    result = transcribe_story(tmp_path / "two.wav", base_settings)

    stories = [p for p in parts if p.kind in ("de", "en")]
    for part in stories:
        mine = segments_in(result, part)
        assert mine and {s.language for s in mine} == {part.kind}, (part, mine)
    english = " ".join(s.text for s in result.transcript.segments if s.language == "en").lower()
    german = " ".join(s.text for s in result.transcript.segments if s.language == "de").lower()
    assert "cellar" in english and "river" in english
    assert "stadt" in german and "straße" in german and "river" not in german
    assert set(result.transcript.languages) == {"de", "en"}
    assert result.transcript.options["language_detection"] == "per chunk, from its encoder output"
    # English only where it was not spoken in English
    for seg, line in zip(result.transcript.segments, result.english):
        assert (line is None) == (seg.language == "en"), (seg, line)
    assert result.translation is not None and {s.language for s in result.translation.segments} == {"en"}
    for part in stories:  # what was said in English is not translated into English
        lines = [s for s in result.translation.segments if part.start <= (s.start + s.end) / 2 <= part.end]
        assert bool(lines) == (part.kind == "de"), (part, lines)


@pytest.mark.parametrize("order", [("de", "en"), ("en", "de")])
def test_a_chunk_that_turns_from_one_language_to_another_gets_each_in_its_own(base_settings, tmp_path, order):
    # two sentences of each story, the second language straight after the first: one
    # chunk, in a story not yet known to mix, detected surely as one language (English at
    # 0.82 with German first), the other its second language
    seconds = {"de": 9.24, "en": 8.95}
    parts = build(tmp_path / "turns.wav", [(language, seconds[language]) for language in order])
    result = transcribe_story(tmp_path / "turns.wav", base_settings)

    for part in parts:
        mine = segments_in(result, part)
        assert mine and {s.language for s in mine} == {part.kind}, (part, result.transcript.segments)
    german = " ".join(s.text for s in result.transcript.segments if s.language == "de").lower()
    english = " ".join(s.text for s in result.transcript.segments if s.language == "en").lower()
    assert "stadt" in german and "river" in english and "street" in english
    assert result.stats.rechunked >= 2
    german_part = next(p for p in parts if p.kind == "de")
    assert all(german_part.start <= (s.start + s.end) / 2 <= german_part.end for s in result.translation.segments)
    assert "city" in " ".join(s.text for s in result.translation.segments).lower()


def test_a_german_story_gets_its_english_from_the_same_encoder_passes(base_settings, counting, tmp_path):
    build(tmp_path / "de.wav", [("de", 0), ("silence", 2), ("de", 0)])
    alone = transcribe_story(tmp_path / "de.wav", replace(base_settings, translate=False))
    encoded_alone = counting.encoded
    counting.encoded, counting.prompts = 0, []

    result = transcribe_story(tmp_path / "de.wav", base_settings)

    assert counting.encoded == encoded_alone == result.stats.encoded  # translating added no encoder pass
    tokenizer = get_transcriber(base_settings).model.hf_tokenizer
    tasks = [tokenizer.id_to_token(p[2]) for p in counting.prompts]
    assert result.stats.translate_decodes == result.stats.chunks  # every chunk decoded twice
    assert tasks.count("<|translate|>") >= result.stats.chunks  # (more when a translation looped)
    assert alone.translation is None and all(line is None for line in alone.english)
    assert result.transcript.segments == alone.transcript.segments  # the transcript is the same
    assert all(result.english) and result.translation.language == "en"
    english = " ".join(result.english).lower()
    assert "city" in english or "every day" in english


def test_a_language_hint_forces_the_language_with_no_detection(base_settings, counting, tmp_path):
    build(tmp_path / "de.wav", [("de", 0)])
    result = transcribe_story(tmp_path / "de.wav", base_settings, language_hint="de")
    assert counting.detections == 0
    assert {s.language for s in result.transcript.segments} == {"de"}
    assert result.transcript.language == "de" and result.transcript.language_probability == 1.0
    assert result.transcript.options["language_detection"] == "none: language given"


def test_a_story_translated_as_it_is_transcribed_is_not_translated_again(base_settings, counting, tmp_path):
    build(tmp_path / "de.wav", [("de", 0)])
    # greedy only: a decoding tried again samples, unseeded, and once drew German (under the full suite)
    options = replace(options_for(base_settings), task="translate", temperatures=(0.0,))
    seen = []
    result = transcribe_story(tmp_path / "de.wav", base_settings, options=options, progress=seen.append)

    assert {p.stage for p in seen} == {"translating"}
    # English is what it was made into, not a language heard: no probability is claimed
    assert result.transcript.task == "translate" and result.transcript.language == "en"
    assert result.transcript.language_probability is None
    assert {s.language for s in result.transcript.segments} == {"en"}
    english = result.transcript.text.lower()
    assert "city" in english or "every day" in english
    tokenizer = get_transcriber(base_settings).model.hf_tokenizer
    assert {tokenizer.id_to_token(p[2]) for p in counting.prompts} == {"<|translate|>"}
    assert result.translation is None and result.stats.translate_decodes == 0
