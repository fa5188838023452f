"""Long recordings with the real tiny.en model: no text over silence or noise, windows of
bounded size, and a killed run resumed from its checkpoint."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from storyatlas.transcribe import (
    checkpoint_path, load_checkpoint, options_for, save_checkpoint, transcribe_story,
)
from storyatlas.transcribe.audio_windows import LOOKAHEAD_S, AudioIdentity, SpeechWav
from storyatlas.transcribe.quality import normalised
from storyatlas.transcribe.whisper import WhisperTranscriber, get_transcriber
from tests.transcribe.sounds import build

ROOT = Path(__file__).resolve().parents[2]
SR = 16_000


class Killed(BaseException):
    """What a worker's death looks like from inside: nothing after it runs."""


def words_in(result, start: float, end: float) -> list[str]:
    return [w.word for s in result.transcript.segments for w in s.words
            if start < (w.start + w.end) / 2 < end]


def no_repeated_lines(result) -> bool:
    texts = [normalised(s.text) for s in result.transcript.segments]
    return all(a != b for a, b in zip(texts, texts[1:]))


@pytest.fixture(scope="module")
def with_noise(tmp_path_factory):
    path = tmp_path_factory.mktemp("noise") / "noise.wav"
    parts = build(path, [("en", 0), ("silence", 40), ("noise", 30), ("hum", 20), ("rumble", 20), ("en", 0)])
    return path, parts


@pytest.fixture(scope="module")
def long_story(tmp_path_factory):
    """About 2.5 minutes: the English story eight times, with pauses and some noise."""
    path = tmp_path_factory.mktemp("long") / "long.wav"
    parts = []
    for i in range(8):
        parts += [("en", 0), ("silence" if i % 2 else "noise", 2)]
    build(path, parts)
    return path


@pytest.mark.slow
def test_silence_noise_and_hum_get_no_text_and_nothing_loops(settings, with_noise):
    path, parts = with_noise
    result = transcribe_story(path, settings)
    quiet = (parts[1].start, parts[4].end)

    assert words_in(result, *quiet) == []
    assert not [s for s in result.transcript.segments if s.start < quiet[1] and s.end > quiet[0]]
    assert no_repeated_lines(result)
    for story in (parts[0], parts[5]):  # both tellings are there, in English
        assert "sandbags" in " ".join(words_in(result, story.start, story.end)).lower()
    assert {s.language for s in result.transcript.segments} == {"en"}
    assert result.transcript.languages == ("en",) and result.english == [None] * len(result.english)


def test_an_english_only_model_never_detects_and_records_how_it_worked(settings, with_noise):
    result = transcribe_story(with_noise[0], settings)
    options = result.transcript.options
    assert options["language_detection"] == "none: English-only model"
    assert options["batch_size"] == 8 and options["beam_size"] == 5 and options["vad_filter"] is True
    assert options["window_s"] == 300 and options["condition_on_previous_text"] is False
    assert result.transcript.versions["onnxruntime"] and result.transcript.versions["ctranslate2"]
    assert result.translation is None and result.stats.translate_decodes == 0


