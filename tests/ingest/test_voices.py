"""Speaker turns by voice: Resemblyzer's encoder read and run without torch, on speech
made by espeak-ng in two clearly different voices (a man's and a woman's), one sentence
each in turn, in one channel. Skipped without the weights (``pip install --no-deps
resemblyzer==0.1.4``) or espeak-ng, except under CI=true, where they fail."""

from __future__ import annotations

import io
import itertools
import os
import pickle
import shutil
import subprocess
import wave

import numpy as np
import pytest

from storyatlas.archive import StoryMetadata, Viewer, corrections
from storyatlas.ingest import voice_encoder
from storyatlas.ingest.audio import ffmpeg_exe
from storyatlas.ingest.voice_encoder import WeightsError, load_checkpoint, weights_path
from storyatlas.ingest.voices import speaker_turns

KEEPER = Viewer.keeper("cli:test")
RATE = 16_000
VOICES = ("en+m3", "en+f4")
SENTENCES = [
    "My name is Anna and I have lived by the river all my life.",
    "In the spring the water came into our street in the night.",
    "We pumped the cellar for three days and nights.",
    "The neighbours brought sandbags, bread and hot soup.",
    "Nobody slept much that week, but nobody complained either.",
    "When the river went down, the mud stayed in every room.",
    "My father said he had seen it once before, as a boy.",
    "We lost the piano, the photographs and most of the books.",
    "The school opened its hall for the families from our street.",
    "Years later the town built a wall along the water.",
]


def _need(what: str, present: bool) -> None:
    if not present:
        reason = f"{what} is not installed"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI must run the speaker turn tests)", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def weights():
    _need("Resemblyzer's weights (pip install --no-deps resemblyzer==0.1.4)", weights_path() is not None)
    return weights_path()


@pytest.fixture(scope="module")
def dialogue(tmp_path_factory, weights):
    """Ten sentences, the two voices in turn, 0.4 s apart: the WAV and each sentence's span."""
    _need("espeak-ng", shutil.which("espeak-ng") is not None)
    path = tmp_path_factory.mktemp("voices") / "dialogue.wav"
    parts, spans, t = [], [], 0.0
    for i, sentence in enumerate(SENTENCES):
        spoken = subprocess.run(["espeak-ng", "-v", VOICES[i % 2], "-s", "150", "--stdout", sentence],
                                capture_output=True, check=True).stdout
        pcm = subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", "-", "-ac", "1", "-ar", str(RATE),
                              "-f", "s16le", "-"], input=spoken, capture_output=True, check=True).stdout
        samples = np.frombuffer(pcm, "<i2")
        spans.append((t, t + len(samples) / RATE))
        parts += [samples, np.zeros(int(0.4 * RATE), "<i2")]
        t = spans[-1][1] + 0.4
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(np.concatenate(parts).tobytes())
    return path, spans


def _right(labels, truth) -> float:
    """The share labelled right, for the best naming of the labels."""
    found = sorted({x for x in labels if x})
    best = 0
    for names in itertools.permutations(sorted(set(truth)), len(found)) if len(found) <= 2 else [()]:
        best = max(best, sum(dict(zip(found, names)).get(x) == t for x, t in zip(labels, truth)))
    return best / len(truth)


def test_the_checkpoint_reader_refuses_other_globals(tmp_path):
    class Boom:
        def __reduce__(self):
            return (os.system, ("echo never",))

    # the older torch format: magic number, protocol, system info, then the object
    bad = tmp_path / "bad.pt"
    with open(bad, "wb") as f:
        for part in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}, {"model_state": Boom()}):
            pickle.dump(part, f, protocol=2)
    with pytest.raises(WeightsError, match="only tensors"):
        load_checkpoint(bad)
    with pytest.raises(WeightsError, match="only tensors"):
        voice_encoder._Unpickler(io.BytesIO(pickle.dumps(Boom())), {}).load()


def test_the_weights_read_without_torch(weights):
    state = load_checkpoint(weights)["model_state"]
    assert state["lstm.weight_ih_l0"].shape == (1024, 40)
    assert state["lstm.weight_hh_l2"].shape == (1024, 256)
    assert state["linear.weight"].shape == (256, 256)
    assert all(np.isfinite(v).all() for v in state.values())
    import sys
    assert "torch" not in sys.modules


