"""A stereo recording with one voice on each channel is processed into segments
labelled by the channel that speaks, as part of the machine's draft."""

from __future__ import annotations

import subprocess
import wave

import numpy as np
import pytest

from storyatlas.archive import StoryMetadata, Viewer, corrections
from storyatlas.errors import MediaError, said
from storyatlas.ingest import ingest_file
from storyatlas.ingest.audio import ffmpeg_exe
from storyatlas.jobs import pipeline, process_job
from tests.conftest import story_file

KEEPER = Viewer.keeper("cli:test")
RATE = 16_000


def _interview(path, cut_s: float):
    """The English test story with what is said before ``cut_s`` on the left channel
    only and the rest on the right: two people at two microphones."""
    pcm = subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", str(story_file("en")),
                          "-ac", "1", "-ar", str(RATE), "-f", "s16le", "-"], capture_output=True, check=True).stdout
    voice = np.frombuffer(pcm, "<i2")
    left, right = voice.copy(), voice.copy()
    left[int(cut_s * RATE):] = 0
    right[:int(cut_s * RATE)] = 0
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(np.stack([left, right], axis=1).astype("<i2").tobytes())
    return path


@pytest.mark.slow
def test_each_voice_on_its_own_channel_is_a_speaker(archive, settings, tmp_path):
    recording = _interview(tmp_path / "interview.wav", cut_s=8.9)  # between the second and third sentence
    result = ingest_file(archive, recording, StoryMetadata(title="Two microphones"), settings, KEEPER)
    assert process_job(settings, result.job_id, archive=archive).state == "done"

    segments = archive.segments(result.story_id, KEEPER)
    assert [(s.start < 8.9, s.speaker) for s in segments] == [(s.start < 8.9, "S1" if s.start < 8.9 else "S2")
                                                               for s in segments]
    assert {s.speaker for s in segments} == {"S1", "S2"}
    assert corrections.revisions(archive, result.story_id, KEEPER) == []  # the machine's draft, not a correction


@pytest.mark.slow
def test_a_stereo_recording_spoken_on_one_channel_names_no_speakers(archive, settings, tmp_path):
    recording = _interview(tmp_path / "one-sided.wav", cut_s=1000.0)  # all on the left, the right silent
    result = ingest_file(archive, recording, StoryMetadata(title="One microphone"), settings, KEEPER)
    assert process_job(settings, result.job_id, archive=archive).state == "done"
    segments = archive.segments(result.story_id, KEEPER)
    assert segments and {s.speaker for s in segments} == {None}  # one channel says nothing of who speaks


@pytest.mark.slow
@pytest.mark.parametrize("telling", ["channel_speakers", "speaker_turns"])
def test_speakers_that_cannot_be_told_apart_leave_the_story_done_without_them(archive, settings, monkeypatch,
                                                                              caplog, telling):
    def unreadable(*_):
        raise MediaError(said("the channels could not be read"))
    monkeypatch.setattr(pipeline, telling, unreadable)
    monkeypatch.setattr(pipeline, "voices_available", lambda: True)
    result = ingest_file(archive, story_file("en"), StoryMetadata(title="River"), settings, KEEPER)
    assert process_job(settings, result.job_id, archive=archive).state == "done"
    assert {s.speaker for s in archive.segments(result.story_id, KEEPER)} == {None}
    assert "speakers not labelled by" in caplog.text and "could not be read" in caplog.text