@pytest.mark.slow
def test_memory_stays_bounded_the_recording_is_read_a_window_at_a_time(settings, long_story, monkeypatch):
    reads = []
    original = SpeechWav.read

    def spy(self, start, end):
        audio = original(self, start, end)
        reads.append(len(audio))
        return audio

    monkeypatch.setattr(SpeechWav, "read", spy)
    options = replace(options_for(settings), window_s=40)
    seen, checkpoints = [], []
    result = transcribe_story(long_story, settings, options=options, progress=seen.append,
                              on_checkpoint=checkpoints.append)
    duration = SpeechWav(long_story).duration_s

    assert len(reads) == result.stats.windows >= 3
    assert max(reads) <= (40 + LOOKAHEAD_S) * SR < duration * SR
    # a window reads past its end, to cut in a pause rather than mid-word
    assert reads[0] > 40 * SR
    # a checkpoint after each window but the last; progress over the whole recording
    assert [c.done for c in checkpoints] == sorted({c.done for c in checkpoints}) and \
        len(checkpoints) == result.stats.windows - 1
    fractions = [p.fraction for p in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0 and fractions[-1] == 1.0
    assert any(0 < f < 1 for f in fractions)
    assert 0 < result.stats.speech_s < result.stats.audio_s  # the pauses are not speech
    assert result.stats.audio_s == pytest.approx(duration, abs=0.01)  # every sample in one window
    starts = [s.start for s in result.transcript.segments]
    assert starts == sorted(starts) and no_repeated_lines(result)
    assert " ".join(s.text for s in result.transcript.segments).lower().count("sandbags") == 8


def test_progress_reaches_the_end_when_the_last_window_hears_nothing(settings, tmp_path):
    build(tmp_path / "then_quiet.wav", [("en", 0), ("silence", 90)])
    seen = []
    result = transcribe_story(tmp_path / "then_quiet.wav", settings,
                              options=replace(options_for(settings), window_s=20), progress=seen.append)
    assert result.stats.windows >= 2 and seen[-1].fraction == 1.0
    assert max(p.fraction for p in seen[:-1]) < 1  # the silent window had no chunk to count


@pytest.mark.slow
def test_a_run_stopped_after_a_window_resumes_there_and_does_only_the_rest(settings, long_story, tmp_path):
    options = replace(options_for(settings), window_s=40)
    whole = transcribe_story(long_story, settings, options=options)
    path = checkpoint_path(tmp_path, 1)

    def save_then_die(checkpoint):
        save_checkpoint(path, checkpoint)
        raise Killed

    with pytest.raises(Killed):
        transcribe_story(long_story, settings, options=options, on_checkpoint=save_then_die)
    checkpoint = load_checkpoint(path)
    assert 30 < checkpoint.done_s < 100 and checkpoint.segments

    seen = []
    resumed = transcribe_story(long_story, settings, options=options, resume_from=checkpoint, progress=seen.append)
    duration = SpeechWav(long_story).duration_s
    assert seen[0].fraction == pytest.approx(checkpoint.done_s / duration, abs=0.001)
    # only the rest went through the model: fewer windows, fewer chunks, the rest's seconds
    assert resumed.stats.started_at_s == checkpoint.done_s
    assert resumed.stats.audio_s == pytest.approx(duration - checkpoint.done_s, abs=0.01)
    assert resumed.stats.windows == whole.stats.windows - 1
    assert resumed.stats.encoded < whole.stats.encoded
    # and the transcript is the one an uninterrupted run makes
    assert [(s.start, s.text) for s in resumed.transcript.segments] == \
        [(s.start, s.text) for s in whole.transcript.segments]


@pytest.mark.slow
def test_a_checkpoint_of_another_file_or_model_is_not_resumed(settings, long_story, tmp_path):
    options = replace(options_for(settings), window_s=40)
    path = checkpoint_path(tmp_path, 1)

    def save_then_die(checkpoint):
        save_checkpoint(path, checkpoint)
        raise Killed

    with pytest.raises(Killed):
        transcribe_story(long_story, settings, options=options, on_checkpoint=save_then_die)
    other = tmp_path / "redacted.wav"
    other.write_bytes(long_story.read_bytes())  # a redacted copy is another file
    result = transcribe_story(other, settings, options=options, resume_from=load_checkpoint(path))
    assert result.stats.started_at_s == 0
    result = transcribe_story(long_story, settings, options=replace(options, beam_size=2),
                              resume_from=load_checkpoint(path))
    assert result.stats.started_at_s == 0
    # another model, or the same weights at another precision, writes other words; another
    # window or batch size writes the same, so a run with those resumes
    checkpoint, identity, transcriber = load_checkpoint(path), AudioIdentity.of(long_story), get_transcriber(settings)
    usable = transcriber.usable(options)
    assert checkpoint.fits(identity, transcriber.made_with(replace(usable, window_s=60, batch_size=2)))
    for other_model in (WhisperTranscriber(replace(transcriber.source, name="base"), compute_type="int8"),
                        WhisperTranscriber(transcriber.source, compute_type="float32")):
        assert not checkpoint.fits(identity, other_model.made_with(usable))


# run in a subprocess that kills itself (SIGKILL: no clean-up runs) after its first checkpoint
KILLED_RUN = r'''
import os, signal, sys
from dataclasses import replace
from pathlib import Path
from storyatlas.settings import Settings
from storyatlas.transcribe import options_for, save_checkpoint, transcribe_story

audio, cache, checkpoint = map(Path, sys.argv[1:4])
settings = Settings(cache=cache, model="tiny.en")

def save_then_die(state):
    save_checkpoint(checkpoint, state)
    os.kill(os.getpid(), signal.SIGKILL)

transcribe_story(audio, settings, options=replace(options_for(settings), window_s=40), on_checkpoint=save_then_die)
'''


@pytest.mark.slow
def test_a_killed_process_leaves_a_checkpoint_the_next_run_resumes(settings, long_story, tmp_path):
    path = checkpoint_path(tmp_path, 1)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", KILLED_RUN, str(long_story), str(settings.cache), str(path)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]

    checkpoint = load_checkpoint(path)
    resumed = transcribe_story(long_story, settings, options=replace(options_for(settings), window_s=40),
                               resume_from=checkpoint)
    assert resumed.stats.started_at_s == checkpoint.done_s > 0
    assert resumed.transcript.segments[:len(checkpoint.segments)] == checkpoint.segments
    assert " ".join(s.text for s in resumed.transcript.segments).lower().count("sandbags") == 8


@pytest.mark.slow
def test_two_jobs_at_once_share_one_model_with_the_cores_shared_out(settings, with_noise):
    import threading

    from storyatlas.machine import available_cores

    two = replace(settings, workers=2)
    transcriber = get_transcriber(two)
    assert transcriber.workers == 2 and transcriber.cpu_threads == max(1, available_cores() // 2)
    alone = transcribe_story(with_noise[0], settings)
    results = [None, None]

    def run(i):
        results[i] = transcribe_story(with_noise[0], two)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    texts = [[s.text for s in r.transcript.segments] for r in results]
    assert texts[0] == texts[1] == [s.text for s in alone.transcript.segments]
