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
    # from torch itself, but not one of its storage types: torch.hub.load would run a download
    for name in (b"hub.load", b"load", b"Tensor"):
        with pytest.raises(WeightsError, match="only tensors"):
            voice_encoder._Unpickler(io.BytesIO(b"ctorch\n" + name + b"\n(S'x'\ntR."), {}).load()


def test_the_mel_scale_is_slaneys_as_librosa_has_it():
    """librosa's documented values (htk=False): 3 mels for each 200 Hz up to 1 kHz, then
    logarithmic; the way back is the inverse."""
    assert voice_encoder._hz_to_mel(60.0) == pytest.approx(0.9)
    assert voice_encoder._hz_to_mel(1000.0) == pytest.approx(15.0)
    assert voice_encoder._mel_to_hz(3.0) == pytest.approx(200.0)
    freqs = np.linspace(0.0, RATE / 2, 97)
    assert voice_encoder._mel_to_hz(voice_encoder._hz_to_mel(freqs)) == pytest.approx(freqs)


def test_quiet_speech_is_raised_to_30_dbfs_and_loud_speech_left_as_it_is():
    def dbfs(wav):
        return 20 * np.log10(np.sqrt(np.mean((wav.astype(np.float64) * (2 ** 15 - 1)) ** 2)) / (2 ** 15 - 1))

    tone = np.sin(2 * np.pi * 220 * np.arange(RATE) / RATE).astype(np.float32)
    assert dbfs(voice_encoder.normalize_volume(tone * 0.001)) == pytest.approx(-30, abs=0.01)
    loud = tone * 0.5  # about -9 dBFS
    assert np.array_equal(voice_encoder.normalize_volume(loud), loud)
    assert not voice_encoder.normalize_volume(np.zeros(RATE, np.float32)).any()


def test_the_first_frames_are_padded_by_reflection_as_librosa_centres_them():
    """A steady tone is as loud in the first frame as in the middle: zeros padded in would
    halve the first frame's window."""
    tone = np.sin(2 * np.pi * 440 * np.arange(RATE) / RATE).astype(np.float32)
    energy = voice_encoder.mel_spectrogram(tone).sum(axis=1)
    assert energy[0] == pytest.approx(energy[50], rel=0.1)


def test_the_weights_read_without_torch(weights):
    state = load_checkpoint(weights)["model_state"]
    assert state["lstm.weight_ih_l0"].shape == (1024, 40)
    assert state["lstm.weight_hh_l2"].shape == (1024, 256)
    assert state["linear.weight"].shape == (256, 256)
    assert all(np.isfinite(v).all() for v in state.values())
    import sys
    assert "torch" not in sys.modules


@pytest.mark.slow
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


@pytest.mark.slow
def test_one_voice_is_one_speaker(dialogue):
    path, spans = dialogue
    same_voice = spans[0::2]
    assert set(speaker_turns(path, same_voice)) == {"S1"}


@pytest.mark.slow
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


@pytest.mark.slow
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


def _average_linkage(x: np.ndarray, threshold: float, max_clusters: int, min_share: float) -> list[frozenset]:
    """What ``cluster`` promises, the slow way: the closest two clusters (mean cosine
    distance over all their pairs) merge while under the threshold or while too many are
    left; clusters under the least share then join the larger one whose mean is closest."""
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    d = 1.0 - x @ x.T
    groups = [[i] for i in range(len(x))]
    while len(groups) > 1:
        gap, a, b = min((d[np.ix_(g, h)].mean(), a, b) for a, g in enumerate(groups)
                        for b, h in enumerate(groups) if a < b)
        if gap > threshold and len(groups) <= max_clusters:
            break
        groups[a] += groups.pop(b)
    big = [g for g in groups if len(g) >= max(2, min_share * len(x))]
    if big and len(big) < len(groups):
        means = [x[g].mean(axis=0) for g in big]
        for small in [g for g in groups if len(g) < max(2, min_share * len(x))]:
            for i in small:
                big[int(np.argmax([x[i] @ m for m in means]))].append(i)
        groups = big
    return sorted((frozenset(g) for g in groups), key=min)


def _partition(labels: np.ndarray) -> list[frozenset]:
    return sorted((frozenset(np.flatnonzero(labels == c).tolist()) for c in np.unique(labels)), key=min)