def test_embeddings_are_unit_vectors_and_voices_differ(dialogue):
    path, spans = dialogue
    with wave.open(str(path)) as w:
        audio = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768
    windows, voice = [], []
    for i, (start, end) in enumerate(spans):
        mel = voice_encoder.mel_spectrogram(voice_encoder.normalize_volume(audio[int(start * RATE):int(end * RATE)]))
        windows += [mel[:160], mel[-160:]]
        voice += [i % 2, i % 2]
    embeddings = voice_encoder.encoder().embed(np.stack(windows))
    assert embeddings.shape == (len(windows), 256)
    assert np.allclose(np.linalg.norm(embeddings, axis=1), 1, atol=1e-5)
    voice = np.array(voice)
    similarity = embeddings @ embeddings.T
    same = similarity[(voice[:, None] == voice[None, :]) & ~np.eye(len(voice), dtype=bool)]
    other = similarity[voice[:, None] != voice[None, :]]
    assert same.mean() > other.mean() + 0.15, (same.mean(), other.mean())


def test_speaker_turns_follow_the_voices(dialogue):
    path, spans = dialogue
    labels = speaker_turns(path, spans)
    truth = ["S1", "S2"] * (len(spans) // 2)
    assert labels[0] == "S1"  # named in the order they first speak
    assert _right(labels, truth) >= 0.9, labels
    assert speaker_turns(path, [(500.0, 501.0)]) == [None]  # past the end: nobody heard
    assert speaker_turns(path, []) == []


def test_one_voice_is_one_speaker(dialogue):
    path, spans = dialogue
    same_voice = spans[0::2]
    assert set(speaker_turns(path, same_voice)) == {"S1"}


def test_a_job_tells_two_voices_in_one_channel_apart(archive, settings, dialogue):
    from storyatlas.ingest import ingest_file
    from storyatlas.jobs import process_job

    path, spans = dialogue
    result = ingest_file(archive, path, StoryMetadata(title="Two voices, one microphone", language_hint="en"), settings,
                         KEEPER)
    assert process_job(settings, result.job_id, archive=archive).state == "done"
    segments = archive.segments(result.story_id, KEEPER)
    # each segment's voice: the sentence it mostly lies in
    truth = []
    for s in segments:
        overlap = [min(s.end, b) - max(s.start, a) for a, b in spans]
        truth.append("S1" if int(np.argmax(overlap)) % 2 == 0 else "S2")
    assert {s.speaker for s in segments} == {"S1", "S2"}
    assert _right([s.speaker for s in segments], truth) >= 0.8
    assert corrections.revisions(archive, result.story_id, KEEPER) == []  # the machine's draft


def test_speakers_by_voice_on_the_command_line(archive, settings, dialogue, monkeypatch):
    from click.testing import CliRunner

    from storyatlas.cli import cli
    from tests.conftest import add_story

    path, spans = dialogue
    story = add_story(archive, "Two voices", "en", [(a, b, SENTENCES[i]) for i, (a, b) in enumerate(spans)])
    speech = f"speech/{story}.wav"
    with archive.conn:
        archive.conn.execute("INSERT INTO media (story_id, role, sha256, path, container, codec, size_bytes, duration_s)"
                             " VALUES (?, 'speech', 'x', ?, 'wav', 'pcm_s16le', 1, ?)", (story, speech, spans[-1][1]))
    target = settings.media_dir / speech
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, target)
    monkeypatch.setenv("STORYATLAS_CACHE", str(settings.cache))
    out = CliRunner().invoke(cli, ["correct", str(story), "--speakers-by-voice", "--archive", str(settings.archive)],
                             catch_exceptions=False)
    assert out.exit_code == 0, out.output
    assert "labelled 10 segments by voice: S1 5 segments, S2 5 segments" in out.output
    labels = [s.speaker for s in corrections.transcript(archive, story, KEEPER).segments]
    assert labels == ["S1", "S2"] * 5
    assert corrections.revisions(archive, story, KEEPER)[0].summary == "speakers labelled by voice"