@pytest.mark.parametrize("seed", range(4))
def test_clustering_is_average_linkage_as_promised(seed):
    """Voices (points around a few centres, of unequal sizes and spread) and a few odd
    windows (a cough, a door), compared with the definition computed the slow way."""
    from storyatlas.ingest.voices import cluster

    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(5, 16))
    x = np.concatenate([c + rng.normal(scale=s, size=(n, 16)) for c, n, s in
                        zip(centres, (30, 12, 6, 3, 1), (0.3, 0.5, 0.4, 0.2, 0.1))] + [rng.normal(size=(4, 16))])
    x *= rng.uniform(0.5, 3, size=(len(x), 1))  # lengths differ: only the direction counts
    for threshold, most, share in ((0.28, 6, 0.03), (0.5, 6, 0.03), (0.1, 6, 0.0), (0.28, 3, 0.1), (0.9, 6, 0.2)):
        found = _partition(cluster(x.astype(np.float32), threshold, most, share))
        assert found == _average_linkage(x, threshold, most, share), (threshold, most, share)


def test_a_window_apart_from_every_voice_joins_the_closest():
    from storyatlas.ingest.voices import cluster

    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(2, 16))
    x = np.concatenate([a + rng.normal(scale=0.05, size=(20, 16)), b + rng.normal(scale=0.05, size=(20, 16)),
                        [0.9 * b + 0.44 * a]])  # one window, nearer the second voice than the first
    labels = cluster(x.astype(np.float32), threshold=0.01)
    assert len(set(labels)) == 2 and labels[-1] == labels[20] != labels[0]

    # two windows of two voices: each its own, though neither is a share of the rest
    assert len(set(cluster(np.eye(2, 16, dtype=np.float32)))) == 2


@pytest.mark.slow
def test_speaker_turns_read_only_speech_audio_and_every_span_it_can(dialogue, tmp_path):
    from storyatlas.errors import MediaError

    path, spans = dialogue
    stereo = tmp_path / "stereo.wav"
    with wave.open(str(path)) as w, wave.open(str(stereo), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        mono = np.frombuffer(w.readframes(w.getnframes()), "<i2")
        out.writeframes(np.repeat(mono, 2).tobytes())
    with pytest.raises(MediaError, match="not 16 kHz mono"):
        speaker_turns(stereo, spans)
    # a span of 50 ms is heard with the half second around its middle; one that starts
    # before the recording, from its start
    first, second = spans[0], spans[1]
    middle = (second[0] + second[1]) / 2
    labels = speaker_turns(path, [(first[0] - 0.5, first[1]), *spans[1:], (middle, middle + 0.05)])
    assert labels[0] == "S1" and labels[1] == "S2" and labels[-1] == "S2"
    # a span that begins with the last second of the other voice: most of its windows win
    third = spans[2]
    labels = speaker_turns(path, [first, second, (second[1] - 1.0, third[1]), *spans[3:]])
    assert labels[:4] == ["S1", "S2", "S1", "S2"]


@pytest.mark.slow
def test_a_quiet_dialogue_is_heard_as_the_same_one_louder(dialogue, tmp_path):
    """Speech is raised to the loudness the encoder learned from (as Resemblyzer does):
    the same dialogue 28 dB quieter is told apart the same way (unraised, all one voice)."""
    path, spans = dialogue
    turns = []
    for divide in (4, 100):
        softer = tmp_path / f"softer-{divide}.wav"
        with wave.open(str(path)) as w, wave.open(str(softer), "wb") as out:
            out.setparams(w.getparams())
            out.writeframes((np.frombuffer(w.readframes(w.getnframes()), "<i2") // divide).astype("<i2").tobytes())
        turns.append(speaker_turns(softer, spans))
    assert turns[0] == turns[1] and len(set(turns[1])) > 1


def test_silence_alone_is_one_speaker_not_an_error(tmp_path):
    silent = tmp_path / "silent.wav"
    with wave.open(str(silent), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(np.zeros(RATE * 6, "<i2").tobytes())
    _need("Resemblyzer's weights (pip install --no-deps resemblyzer==0.1.4)", weights_path() is not None)
    assert speaker_turns(silent, [(0.0, 2.0), (2.5, 4.0), (4.5, 6.0)]) == ["S1", "S1", "S1"]
